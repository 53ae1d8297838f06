package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.sculpt.cli.Sculpt;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt continual --recompute} reaches the model and changes nothing but memory: two tasks give the same
 * per-step losses (compared as doubles, i.e. bit for bit) and the same accuracy matrix as the run without it.
 */
class RecomputeFlagTest {
    @TempDir Path dir;

    @Test
    void recomputeGivesTheSameRun() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        String tasks = ContinualCommandTest.jsonl(dir, "a", 24, 1) + "," + ContinualCommandTest.jsonl(dir, "b", 24, 2);
        String[] common = {"continual", "--model", model.toString(), "--tasks", tasks, "--method", "osft", "--lr", "1e-2",
                "--batch-size", "4", "--seed", "11"};
        Path plain = dir.resolve("plain"), re = dir.resolve("re");
        assertEquals(0, Sculpt.execute(concat(common, "--out", plain.toString())));
        assertEquals(0, Sculpt.execute(concat(common, "--out", re.toString(), "--recompute")));
        RunRecord a = ContinualRunner.read(plain.resolve("metrics.json")), b = ContinualRunner.read(re.resolve("metrics.json"));
        assertFalse(a.stepLosses.isEmpty());
        assertEquals(a.stepLosses, b.stepLosses);
        assertEquals(a.accuracy, b.accuracy);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
