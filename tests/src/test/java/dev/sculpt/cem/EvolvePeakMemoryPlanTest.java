package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.TinyCheckpoints;
import dev.sculpt.cli.CliRun;
import dev.sculpt.ops.ParityProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code sculpt evolve --device cuda-emulated} (one round, EvolveOnProviderTest's hidden-16 LLaMA and inputs): the
 * device arena's peak against the plan the command makes at its start, as the command prints it.
 *
 * <p>Before this test the peak passed the plan: 3,408,256 bytes against 4,097,280 here (0.832), and about 1.10 of it
 * in larger runs, for two reasons, both fixed in the run rather than the plan: the layer-importance calibration of
 * the adaptive rank policy ran its 64 examples through the model in passes of up to 2048 tokens (here one pass of
 * 1,070 tokens against the plan's micro-batch of 8 x 96 = 768), whose activation buffers the arena then keeps; it now
 * runs passes of --batch-size examples (LanguageModel#blockInputOutputCosine(List, int)). And the arena allocated a
 * grown buffer before freeing the old one (two head.logits blocks at the peak); it now frees first. Measured after:
 * peak 2,360,704 bytes, plan 4,099,456 without its runtime reserve, 0.576.
 *
 * <p>Why 0.9 is not asserted: evolve builds its training data during the run (retrieved passages, generated
 * questions), so the plan, made before anything is read, can only size the stated bounds: micro-batches of
 * --batch-size x --max-tokens tokens (768), all of them loss rows (the first-token margin takes the logits of every
 * prompt row), each with a softmax row of --max-tokens per head. The round's real micro-batches were 616 tokens with
 * far fewer loss rows (the largest logits buffer was 226 rows, 234,136 bytes, against the plan's 768 rows, 795,648
 * bytes) and sequences shorter than 96 (softmax rows 401,168 bytes against the plan's 589,824). Those three terms alone
 * are 0.85 MB of the 1.74 MB gap; how close the peak comes to the plan depends on the data, not on the planner, so the
 * only bound that holds for every input within the stated limits is the upper one.
 *
 * <p>Since evolve's plan includes its evaluation (the KV caches and decoding scratch of its longest question prompt,
 * and bounds widened to that prompt) and plans T5 per stack from --max-tokens, measured on cuda-emulated
 * (2026-12-05): the run below, peak 2,360,704 against 4,154,240, 0.568; with every evaluation and a prompt longer than
 * --max-tokens, LLaMA 2,442,624 against 4,506,496 (0.542), recomputing 2,483,584 against 4,506,496 (0.551); T5
 * 2,779,264 against 7,877,504 (0.353), recomputing 2,824,320 against 7,975,808 (0.354). T5 is further below its plan
 * for the reason above, twice over: the plan takes --batch-size prompts and as many targets of --max-tokens - 1 tokens
 * each, the round's items are far shorter.
 */
class EvolvePeakMemoryPlanTest {
    @TempDir Path dir;

    private static final Pattern PEAK = Pattern.compile("device memory: peak ([0-9,]+) bytes .* against the plan's ([0-9,]+) ");

    /**
     * The run above with every kind of evaluation evolve does: greedy answers, sampled answers for agreement
     * ({@code --samples 2}), the first-token margin ({@code --delta 0.5}, whose forward takes the logits of the whole
     * prompt), on LLaMA and on T5, recomputing activations or not, and an ood question whose prompt (19 + 91 = 110
     * byte tokens with LLaMA's BOS, 18 + 91 + EOS with T5) is longer than --max-tokens 96, so that the plan's
     * bounds are widened to it (MemoryPlanner) and its KV cache (110 + 4 positions) is planned. The plan is made
     * before the run with the evaluation on top (component "evaluation"); the arena keeps the decoding scratch
     * through the round's training, and the KV caches of each question live beside everything the run holds.
     */
    @ParameterizedTest
    @CsvSource({"llama, false", "llama, true", "t5, false", "t5, true"})
    void evolvePeakWithItsEvaluationsStaysWithinItsPlan(String arch, boolean recompute) throws Exception {
        ParityProvider.require();
        Path model = arch.equals("llama") ? TinyCheckpoints.llama(dir.resolve("model"), 128) : TinyCheckpoints.t5(dir.resolve("model"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        String question = "In the long chronicle of the river towns, which old bridge did Ansel build over the Brill?!";
        assertEquals(91, question.length());   // ASCII: one byte token per character
        Path ood = Files.writeString(dir.resolve("ood.jsonl"), "{\"id\":\"o1\",\"question\":\"" + question + "\",\"answer\":\"stone\"}\n");
        List<String> args = new ArrayList<>(List.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki() + "," + f.web(), "--heldout", f.heldout().toString(), "--ood", ood.toString(),
                "--train-questions", f.train().toString(), "--rounds", "1", "--out", dir.resolve("run").toString(),
                "--samples", "2", "--delta", "0.5", "--max-new-tokens", "4", "--lr", "1e-3", "--max-tokens", "96",
                "--device", ParityProvider.DEVICE, "--seed", "5"));
        if (recompute) args.add("--recompute");
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.out() + r.err());
        Matcher m = PEAK.matcher(r.out());
        assertTrue(m.find(), "the run prints its peak against its plan: " + r.out());
        long peak = Long.parseLong(m.group(1).replace(",", "")), plan = Long.parseLong(m.group(2).replace(",", ""));
        System.out.printf(Locale.ROOT, "evolve %s%s with evaluations: peak %,d bytes, plan %,d without its runtime reserve: %.3f%n",
                arch, recompute ? " (recompute)" : "", peak, plan, (double) peak / plan);
        assertTrue(peak <= plan, "the peak passes the plan\n" + r.out());
    }

    @Test
    void evolvePeakStaysWithinItsPlan() throws Exception {
        ParityProvider.require();
        Path model = TinyCheckpoints.llama(dir.resolve("model"), 128);
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        CliRun r = CliRun.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki() + "," + f.web(), "--heldout", f.heldout().toString(), "--train-questions", f.train().toString(),
                "--rounds", "1", "--out", dir.resolve("run").toString(), "--samples", "0", "--delta", "0", "--max-new-tokens", "4",
                "--lr", "1e-3", "--max-tokens", "96", "--device", ParityProvider.DEVICE, "--seed", "5");
        assertEquals(0, r.code(), r.out() + r.err());
        Matcher m = PEAK.matcher(r.out());
        assertTrue(m.find(), "the run prints its peak against its plan: " + r.out());
        long peak = Long.parseLong(m.group(1).replace(",", "")), plan = Long.parseLong(m.group(2).replace(",", ""));
        System.out.printf(Locale.ROOT, "evolve: peak %,d bytes, plan %,d without its runtime reserve: %.3f%n", peak, plan, (double) peak / plan);
        assertTrue(peak <= plan, "the peak passes the plan\n" + r.out());
    }
}
