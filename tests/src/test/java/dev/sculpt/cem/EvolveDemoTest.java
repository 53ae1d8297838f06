package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.demo.EvolveDemo;
import dev.sculpt.io.JsonLines;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded demo, shrunk to seconds: a real tiny LLaMA, pre-training, one osft round, all three sets. */
class EvolveDemoTest {
    @TempDir Path dir;

    @Test
    void tinyDemoRunsEndToEnd() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        EvolveResult r = EvolveDemo.run(new PrintStream(buf, true), dir, EvolveDemo.Settings.tiny());
        String out = buf.toString();
        assertTrue(out.contains("pre-trained"), out);
        assertTrue(out.contains("round 0: probe"), out);
        RoundMetrics first = r.first();
        assertEquals(6, first.probe().total());
        assertEquals(6, first.heldout().total());
        assertEquals(16, first.ood().total());
        assertNotNull(r.stopReason());
        assertTrue(Files.isRegularFile(dir.resolve("run/metrics.json")));
        assertTrue(Files.isRegularFile(dir.resolve("run/metrics.png")));
        byte[] png = Files.readAllBytes(dir.resolve("run/metrics.png"));
        assertTrue(png.length > 100 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG image");
        JsonNode metrics = JsonLines.MAPPER.readTree(dir.resolve("run/metrics.json").toFile());
        assertEquals(r.rounds().size(), metrics.get("rounds").size());
        assertEquals(first.ood().total(), metrics.get("rounds").get(0).get("ood").get("total").asInt(), metrics.toString());
        assertEquals(r.stopReason(), metrics.get("stopReason").asText());
        assertTrue(Files.isRegularFile(dir.resolve("corpus/wiki.jsonl")));
        // the seqft comparison restarts from the pre-trained weights: its round 0 equals the osft loop's round 0
        JsonNode seqft = JsonLines.MAPPER.readTree(dir.resolve("run-seqft/metrics.json").toFile());
        assertEquals(metrics.get("rounds").get(0).get("ood").get("correct").asInt(), seqft.get("rounds").get(0).get("ood").get("correct").asInt());
        assertEquals(metrics.get("rounds").get(0).get("probe").get("correct").asInt(), seqft.get("rounds").get(0).get("probe").get("correct").asInt());
        assertTrue(out.contains("method round  probe"), out);
        for (RoundMetrics m : r.rounds().subList(1, r.rounds().size())) {
            assertTrue(m.trainSteps() > 0);
            assertTrue(m.probe().fixed() <= m.probe().total() && m.ood().broken() <= m.ood().total());
        }
    }
}
