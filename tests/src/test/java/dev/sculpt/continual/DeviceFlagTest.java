package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.backend.Backends;
import dev.sculpt.cli.CliRun;
import dev.sculpt.ops.ParityProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --device} on the commands that run a model: a missing GPU fails first, and a continual run on cuda-emulated. */
class DeviceFlagTest {
    @TempDir Path dir;

    @Test
    void cudaWithoutAGpuFailsBeforeAnyWorkNamingWhatIsMissing() throws Exception {
        assumeTrue(Backends.cuda().isEmpty(), "a CUDA GPU is usable here, so the missing-GPU path cannot be exercised");
        String reason = Backends.cudaUnavailableReason();
        Path model = ContinualCommandTest.tinyModel(dir);
        Path tasks = ContinualCommandTest.jsonl(dir, "a", 6, 1);
        Set<Path> before = listing();
        List<String[]> commands = List.of(
                new String[] {"init", "--arch", "llama", "--out", dir.resolve("init").toString()},
                new String[] {"logits", "--model", model.toString(), "--ids", "1,2", "--out", dir.resolve("l.safetensors").toString()},
                new String[] {"generate", "--model", model.toString(), "--ids", "1,2", "--max-new-tokens", "2"},
                new String[] {"continual", "--model", model.toString(), "--tasks", tasks.toString(), "--out", dir.resolve("c").toString()},
                new String[] {"evolve", "--model", model.toString(), "--questions", tasks.toString(), "--corpus", tasks.toString(),
                        "--rounds", "1", "--out", dir.resolve("e").toString()},
                new String[] {"demo", "--out", dir.resolve("d").toString()});
        for (String[] c : commands) {
            String[] args = Stream.concat(Stream.of(c), Stream.of("--device", "cuda")).toArray(String[]::new);
            CliRun r = CliRun.of(args);
            assertNotEquals(0, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.err().contains("--device cuda") && r.err().contains(reason), c[0] + ": " + r.err());
            assertEquals(before, listing(), c[0] + " wrote something");
        }
    }

    private Set<Path> listing() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.collect(Collectors.toSet());
        }
    }

    @Test
    void continualRunsEndToEndOnCudaEmulated() throws Exception {
        ParityProvider.require();   // cuda-emulated, or the provider -Dsculpt.parity.provider names
        Path model = ContinualCommandTest.tinyModel(dir);
        Path a = ContinualCommandTest.jsonl(dir, "a", 6, 1), b = ContinualCommandTest.jsonl(dir, "b", 6, 2);
        Path out = dir.resolve("run");
        CliRun r = CliRun.of("continual", "--model", model.toString(), "--tasks", a + "," + b, "--method", "osft",
                "--device", ParityProvider.DEVICE, "--lr", "1e-3", "--epochs", "1", "--batch-size", "3", "--check-every", "1",
                "--save-every", "1", "--seed", "5", "--device-memory", "2G", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains(ParityProvider.DEVICE), "the run names its provider: " + r.out());
        assertTrue(r.out().contains("memory plan: ") && r.out().contains("of 1.86 GiB device memory") && r.out().contains("device memory: peak "),
                "the run plans itself against --device-memory and reports its arena's peak: " + r.out());
        RunRecord rec = ContinualRunner.read(out.resolve("metrics.json"));
        assertEquals(2, rec.completedTasks);
        assertEquals(2, rec.stepLosses.get(1).size());
        for (double loss : rec.stepLosses.get(1)) assertTrue(Double.isFinite(loss) && loss > 0, "loss " + loss);
        // task 2 trains under the constraint. Targets are at most 32 x 32 (hidden 16, intermediate 32) with k <= 31:
        // the check's floor is 2 sqrt(k) gamma_33 ~ 2.2e-5 relative to ||W||; the float32 projections of two AdamW
        // steps (|delta_i| ~ lr = 1e-3, ||delta||_F <= lr sqrt(1024) ~ 0.03) leave at most 2 gamma_63 31 ||delta||
        // each ~ 2e-7 absolute, against ||W||_F ~ 0.3 or more. 1e-4 holds both; an unconstrained step leaks ~ 0.1.
        RunRecord.TaskResiduals res = rec.residuals.get(1);
        assertTrue(2 * Math.sqrt(31) * FloatBounds.gamma(33) < 1e-4);
        assertTrue(res.maxRelLeft < 1e-4 && res.maxRelRight < 1e-4, "residuals " + res.maxRelLeft + " " + res.maxRelRight);
        assertTrue(Files.isDirectory(out.resolve("checkpoints").resolve(rec.checkpoints.get(1))));
    }
}
