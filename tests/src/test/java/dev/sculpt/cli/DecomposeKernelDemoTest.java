package dev.sculpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.demo.KernelDemo;
import dev.sculpt.linalg.SvdOptions;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kernel demo behind {@code sculpt demo --kernels} (the decompose kernels on model-shaped matrices). */
class DecomposeKernelDemoTest {

    @Test
    void tinyModelIsAccurateAgainstTheGeneratedTruth() {
        StringWriter text = new StringWriter();
        List<KernelDemo.GroupResult> groups = KernelDemo.run(Backends.cpu(), KernelDemo.Config.tiny(),
                SvdOptions.defaults().withSeed(3), new PrintWriter(text));
        // shapes of the tiny model: q/o 64x64, k/v 32x64, gate/up 176x64, down 64x176
        assertEquals(4, groups.size(), text.toString());
        for (KernelDemo.GroupResult g : groups) {
            assertTrue(g.svErrExact() < 1e-4, "exact SVD vs generated spectrum: " + g);
            // slowly decaying spectra without a gap at k: the subspace may rotate within the near-flat tail, but the
            // rank-k approximation must be near optimal (HMT: within a small factor; q = 2 makes it a few percent)
            assertTrue(g.residualRatioRandomized() < 1.1, "randomized residual near optimal: " + g);
            assertTrue(g.svErrRandomized() < 0.2, "randomized singular values: " + g);
            assertTrue(g.angleDegRandomized() < 20, "leading subspace: " + g);
        }
        assertTrue(text.toString().contains("total"), text.toString());
    }

    @Test
    void demoCommandRunsTheKernelDemo() {
        CliRun r = CliRun.of("demo", "--kernels", "--size", "tiny", "--layers", "1",
                "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("mlp.gate_proj") || r.out().contains("gate_proj"), r.out());
        assertTrue(r.out().contains("speedup") && r.out().contains("total"), r.out());
    }

    @Test
    void demoRejectsBadFlags() {
        CliRun r = CliRun.of("demo", "--layers", "0");
        assertTrue(r.code() != 0 && r.err().contains("--layers"), r.err());
        r = CliRun.of("demo", "--size", "huge");
        assertTrue(r.code() != 0 && r.err().contains("--size"), r.err());
        r = CliRun.of("demo", "--device", "tpu");
        assertTrue(r.code() != 0 && r.err().contains("tpu"), r.err());
        r = CliRun.of("demo", "--rank-policy", "1.5");
        assertTrue(r.code() != 0 && r.err().contains("1.5"), r.err());
        r = CliRun.of("demo", "--non-targets", "melt");
        assertTrue(r.code() != 0 && r.err().contains("melt"), r.err());
    }
}
