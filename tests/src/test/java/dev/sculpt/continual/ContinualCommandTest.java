package dev.sculpt.continual;

import dev.sculpt.TinyCheckpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.cli.Sculpt;
import dev.sculpt.cli.SculptProcess;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinualCommandTest {
    @TempDir Path dir;

    /** A tiny LLaMA checkpoint in HF layout. */
    static Path tinyModel(Path root) {
        return TinyCheckpoints.llama(root.resolve("model"), 64);
    }

    static Path jsonl(Path root, String name, int count, int shift) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) sb.append("{\"prompt\":\"").append((char) ('a' + i % 6)).append("=\",\"completion\":\"").append((char) ('a' + (i + shift) % 6)).append("\"}\n");
        Path f = root.resolve(name + ".jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    private record Run(int code, String err) {}

    private static Run sculpt(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = Sculpt.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute(args);
        System.setErr(old);
        return new Run(code, err.toString());
    }

    @Test
    void badInputFailsBeforeTrainingWithAClearMessage() throws Exception {
        Path model = tinyModel(dir);
        Path a = jsonl(dir, "a", 6, 1);
        Path out = dir.resolve("run");
        Run r = sculpt("continual", "--model", model.toString(), "--tasks", a.toString(), "--method", "magic", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown method 'magic'"), r.err());

        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"a\",\"completion\":\"b\"}\n{oops\n");
        r = sculpt("continual", "--model", model.toString(), "--tasks", a + "," + bad, "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl:3"), r.err());

        r = sculpt("continual", "--model", model.toString(), "--tasks", a + "," + dir.resolve("missing.jsonl"), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("missing.jsonl") && r.err().contains("no such file"), r.err());

        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "");
        r = sculpt("continual", "--model", model.toString(), "--tasks", empty.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("empty"), r.err());

        r = sculpt("continual", "--model", model.toString(), "--tasks", a.toString(), "--rank-ratio", "1.5", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--rank-ratio must be in [0, 1]"), r.err());

        r = sculpt("continual", "--model", dir.resolve("nomodel").toString(), "--tasks", a.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nomodel"), r.err());

        assertFalse(Files.exists(out.resolve("state.json")), "nothing may be trained or written");
    }

    @Test
    void resumesAfterKillDashNine() throws Exception {
        Path model = tinyModel(dir);
        List<String> tasks = new ArrayList<>();
        for (int t = 0; t < 3; t++) tasks.add(jsonl(dir, "t" + t, 240, t + 1).toString());
        String taskArg = String.join(",", tasks);
        String[] common = {"continual", "--model", model.toString(), "--tasks", taskArg, "--method", "seqft", "--lr", "1e-2", "--batch-size", "4", "--seed", "5"};

        Path whole = dir.resolve("whole");
        assertEquals(0, Sculpt.execute(concat(common, "--out", whole.toString())));
        RunRecord expected = ContinualRunner.read(whole.resolve("metrics.json"));

        Path cut = dir.resolve("cut");
        List<String> cmd = SculptProcess.command(List.of(concat(common, "--out", cut.toString())));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        Path state = cut.resolve("state.json");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(state) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        p.destroyForcibly();    // SIGKILL
        p.waitFor();
        assertNotEquals(0, p.exitValue(), "the child must have been killed, not finished: " + Files.readString(dir.resolve("child.log")));
        RunRecord partial = ContinualRunner.read(state);
        assertTrue(partial.completedTasks >= 1 && partial.completedTasks < 3, "completed " + partial.completedTasks);

        assertEquals(0, Sculpt.execute(concat(common, "--out", cut.toString(), "--resume")));
        RunRecord resumed = ContinualRunner.read(cut.resolve("metrics.json"));
        assertEquals(expected.accuracy, resumed.accuracy);
        assertEquals(expected.stepLosses, resumed.stepLosses);
        try (var s = Files.list(cut.resolve("checkpoints"))) {
            assertEquals(3, s.filter(x -> !x.getFileName().toString().startsWith(".")).count());
        }
        try (var s = Files.list(cut.resolve("checkpoints"))) {
            assertEquals(0, s.filter(x -> x.getFileName().toString().startsWith(".")).count(), "no half-written checkpoint remains");
        }
        assertTrue(Files.isRegularFile(cut.resolve("checkpoints").resolve(resumed.checkpoints.get(2)).resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(cut.resolve("checkpoints").resolve(resumed.checkpoints.get(2)).resolve("config.json")));
    }

    /** A benchmark whose sentences are far longer than the tiny model's 64 positions still trains: they are cut. */
    @Test
    void benchmarkSentencesAreCutToTheModelsContext() throws Exception {
        Path model = tinyModel(dir);
        Path data = dir.resolve("cl");
        Path task = Files.createDirectories(data.resolve("TC").resolve("news"));
        Files.writeString(data.resolve("instruction_config.json"),
                "{\"TC\":[{\"instruction_type\":\"zero-shot\",\"instruction\":\"Topic?\\n\"}]}");
        Files.writeString(task.resolve("labels.json"), "[\"World\",\"Sports\"]");
        java.util.SplittableRandom r = new java.util.SplittableRandom();
        for (String split : List.of("train", "test")) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < 6; i++) {
                StringBuilder sentence = new StringBuilder();
                while (sentence.length() < 300) sentence.append(Long.toHexString(r.nextLong())).append(' ');
                sb.append(i == 0 ? "" : ",").append("{\"label\":\"").append(i % 2 == 0 ? "World" : "Sports")
                        .append("\",\"sentence\":\"").append(sentence).append("\"}");
            }
            Files.writeString(task.resolve(split + ".json"), sb.append("]").toString());
        }
        Path out = dir.resolve("bench-run");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = Sculpt.execute("continual", "--model", model.toString(), "--benchmark", data.toString(), "--order", "news",
                    "--method", "seqft", "--batch-size", "3", "--out", out.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, code, buf.toString());
        assertTrue(Files.isRegularFile(out.resolve("metrics.json")));
        assertTrue(buf.toString().contains("cut"), "the run says that sentences were cut: " + buf);
    }

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
