package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.TinyCheckpoints;
import dev.sculpt.cli.CliRun;
import dev.sculpt.ops.ParityProvider;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
 */
class EvolvePeakMemoryPlanTest {
    @TempDir Path dir;

    private static final Pattern PEAK = Pattern.compile("device memory: peak ([0-9,]+) bytes .* against the plan's ([0-9,]+) ");

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
