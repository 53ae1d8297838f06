package dev.sculpt.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.data.TaskData;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinualDemoTest {
    /*
     * Coarse margins of the headline test, about half of the gaps the deterministic reduced run shows (osft vs seqft:
     * BWT -27.8 vs -83.3, mean final accuracy on the earlier tasks 40.0 vs 11.1 %, their mean test loss 1.12 vs 2.75
     * nats, 1 vs 0 tasks kept; recorded in bench/RESULTS.md), so that a change that loses the claim fails.
     */
    static final double BWT_MARGIN = 0.25;
    static final double EARLIER_MARGIN = 0.15;
    static final double LOSS_RATIO = 0.7;

    @TempDir Path dir;

    @Test
    void tasksAreDeterministicWithDisjointTestInputs() {
        List<TaskData> a = SyntheticTasks.generate(50, 10, 3), b = SyntheticTasks.generate(50, 10, 3);
        assertEquals(a, b);
        assertEquals(4, a.size());
        for (TaskData t : a) {
            Set<String> train = new HashSet<>();
            t.train().forEach(p -> train.add(p.prompt()));
            t.test().forEach(p -> assertTrue(!train.contains(p.prompt()), t.name() + " test input seen in training: " + p.prompt()));
        }
        for (var p : a.get(0).train()) {
            String w = p.prompt().substring(4, 7);
            assertEquals(new StringBuilder(w).reverse().toString(), p.completion());
        }
        assertEquals("bca", SyntheticTasks.shift("abh"));
        assertEquals("aabbcc", SyntheticTasks.dup("abc"));
    }

    @Test
    void storyCorpusIsDeterministicWithDistinctHeldOutSentences() {
        List<List<String>> a = StoryCorpus.generate(500, 50, 3), b = StoryCorpus.generate(500, 50, 3);
        assertEquals(a, b);
        assertEquals(500, a.get(0).size());
        assertEquals(50, a.get(1).size());
        Set<String> train = new HashSet<>(a.get(0));
        assertEquals(500, train.size());
        for (String s : a.get(1)) assertTrue(!train.contains(s), "held-out sentence seen in pre-training: " + s);
        assertTrue(!a.equals(StoryCorpus.generate(500, 50, 4)), "another seed gives another corpus");
    }

    @Test
    void smallDemoRunsBothMethodsWritesTheReportAndReusesTheCachedBase() throws Exception {
        ContinualDemo.Options o = ContinualDemo.Options.defaults(dir).withSize(32, 4, 1).withModel(32, 1)
                .withPretrain(64, 16, 1, 3e-3f).withProgress(false);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ContinualDemo.Result r = ContinualDemo.run(new PrintStream(buf, true), o);
        String out = buf.toString();
        assertTrue(out.contains("AA (%)") && out.contains("BWT (%)") && out.contains("perplexity"), out);
        assertTrue(out.contains("base: pre-trained"), out);
        assertEquals(4, r.osft().completedTasks);
        assertEquals(4, r.seqft().completedTasks);
        assertEquals(4, r.osft().retention.perplexity.size());
        assertEquals(r.osft().retention.baseline, r.seqft().retention.baseline, "both runs start from the same base");
        assertTrue(Files.size(dir.resolve("report.png")) > 1000);
        assertTrue(Files.isRegularFile(dir.resolve("osft/metrics.json")));
        assertTrue(Files.isRegularFile(dir.resolve("base/model.safetensors")));

        ByteArrayOutputStream again = new ByteArrayOutputStream();
        ContinualDemo.Result r2 = ContinualDemo.run(new PrintStream(again, true), o);
        assertTrue(again.toString().contains("base: reusing"), again.toString());
        assertEquals(r.osft().retention.baseline, r2.osft().retention.baseline, 0.0, "the cached base is the same model");
        assertEquals(r.osft().accuracy, r2.osft().accuracy, "deterministic from the cached base");

        ByteArrayOutputStream other = new ByteArrayOutputStream();
        ContinualDemo.run(new PrintStream(other, true), o.withPretrain(64, 16, 2, 3e-3f));
        assertTrue(other.toString().contains("base: pre-trained"), "a different pre-training setting builds a new base");
    }

    @Test
    void letterTasksHaveOneCharacterAnswersByTheirRules() {
        List<TaskData> a = DemoTaskSet.LETTERS.generate(60, 20, 5);
        assertEquals(List.of("last", "next", "count", "mid"), DemoTaskSet.LETTERS.names());
        for (TaskData t : a) {
            Set<String> train = new HashSet<>();
            t.train().forEach(p -> train.add(p.prompt()));
            t.test().forEach(p -> assertTrue(!train.contains(p.prompt()), t.name() + " test input seen in training: " + p.prompt()));
            for (var p : t.train()) {
                assertEquals(1, p.completion().length(), p.toString());
                String w = p.prompt().substring(p.prompt().indexOf(' ') + 1, p.prompt().length() - 1);
                String want = switch (t.name()) {
                    case "last" -> w.substring(w.length() - 1);
                    case "next" -> SyntheticTasks.shift(w.substring(w.length() - 1));
                    case "count" -> Long.toString(w.chars().filter(c -> c == 'a').count());
                    default -> w.substring(1, 2);
                };
                assertEquals(want, p.completion(), t.name() + " " + p);
            }
        }
    }

    @Test
    void storyTasksCopyTheAskedPartOfTheSentence() {
        for (TaskData t : DemoTaskSet.STORIES.generate(40, 10, 5)) {
            Set<String> train = new HashSet<>();
            t.train().forEach(p -> train.add(p.prompt()));
            t.test().forEach(p -> assertTrue(!train.contains(p.prompt()), t.name() + " test sentence seen in training: " + p.prompt()));
            for (var p : t.train()) {
                assertTrue(p.prompt().startsWith(t.name() + ": ") && p.prompt().endsWith("="), p.toString());
                assertTrue(p.prompt().contains(p.completion()), "the answer is part of the sentence: " + p);
            }
        }
    }

    /**
     * The headline claim, pinned at a reduced size (fewer examples and corpus sentences than {@code sculpt demo}, the
     * same model, tasks and method settings): OSFT retains the pre-trained ability far better (its held-out perplexity
     * rise is under a tenth of SeqFT's), ends with a higher mean accuracy and a lower mean test loss on the earlier
     * tasks, keeps more of them at half their just-learned accuracy, and has a BWT at least 25 points higher (the full-size
     * demo shows the same signs with smaller task margins: see bench/RESULTS.md); the summary
     * says which tasks each method kept.
     */
    @Test
    void osftKeepsThePretrainedAbilityAndMoreOfTheEarlierTasks() {
        ContinualDemo.Options o = ContinualDemo.Options.defaults(dir).withSize(300, 30, 5).withPretrain(1000, 100, 3, 3e-3f).withProgress(false);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ContinualDemo.Result r = ContinualDemo.run(new PrintStream(buf, true), o);
        String out = buf.toString();
        double ro = ContinualDemo.Result.rise(r.osft()), rs = ContinualDemo.Result.rise(r.seqft());
        assertTrue(rs > 0 && ro < 0.1 * rs, "perplexity rise osft " + ro + " seqft " + rs + "\n" + out);
        assertTrue(r.bwtGain() >= BWT_MARGIN, "BWT gain " + r.bwtGain() + "\n" + out);
        assertTrue(ContinualDemo.earlierFinal(r.osft()) >= ContinualDemo.earlierFinal(r.seqft()) + EARLIER_MARGIN, out);
        assertTrue(ContinualDemo.earlierFinalLoss(r.osft()) < LOSS_RATIO * ContinualDemo.earlierFinalLoss(r.seqft()), out);
        assertTrue(ContinualDemo.kept(r.osft()).size() > ContinualDemo.kept(r.seqft()).size(), out);
        assertTrue(out.contains("OSFT's rise is") && out.contains("OSFT's BWT is") && out.contains("higher than SeqFT's"), out);
        boolean neither = ContinualDemo.kept(r.osft()).isEmpty() && ContinualDemo.kept(r.seqft()).isEmpty();
        assertEquals(neither, out.contains("Neither method keeps an earlier task"), out);
    }
}
