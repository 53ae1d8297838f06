package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.retention.Retention;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sculpt evolve --retain}: metrics.json's "retention" (baseline, one entry per round) and bad input. */
class EvolveRetentionTest {
    @TempDir Path dir;

    private static int sculpt(StringWriter err, List<String> args) {
        CommandLine cl = Sculpt.commandLine();
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args.toArray(String[]::new));
    }

    @Test
    void oneRoundRecordsBaselineAndOnePerplexity() throws Exception {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "5"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        Path text = dir.resolve("story.txt");
        Files.writeString(text, "Once upon a time there was a town.\nThe owl flew home.\n");
        Path out = dir.resolve("run");
        List<String> a = new ArrayList<>(List.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki().toString(), "--rounds", "1", "--out", out.toString(), "--samples", "0", "--delta", "0",
                "--max-new-tokens", "4", "--lr", "1e-3", "--max-tokens", "96", "--save", "--retain", text.toString()));
        StringWriter err = new StringWriter();
        assertEquals(0, sculpt(err, a), err.toString());
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        JsonNode ret = m.get("retention");
        List<String> keys = new ArrayList<>();
        ret.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("file", "baseline", "perplexity"), keys);
        assertEquals("story.txt", ret.get("file").asText());
        assertEquals(m.get("rounds").size() - 1, ret.get("perplexity").size(), "one entry per training round");
        assertEquals(1, ret.get("perplexity").size());
        Retention measure = Retention.load(text, Models.tokenizer(model), Retention.contextOf(model));
        try (LanguageModel before = Models.load(model)) {
            assertEquals(measure.perplexity(before), ret.get("baseline").asDouble(), 1e-9 * ret.get("baseline").asDouble());
        }
        try (LanguageModel after = Models.load(out.resolve("model"))) {
            double want = measure.perplexity(after);
            assertEquals(want, ret.get("perplexity").get(0).asDouble(), 1e-6 * want);
        }
        // metrics.png: the accuracy chart (440 px) with the retention chart (360 px) below it
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(out.resolve("metrics.png").toFile());
        assertEquals(440 + 360, png.getHeight(), "retention chart below the accuracy chart");
    }

    @Test
    void aMissingRetainFileFailsBeforeTraining() throws Exception {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "5"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        Path out = dir.resolve("run");
        StringWriter err = new StringWriter();
        int code = sculpt(err, List.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki().toString(), "--rounds", "1", "--out", out.toString(), "--retain", dir.resolve("gone.txt").toString()));
        assertEquals(2, code);
        assertTrue(err.toString().contains("gone.txt"), err.toString());
        assertFalse(Files.exists(out.resolve("metrics.json")));
    }
}
