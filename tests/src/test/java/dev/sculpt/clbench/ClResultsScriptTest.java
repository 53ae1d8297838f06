package dev.sculpt.clbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench/cl/cl_results.py on a hand-made run folder: the AA and BWT it writes are checked against hand-computed values. */
class ClResultsScriptTest {
    @TempDir
    Path tmp;

    private static Path script() {
        return Path.of(System.getProperty("sculpt.repo.root", "."), "bench", "cl", "cl_results.py").toAbsolutePath().normalize();
    }

    private static String python(List<String> args, Path cwd) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("python3", script().toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static boolean hasPython() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor(20, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    @Test
    void writesTheSectionWithHandComputedAaAndBwt() throws Exception {
        assumeTrue(hasPython(), "python3 not found; skipping the results-helper test");
        assertTrue(python(List.of("--self-test"), tmp).contains("ok"));

        Path run = Files.createDirectories(tmp.resolve("run"));
        Files.writeString(run.resolve("bench.json"), """
                {"command": "bench/cl/run.sh --size tiny", "order": "alpha,beta,gamma", "methods": ["seqft", "osft", "multitask"],
                 "size": "tiny", "train_per_task": 10, "test_per_task": 5, "seed": 1, "machine": "test",
                 "wall_s": {"seqft": 65, "osft": 70, "multitask": 30}}""");
        Files.createDirectories(run.resolve("seqft"));
        Files.writeString(run.resolve("seqft/metrics.json"),
                "{\"tasks\": [\"alpha\",\"beta\",\"gamma\"], \"accuracy\": [[0.8, null, null], [0.2, 0.7, null], [0.1, 0.3, 0.9]],"
                + " \"forwardTransfer\": 0.05, \"notes\": [\"alpha: a seeded hold-out\"]}");
        Files.createDirectories(run.resolve("osft"));
        // percentages and a nested object are read too
        Files.writeString(run.resolve("osft/metrics.json"),
                "{\"metrics\": {\"accuracy\": [[60.0], [50.0, 40.0], [45.0, 40.0, 30.0]]}}");
        Files.createDirectories(run.resolve("multitask"));
        Files.writeString(run.resolve("multitask/metrics.json"), "{\"accuracy\": [[0.55]]}");
        Path model = Files.createDirectories(run.resolve("model"));
        writeSafetensorsHeader(model.resolve("model.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[0,48]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[48,68]}}");

        Path results = tmp.resolve("RESULTS.md");
        Files.writeString(results, "# Benchmark results\n\nother section\n");
        python(List.of(run.toString(), "--results", results.toString()), tmp);
        String md = Files.readString(results);
        assertTrue(md.startsWith("# Benchmark results\n\nother section\n"), md);
        // seqft: AA = (0.1+0.3+0.9)/3 = 43.3%; BWT = ((0.1-0.8)+(0.3-0.7))/2 = -55.0 points
        assertTrue(md.contains("| seqft | 43.3 | -55.0 | +5.0 | 1m05s |"), md);
        // osft: AA = (45+40+30)/3 = 38.3%; BWT = ((45-60)+(40-40))/2 = -7.5 points
        assertTrue(md.contains("| osft | 38.3 | -7.5 | — | 1m10s |"), md);
        assertTrue(md.contains("| multitask (upper bound) | 55.0 | n/a | n/a | 0m30s |"), md);
        assertTrue(md.contains("17 parameters"), md);
        assertTrue(md.contains("- alpha: a seeded hold-out"), md);
        assertTrue(md.contains("| 3. gamma | 10.0 | 30.0 | 90.0 |"), md);

        // a second run replaces the section instead of appending another
        python(List.of(run.toString(), "--results", results.toString()), tmp);
        String again = Files.readString(results);
        assertEquals(md, again);
    }

    private static void writeSafetensorsHeader(Path file, String header) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 68).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(file, b.array());
    }
}
