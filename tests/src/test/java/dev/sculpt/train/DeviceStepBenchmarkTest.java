package dev.sculpt.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.ops.ParityProvider;
import org.junit.jupiter.api.Test;

/**
 * DeviceStepBenchmark (bench/gpu/run.sh's ~1B bf16 training step, OSFT overhead and peak-against-plan benchmark) on its
 * tiny shape on cuda-emulated (or the provider {@code -Dsculpt.parity.provider} names), so that the program a GPU
 * run depends on has run before a GPU is at hand. Timings are not checked (they mean nothing here); what must hold on
 * any provider is checked: the OSFT steps keep every target's residual within the rounding bound the guard states
 * ({@link dev.sculpt.osft.InvariantResidual#bound()}), and the provider's peak stays at or below the planner's figure
 * for the same settings (PeakMemoryPlanTest checks the 10% band on the continual runner's own path).
 */
class DeviceStepBenchmarkTest {
    @Test
    void tinyShapeRunsAndKeepsTheInvariantAndThePlan() {
        ParityProvider.require();
        DeviceStepBenchmark.Result r = DeviceStepBenchmark.run(ParityProvider.DEVICE, Backends.cpu(), DeviceStepBenchmark.Shape.TINY, 2, 2);
        String md = r.markdown();
        System.out.print(md);
        assertTrue(r.plainMs() > 0 && r.osftMs() > 0 && r.floorMs() > 0 && r.gemmRate() > 0, md);
        assertEquals(2 * DeviceStepBenchmark.Shape.TINY.tokens(), r.tokens(), "two micro-batches per optimizer step");
        assertTrue(r.projectionShare() > 0, md);
        assertTrue(r.residualOverBound() <= 1, "an OSFT step left the protected subspace beyond its rounding bound\n" + md);
        assertTrue(r.plannedBytes() > 0, "cuda-emulated has device memory, so a plan\n" + md);
        assertTrue(r.peakBytes() <= r.plannedBytes(), "the peak passes the plan\n" + md);
        assertTrue(md.contains("| plain step ms |") && md.contains("Peak device memory"), md);
    }
}
