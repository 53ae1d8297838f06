package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.eval.Evaluator;
import dev.sculpt.model.Example;
import dev.sculpt.model.Models;
import dev.sculpt.ops.ParityProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --device-memory} on the training commands: a run whose memory plan does not fit the device is refused before
 * anything is written, with the plan table and its largest components; the figure it is refused with is the one
 * {@code sculpt plan --json} gives for the same settings; a size that cannot be parsed is refused.
 */
class DeviceMemoryFlagTest {
    private static final Pattern SETTINGS = Pattern.compile("(\\d+) tokens per micro-batch \\(sequences of (\\d+)\\), (\\d+) of them with a loss");
    private static final Pattern TOTAL = Pattern.compile("(?m)^total\\s+([\\d,]+)\\s");
    @TempDir Path dir;

    private Set<Path> listing() throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.collect(Collectors.toSet());
        }
    }

    @Test
    void aContinualRunThatDoesNotFitIsRefusedUpFrontWithThePlanSculptPlanGives() throws Exception {
        ParityProvider.require();   // cuda-emulated, or the provider -Dsculpt.parity.provider names
        Path model = ContinualCommandTest.tinyModel(dir);
        Path a = ContinualCommandTest.jsonl(dir, "a", 6, 1), b = ContinualCommandTest.jsonl(dir, "b", 5, 2);
        Path out = dir.resolve("run");
        Set<Path> before = listing();
        CliRun r = CliRun.of("continual", "--model", model.toString(), "--tasks", a + "," + b, "--method", "osft", "--rank-ratio", "0.5",
                "--batch-size", "3", "--device", ParityProvider.DEVICE, "--device-memory", "1M", "--out", out.toString());
        assertEquals(2, r.code(), r.out() + r.err());
        String err = r.err();
        assertTrue(err.contains("does not fit") && err.contains("fits: no") && err.contains("--device-memory"), err);
        // a tiny model's plan is mostly the 1 GiB runtime reserve the workspace carries, then its logits (activations)
        assertTrue(err.contains("largest: workspace") && err.contains("activations"), err);
        for (String c : new String[] {"weights", "gradients", "adamw_state", "bases"}) assertTrue(err.contains(c), c + ": " + err);
        assertEquals(before, listing(), "nothing written");

        // the run plans micro-batches of max(--batch-size 3, evaluation batch 8) sequences of its longest example,
        // with the loss rows of its longest completion (with no --eval files, the evaluation sets are the training sets)
        Evaluator eval = new Evaluator(Models.tokenizer(model), false);
        int longest = 0, longestTarget = 0;
        for (Path f : new Path[] {a, b}) {
            for (Example e : eval.examples(JsonlTasks.task(f, null).train())) {
                longest = Math.max(longest, e.prompt().length + e.target().length);
                longestTarget = Math.max(longestTarget, e.target().length);
            }
        }
        Matcher s = SETTINGS.matcher(err), t = TOTAL.matcher(err);
        assertTrue(s.find() && t.find(), err);
        assertEquals(longest, Integer.parseInt(s.group(2)));
        assertEquals(8L * longest, Long.parseLong(s.group(1)));
        assertEquals(8L * longestTarget, Long.parseLong(s.group(3)));
        assertTrue(longestTarget < longest, "fewer loss rows than tokens");
        CliRun plan = CliRun.of("plan", "--model", model.toString(), "--device-memory", "1M", "--method", "osft", "--rank-ratio", "0.5",
                "--micro-batch-tokens", s.group(1), "--seq-len", s.group(2), "--loss-tokens", s.group(3), "--json");
        assertEquals(0, plan.code(), plan.err());
        JsonNode j = new ObjectMapper().readTree(plan.out());
        assertEquals(j.get("total_bytes").asLong(), Long.parseLong(t.group(1).replace(",", "")));
        assertTrue(!j.get("fits").asBoolean());
    }

    @Test
    void anEvolveRunThatDoesNotFitIsRefusedBeforeItsIndexIsBuilt() throws Exception {
        ParityProvider.require();
        Path model = ContinualCommandTest.tinyModel(dir);
        Path questions = Files.writeString(dir.resolve("probe.jsonl"), "{\"id\":\"p1\",\"question\":\"What is the town of Ansel?\",\"answer\":\"Brill\"}\n");
        Path corpus = Files.writeString(dir.resolve("wiki.jsonl"), "{\"id\":\"1\",\"title\":\"Ansel\",\"text\":\"The town of Ansel is Brill.\"}\n");
        Set<Path> before = listing();
        CliRun r = CliRun.of("evolve", "--model", model.toString(), "--questions", questions.toString(), "--corpus", corpus.toString(),
                "--rounds", "1", "--batch-size", "2", "--max-tokens", "48", "--device", ParityProvider.DEVICE, "--device-memory", "1M",
                "--out", dir.resolve("e").toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("does not fit") && r.err().contains("fits: no") && r.err().contains("largest: workspace"), r.err());
        assertTrue(r.err().contains("96 tokens per micro-batch (sequences of 48)"), "--batch-size x --max-tokens: " + r.err());
        // the evaluation: "Question: " (10) + the question (26) + "\nAnswer:" (8) and the BOS, one byte token each, and
        // the default --max-new-tokens 32; the prompt is shorter than --max-tokens, so it widens nothing
        assertTrue(r.err().contains("evaluation: prompts of at most 45 tokens, 32 new tokens"), r.err());
        assertEquals(before, listing(), "nothing written");
    }

    @Test
    void aSizeThatCannotBeParsedIsRefused() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        Path a = ContinualCommandTest.jsonl(dir, "a", 6, 1);
        Set<Path> before = listing();
        CliRun r = CliRun.of("continual", "--model", model.toString(), "--tasks", a.toString(), "--device-memory", "lots",
                "--out", dir.resolve("run").toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--device-memory") && r.err().contains("'lots'"), r.err());
        r = CliRun.of("evolve", "--model", model.toString(), "--questions", a.toString(), "--corpus", a.toString(), "--rounds", "1",
                "--device-memory", "12Qi", "--out", dir.resolve("e").toString());
        assertEquals(2, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("--device-memory") && r.err().contains("'12Qi'"), r.err());
        assertEquals(before, listing(), "nothing written");
    }
}
