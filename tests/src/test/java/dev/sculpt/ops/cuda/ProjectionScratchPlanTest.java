package dev.sculpt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.Allocation;
import dev.sculpt.ops.Bf16ProjectionScratch;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.ops.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The projection scratch with bf16 bases as the memory plan counts it ({@link Bf16ProjectionScratch}) against the
 * scratch the device provider takes for it, read from the arena at the traced peak: equal to the byte, for shapes
 * whose regions do and do not fall on 256-byte boundaries.
 */
class ProjectionScratchPlanTest {
    @ParameterizedTest
    @CsvSource({"48, 32, 16", "37, 29, 5", "64, 160, 32"})
    void bf16ProjectionTakesThePlannedScratch(int rows, int cols, int k) {
        ParityProvider.require();
        try (Ops ops = OpsProviders.create(ParityProvider.DEVICE);
             Tensor d = ops.allocate("update", rows, cols); Tensor u = ops.allocate("U", DType.BF16, rows, k);
             Tensor v = ops.allocate("V", DType.BF16, cols, k)) {
            DeviceMemory dm = ops.memory().orElseThrow();
            dm.tracePeak();
            ops.project(d, u, v, ProjectionMode.TWO_SIDED);
            long scratch = 0;
            for (Allocation a : dm.allocationsAtPeak()) if (a.what().contains("bf16 projection")) scratch += a.requested();
            assertEquals(Bf16ProjectionScratch.bytes(rows, cols, k), scratch, rows + " x " + cols + ", k " + k);
        }
    }
}
