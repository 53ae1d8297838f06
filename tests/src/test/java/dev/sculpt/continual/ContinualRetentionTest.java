package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.retention.Retention;
import dev.sculpt.text.ByteTokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sculpt continual --retain}: the metrics.json contract and bad input. */
class ContinualRetentionTest {
    @TempDir Path dir;

    private record Run(int code, String out, String err) {}

    private static Run sculpt(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        CommandLine cl = Sculpt.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
    }

    @Test
    void metricsHoldBaselineAndOnePerplexityPerTaskMeasuredOnTheSavedModels() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        Path a = ContinualCommandTest.jsonl(dir, "a", 12, 1);
        Path b = ContinualCommandTest.jsonl(dir, "b", 12, 2);
        Path text = dir.resolve("general.txt");
        // the tiny model's context is 64 positions: the third line (BOS + 80 bytes) is cut to it
        Files.writeString(text, "the cat sat on the mat\nfed the dog\n" + "x".repeat(80) + "\n");
        Path out = dir.resolve("run");
        Run r = sculpt("continual", "--model", model.toString(), "--tasks", a + "," + b, "--method", "seqft",
                "--lr", "1e-2", "--epochs", "2", "--batch-size", "4", "--out", out.toString(), "--retain", text.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("lines cut to the model's context (64 tokens): 1;"), r.out());
        assertTrue(r.out().contains("retention perplexity"), r.out());

        JsonNode ret = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).get("retention");
        List<String> keys = new ArrayList<>();
        ret.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("file", "baseline", "perplexity"), keys);
        assertEquals("general.txt", ret.get("file").asText());
        assertEquals(2, ret.get("perplexity").size());

        Retention measure = Retention.load(text, new ByteTokenizer(), 64);
        try (LanguageModel m = Models.load(model)) {
            assertEquals(measure.perplexity(m), ret.get("baseline").asDouble(), 1e-9 * ret.get("baseline").asDouble());
        }
        RunRecord rec = ContinualRunner.read(out.resolve("metrics.json"));
        for (int t = 0; t < 2; t++) {
            try (LanguageModel m = Models.load(out.resolve("checkpoints").resolve(rec.checkpoints.get(t)))) {
                double want = measure.perplexity(m);
                assertEquals(want, ret.get("perplexity").get(t).asDouble(), 1e-6 * want, "after task " + (t + 1));
            }
        }
        assertNotEquals(ret.get("baseline").asDouble(), ret.get("perplexity").get(1).asDouble(), "training at lr 1e-2 moves the model");
        assertTrue(r.out().contains("retention perplexity " + rec.retention.summary()), r.out());

        // --resume must keep measuring on the same file, and may not drop it
        String[] again = {"continual", "--model", model.toString(), "--tasks", a + "," + b, "--method", "seqft",
                "--lr", "1e-2", "--epochs", "2", "--batch-size", "4", "--out", out.toString(), "--resume"};
        Run dropped = sculpt(again);
        assertEquals(2, dropped.code());
        assertTrue(dropped.err().contains("general.txt") && dropped.err().contains("--retain"), dropped.err());
        Path other = dir.resolve("other.txt");
        Files.writeString(other, "another text\n");
        String[] withOther = java.util.Arrays.copyOf(again, again.length + 2);
        withOther[again.length] = "--retain";
        withOther[again.length + 1] = other.toString();
        Run changed = sculpt(withOther);
        assertEquals(2, changed.code());
        assertTrue(changed.err().contains("general.txt") && changed.err().contains("other.txt"), changed.err());
        withOther[again.length + 1] = text.toString();
        Run same = sculpt(withOther);
        assertEquals(0, same.code(), same.err());
        JsonNode after = new ObjectMapper().readTree(out.resolve("metrics.json").toFile()).get("retention");
        assertEquals(ret, after, "a complete run resumed with the same file keeps its measurements");
    }

    @Test
    void badRetainFilesFailBeforeTraining() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        Path a = ContinualCommandTest.jsonl(dir, "a", 6, 1);
        Path out = dir.resolve("run");
        Run r = sculpt("continual", "--model", model.toString(), "--tasks", a.toString(), "--out", out.toString(),
                "--retain", dir.resolve("absent.txt").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--retain") && r.err().contains("absent.txt"), r.err());

        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        r = sculpt("continual", "--model", model.toString(), "--tasks", a.toString(), "--out", out.toString(), "--retain", empty.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("empty.txt") && r.err().contains("empty"), r.err());

        Path blank = dir.resolve("blank.txt");
        Files.writeString(blank, "\n \n");
        r = sculpt("continual", "--model", model.toString(), "--tasks", a.toString(), "--out", out.toString(), "--retain", blank.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("blank.txt") && r.err().contains("empty"), r.err());
        assertFalse(Files.exists(out.resolve("state.json")), "nothing trained or written for bad input");
    }
}
