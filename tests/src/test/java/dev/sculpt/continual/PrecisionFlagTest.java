package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --precision} and {@code --basis-precision} on continual and evolve: anything but fp32 and bf16 is refused with
 * exit code 2 and a message naming the option and the value, before anything is written; a bf16 run records its
 * precisions and its invariant bounds in metrics.json.
 */
class PrecisionFlagTest {
    @TempDir Path dir;

    @Test
    void valuesOtherThanFp32AndBf16AreRefusedBeforeAnyWork() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        Path tasks = ContinualCommandTest.jsonl(dir, "a", 6, 1);
        Set<Path> before = listing();
        List<String[]> commands = List.of(
                new String[] {"continual", "--model", model.toString(), "--tasks", tasks.toString(), "--device", "cpu",
                        "--out", dir.resolve("c").toString()},
                new String[] {"evolve", "--model", model.toString(), "--questions", tasks.toString(), "--corpus", tasks.toString(),
                        "--rounds", "1", "--device", "cpu", "--out", dir.resolve("e").toString()});
        for (String[] c : commands) {
            for (String option : List.of("--precision", "--basis-precision")) {
                for (String value : List.of("fp16", "int8", "", "bfloat16")) {
                    String[] args = Stream.concat(Stream.of(c), Stream.of(option, value)).toArray(String[]::new);
                    CliRun r = CliRun.of(args);
                    String where = c[0] + " " + option + " '" + value + "'";
                    assertEquals(2, r.code(), where + ": " + r.out() + r.err());
                    assertTrue(r.err().contains(option + " must be fp32 or bf16, got '" + value + "'"), where + ": " + r.err());
                    assertEquals(before, listing(), where + " wrote something");
                }
            }
        }
    }

    @Test
    void aBf16ContinualRunRecordsItsPrecisionAndItsBounds() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        Path a = ContinualCommandTest.jsonl(dir, "a", 6, 1), b = ContinualCommandTest.jsonl(dir, "b", 6, 2);
        Path out = dir.resolve("run");
        CliRun r = CliRun.of("continual", "--model", model.toString(), "--tasks", a + "," + b, "--method", "osft",
                "--device", "cpu", "--precision", "BF16", "--basis-precision", "bf16", "--lr", "1e-3", "--epochs", "1",
                "--batch-size", "3", "--check-every", "1", "--seed", "5", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        RunRecord rec = ContinualRunner.read(out.resolve("metrics.json"));
        assertEquals("bf16", rec.options.get("precision"));
        assertEquals("bf16", rec.options.get("basisPrecision"));
        RunRecord.TaskResiduals res = rec.residuals.get(1);
        assertTrue(res.withinBound, "task 2's checks within their bounds");
        assertTrue(res.maxRelBound > 0 && res.maxRelLeft <= res.maxRelBound, "bound " + res.maxRelBound + ", left " + res.maxRelLeft);
    }

    private Set<Path> listing() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.collect(Collectors.toSet());
        }
    }
}
