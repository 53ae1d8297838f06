package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.demo.EvolveDemo;
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
    void tinyDemoRunsEndToEnd() {
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
        assertTrue(Files.isRegularFile(dir.resolve("corpus/wiki.jsonl")));
        for (RoundMetrics m : r.rounds().subList(1, r.rounds().size())) {
            assertTrue(m.trainSteps() > 0);
            assertTrue(m.probe().fixed() <= m.probe().total() && m.ood().broken() <= m.ood().total());
        }
    }
}
