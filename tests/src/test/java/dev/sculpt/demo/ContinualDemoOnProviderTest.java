package dev.sculpt.demo;

import static dev.sculpt.FloatBounds.gamma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.backend.Backends;
import dev.sculpt.cli.CliRun;
import dev.sculpt.continual.RunRecord;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt demo --device} selects the provider of the whole demo: the continual demo, reduced to its smallest
 * size, pre-trains, trains both methods (osft with its guard) and evaluates on cuda-emulated (or the provider
 * {@code -Dsculpt.parity.provider} names) with the losses and perplexities of the cpu run; the command line accepts
 * the provider and refuses cuda without a GPU with exit 2 before any work.
 */
class ContinualDemoOnProviderTest {
    @TempDir Path dir;

    /**
     * The smallest demo: hidden 16 (one head), one layer, one pre-training sentence and one training example per task
     * (one AdamW step each, batch 16), one test example per task, one held-out sentence. The emulator runs every CUDA
     * thread as a host thread, so even this costs far more than on cpu.
     */
    private static ContinualDemo.Options smallest(Path out) {
        return ContinualDemo.Options.defaults(out).withSize(1, 1, 1).withModel(16, 1).withPretrain(1, 1, 1, 3e-3f)
                .withProgress(false);
    }

    private static ContinualDemo.Result run(Path out, String provider) {
        try (Ops ops = OpsProviders.create(provider)) {
            return ContinualDemo.run(new PrintStream(new ByteArrayOutputStream(), true), smallest(out), ops);
        }
    }

    /*
     * Tolerance. Both runs start from the same weights (the initialiser draws on the host), so every difference is
     * float32 rounding carried through at most n = 5 AdamW steps (1 pre-training step, then 1 per task), compared
     * after those few steps rather than over a long trajectory.
     * - Forward: a loss is a mean of logsumexp(z) - z_y, within 2 max|dz| of exact. A logit s xn . W_v is within
     *   gamma(D) ||xn|| ||W_v|| <= gamma(D) sqrt(d) max|w_norm| ||W_v|| (LogitsDeviceParityTest's argument), with D the
     *   chained roundings of one forward pass (counted in depth(), sequences at the 128-position cap). Both providers:
     *   twice that. Norms and rows are read from the cached base; the task steps move each element by at most a few lr
     *   (2e-3), which the factor 2 on them covers.
     * - Training: a gradient is within rho = 2 gamma(2D) K of the other provider's, relative to its absolute-value
     *   scale, with K = 25 for the cancellation in the softmax and RMS-norm Jacobians (LlamaProviderParityTest's factor).
     *   AdamW turns that into an update differing by lr rho relative, except where |g_i| is within its own rounding,
     *   whose sign may flip (update differs by <= 2 lr) but whose first-order effect on the loss, |g_i| 2 lr, is again
     *   <= 2 lr rho A_i. A step whose loss change is about lr ||g||_1 therefore changes by <= 3 rho of it, and n steps
     *   move a loss by <= 3 rho n S, with S the largest change the cpu run's training made to any recorded loss.
     * A training path that differs (a wrong gradient, a missed update, a skipped guard) moves losses by about S.
     */
    @Test
    void theDemoOnTheProviderMatchesCpu() throws Exception {
        ParityProvider.require();
        ContinualDemo.Result cpu = run(dir.resolve("cpu"), "cpu");
        ContinualDemo.Result dev = run(dir.resolve("dev"), ParityProvider.DEVICE);

        int d = 16, n = 5;
        int depth = depth(d, 2 * d, d, 128);
        float[] head, norm;
        try (SafeTensors st = SafeTensors.open(dir.resolve("cpu/base/model.safetensors"))) {
            head = st.read(st.contains("lm_head.weight") ? "lm_head.weight" : "model.embed_tokens.weight");
            norm = st.read("model.norm.weight");
        }
        double maxRow = 0;
        for (int v = 0; v < head.length / d; v++) {
            double s = 0;
            for (int j = 0; j < d; j++) s += (double) head[v * d + j] * head[v * d + j];
            maxRow = Math.max(maxRow, Math.sqrt(s));
        }
        double forward = 2 * 2 * gamma(depth) * Math.sqrt(d) * 2 * FloatBounds.maxAbs(norm) * 2 * maxRow;
        double rho = 2 * gamma(2 * depth) * 25;
        List<Double> all = losses(cpu);
        double spread = Math.max(trainingChange(cpu.osft()), trainingChange(cpu.seqft()));
        double tol = forward + 3 * rho * n * spread;
        assertTrue(spread > 10 * tol, "the training moved the losses by " + spread + ", not far above the bound " + tol);

        List<Double> other = losses(dev);
        assertEquals(all.size(), other.size());
        double worst = 0;
        for (int i = 0; i < all.size(); i++) {
            double diff = Math.abs(all.get(i) - other.get(i));
            assertTrue(diff <= tol, "value " + i + " (log-perplexity or loss): cpu " + all.get(i) + " vs " + ParityProvider.DEVICE
                    + " " + other.get(i) + ", bound " + tol + "; all cpu " + all + ", all device " + other);
            worst = Math.max(worst, diff);
        }
        System.out.printf("demo on %s: %d values, spread %.3f, bound %.2e, largest difference %.1e%n", ParityProvider.DEVICE,
                all.size(), spread, tol, worst);
    }

    /**
     * Chained roundings of one forward pass of a one-layer LLaMA of width h, MLP width inter, head width hd over t
     * positions: RMS norm (h + 3), q/k/v (h), RoPE (3), scores (hd + 1), softmax (t + 8: max, expf, sum, divide),
     * weights x values (t), o_proj (h), residual (1), RMS norm (h + 3), gate/up (h), SiLU and product (9), down
     * (inter), residual (1), then the final norm (h + 3) and the head (h).
     */
    private static int depth(int h, int inter, int hd, int t) {
        return (h + 3) + h + 3 + (hd + 1) + (t + 8) + t + h + 1 + (h + 3) + h + 9 + inter + 1 + (h + 3) + h;
    }

    /**
     * The largest change training made to a recorded loss: each task's test loss after any task and its first step's
     * loss against the base's loss on it, and the held-out log-perplexity after each task against the base's.
     */
    private static double trainingChange(RunRecord r) {
        double m = 0;
        for (int i = 0; i < r.testLoss.size(); i++) {
            m = Math.max(m, Math.abs(r.stepLosses.get(i).get(0) - r.initialLoss.get(i)));
            for (int j = 0; j < r.testLoss.get(i).size(); j++) {
                Double x = r.testLoss.get(i).get(j);
                if (x != null) m = Math.max(m, Math.abs(x - r.initialLoss.get(j)));
            }
            m = Math.max(m, Math.abs(Math.log(r.retention.perplexity.get(i)) - Math.log(r.retention.baseline)));
        }
        return m;
    }

    /** Every continuous figure of both runs: log of each perplexity, initial, step and test losses, in order. */
    private static List<Double> losses(ContinualDemo.Result r) {
        List<Double> out = new ArrayList<>();
        for (RunRecord rec : List.of(r.osft(), r.seqft())) {
            out.add(Math.log(rec.retention.baseline));
            for (double p : rec.retention.perplexity) out.add(Math.log(p));
            out.addAll(rec.initialLoss);
            for (List<Double> s : rec.stepLosses) out.addAll(s);
            for (List<Double> row : rec.testLoss) for (Double x : row) if (x != null) out.add(x);
        }
        return out;
    }

    @Test
    void theCommandLineAcceptsTheProviderAndRefusesCudaWithoutAGpu() throws Exception {
        ParityProvider.require();
        // the kernel demo is the cheap one; the flag is parsed and the provider opened the same way for every demo
        CliRun r = CliRun.of("demo", "--kernels", "--size", "tiny", "--layers", "1", "--device", ParityProvider.DEVICE);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("device: ops provider " + ParityProvider.DEVICE), r.out());

        assumeTrue(Backends.cuda().isEmpty(), "a CUDA GPU is usable here, so the missing-GPU path cannot be exercised");
        Path out = dir.resolve("refused");
        CliRun c = CliRun.of("demo", "--device", "cuda", "--out", out.toString());
        assertEquals(2, c.code(), c.out() + c.err());
        assertTrue(c.err().contains("--device cuda") && c.err().contains(Backends.cudaUnavailableReason()), c.err());
        assertTrue(!Files.exists(out), "nothing written before the refusal");
    }
}
