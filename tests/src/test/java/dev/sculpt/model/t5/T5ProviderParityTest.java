package dev.sculpt.model.t5;

import static dev.sculpt.FloatBounds.U;
import static dev.sculpt.FloatBounds.gamma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.model.Example;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.ops.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One tiny T5 built from the same seed on {@code cpu} and on {@code cuda-emulated} (the engine's CUDA kernels and
 * launch wrappers built for the host): logits, every parameter's gradient after forwardBackward, and one AdamW step
 * (ops.adamwUpdate, applied with axpy) agree to float32 tolerance. Inputs, layer norms and position-bias tables are
 * fresh random values each run (the seed is in every message).
 *
 * <p>Tolerances ({@link FloatBounds}): a float32 evaluation of a quantity made of D chained roundings is within
 * gamma(D) of its absolute-value scale A (the value computed with every term replaced by its absolute value);
 * two providers, summing in other orders, are within 2 gamma(D) A of each other. Forward D ~ 400 and forward plus
 * backward D ~ 800, as in {@link T5ModelTest} (2 + 2 blocks of inner products over <= 12 terms, attention,
 * cross-attention, head). The scale A is bounded from the model itself as each check says, so a wrong weight, mask,
 * bias bucket or head (an error of the order of the terms) cannot hide under it.
 */
class T5ProviderParityTest {
    static final String DEVICE = ParityProvider.DEVICE;

    private static final int FORWARD_ROUNDINGS = 400;
    private static final int TRAINING_ROUNDINGS = 800;

    static void requireEmulated() {
        ParityProvider.require();
    }

    /** HF init from the seed on a provider, then random layer norms and position-bias tables (as T5ModelTest). */
    private static T5Model model(T5Config c, long seed, Ops ops) {
        T5Model m = ops == null ? T5Model.init(c, seed) : T5Model.init(c, seed, ops);
        Random r = new Random(seed + 1);
        for (Parameter p : m.parameters()) {
            boolean norm = p.name().endsWith("layer_norm.weight");
            if (!norm && !p.name().endsWith("relative_attention_bias.weight")) continue;
            float[] v = new float[p.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (norm ? 1 + 0.3 * r.nextGaussian() : r.nextGaussian());
            p.copyFrom(v);
        }
        return m;
    }

    private static int[] ids(Random r, int n, int vocab) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = r.nextInt(vocab);
        return out;
    }

    private static double norm2(float[] a, int from, int len) {
        double s = 0;
        for (int i = from; i < from + len; i++) s += (double) a[i] * a[i];
        return Math.sqrt(s);
    }

    @ParameterizedTest(name = "{0}, tied={1}")
    // one configuration keeps the emulated run short (one host thread per CUDA thread: seconds even at this size):
    // gated-gelu (two input projections and the gated kernel) with the tied, d_model^-0.5-scaled head; relu and
    // the untied head run the same blocks and ops, covered on every provider by OpsContractTest and T5ModelTest
    @CsvSource({"gated-gelu, true"})
    void logitsGradientsAndOneAdamWStepMatchCpu(String ff, boolean tied) {
        requireEmulated();
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        T5Config c = T5ModelTest.tiny(ff, tied);
        int vocab = c.vocabSize(), d = c.dModel();
        String where = "seed " + seed + ", " + ff + ", tied " + tied;
        // prompts of 6 and 3 tokens, targets of 5 and 4 (lengths past the 8 buckets' exact range: log buckets too)
        List<Example> batch = List.of(new Example(ids(rnd, 6, vocab), ids(rnd, 5, vocab)),
                new Example(ids(rnd, 3, vocab), ids(rnd, 4, vocab)));
        try (T5Model cpu = model(c, seed, null);
             Ops emu = OpsProviders.create(DEVICE);
             T5Model dev = model(c, seed, emu)) {
            assertEquals(DEVICE, dev.ops().name());
            List<Parameter> pc = cpu.parameters(), pd = dev.parameters();
            for (int i = 0; i < pc.size(); i++) {
                assertEquals(pc.get(i).name(), pd.get(i).name());
                assertEquals(0.0, FloatBounds.maxAbsDiff(pc.get(i).toArray(), pd.get(i).toArray()), where + ": initial " + pc.get(i).name());
            }

            // Logits: logit (t, v) = s xn_t . W_v with xn_t the decoder's final norm output (s = d^-1/2 when tied).
            // Its absolute-value scale, and the norm-wise size of the upstream rounding carried into it, are bounded
            // by Cauchy-Schwarz: s ||xn_t|| ||W_v|| <= s max|w_final| sqrt(d) ||W_v|| (RMS-normed rows have norm
            // sqrt(d) before the weight). Bound: 2 gamma(400) times that.
            int[] enc = ids(rnd, 7, vocab), dec = ids(rnd, 5, vocab);
            float[][] lc = cpu.logits(enc, dec), ld = dev.logits(enc, dec);
            float[] head = cpu.parameter(tied ? "shared.weight" : "lm_head.weight").toArray();
            double s = tied ? Math.pow(d, -0.5) : 1;
            double xnNorm = FloatBounds.maxAbs(cpu.parameter("decoder.final_layer_norm.weight").toArray()) * Math.sqrt(d);
            for (int t = 0; t < dec.length; t++) {
                for (int v = 0; v < vocab; v++) {
                    double tol = 2 * gamma(FORWARD_ROUNDINGS) * s * xnNorm * norm2(head, v * d, d);
                    assertEquals(lc[t][v], ld[t][v], tol, where + ": logit " + t + "," + v);
                }
            }

            // Gradients. The absolute-value scale of a gradient element is at least the sum over target tokens of
            // the absolute values of each token's contribution; those are measured on the cpu model (the decoder is
            // causal, so token k's contribution is the gradient for target[0..k] minus that for target[0..k-1]).
            // Errors inside one token's backward pass through the normalisations and spread over a parameter's
            // elements, so each parameter is held to 2 gamma(800) times its largest such scale A_p (>= max |g_p|:
            // the ratio measures the cancellation across tokens instead of assuming it).
            List<double[]> scale = new ArrayList<>();
            for (Parameter p : pc) scale.add(new double[p.size()]);
            for (Example ex : batch) {
                List<float[]> prev = null;
                for (int k = 1; k <= ex.target().length; k++) {
                    for (Parameter p : pc) p.zeroGrad();
                    cpu.forwardBackward(List.of(new Example(ex.prompt(), Arrays.copyOf(ex.target(), k))), 1f);
                    List<float[]> cur = new ArrayList<>();
                    for (int i = 0; i < pc.size(); i++) {
                        float[] g = pc.get(i).gradientToArray();
                        double[] a = scale.get(i);
                        for (int j = 0; j < g.length; j++) a[j] += Math.abs(g[j] - (prev == null ? 0f : prev.get(i)[j]));
                        cur.add(g);
                    }
                    prev = cur;
                }
            }
            float gradScale = 0.5f;
            for (Parameter p : pc) p.zeroGrad();
            for (Parameter p : pd) p.zeroGrad();
            LossSum sc = cpu.forwardBackward(batch, gradScale), sd = dev.forwardBackward(batch, gradScale);
            assertEquals(9, sc.tokens(), where);
            assertEquals(sc.tokens(), sd.tokens(), where);
            // the loss sums 9 positive per-token losses, each within gamma(400) of its scale (a few units: the logits'
            // scale above plus log vocab): 2e-4 (1 + loss) covers twice that
            assertEquals(sc.sum(), sd.sum(), 2e-4 * (1 + sc.sum()), where + ": loss sum");
            double[] gradTol = new double[pc.size()];
            List<float[]> gc = new ArrayList<>();
            for (int i = 0; i < pc.size(); i++) {
                float[] a = pc.get(i).gradientToArray(), b = pd.get(i).gradientToArray();
                double gmax = FloatBounds.maxAbs(a);
                assertTrue(gmax > 0, where + ": no gradient reached " + pc.get(i).name());
                double amax = 0;
                for (double x : scale.get(i)) amax = Math.max(amax, x);
                gradTol[i] = 2 * gamma(TRAINING_ROUNDINGS) * gradScale * amax;
                double diff = FloatBounds.maxAbsDiff(a, b);
                assertTrue(diff <= gradTol[i], where + ": gradient of " + pc.get(i).name() + " differs by " + diff
                        + " > " + gradTol[i] + " (max |g| " + gmax + ", scale " + gradScale * amax + ")");
                gc.add(a);
            }

            // One AdamW step per tensor with the provider's own gradient and eps_p = max|g_p| (a legitimate, large eps
            // that keeps the step a smooth function of g). At step 1 with zero moments the update is
            // delta = -lr g / (|g| + eps_p) - lr wd w, whose derivative in g is at most lr / eps_p: the gradients'
            // difference (<= gradTol_p) moves delta by <= lr gradTol_p / eps_p. The weights start identical; the update's
            // own float32 arithmetic (about 10 roundings of terms <= lr (1 + wd |w|)) and the final add (one rounding
            // of |w| + |delta|) add 2 (10 u lr (1 + wd |w|) + u (|w| + |delta|)) between providers. The step moves
            // weights by up to lr, far beyond the bound.
            float lr = 1e-2f, wd = 0.1f;
            for (int i = 0; i < pc.size(); i++) {
                float eps = (float) FloatBounds.maxAbs(gc.get(i));
                AdamWStep step = new AdamWStep(lr, 0.9f, 0.999f, eps, wd, 1);
                float[] before = pc.get(i).toArray();
                float[] wc = adamw(cpu.ops(), pc.get(i), step), wdv = adamw(dev.ops(), pd.get(i), step);
                double moved = FloatBounds.maxAbsDiff(before, wc);
                assertTrue(moved > 0.1 * lr, where + ": AdamW barely moved " + pc.get(i).name() + " (" + moved + ")");
                for (int j = 0; j < wc.length; j++) {
                    double w = Math.abs(before[j]), dj = Math.abs(wc[j] - before[j]);
                    double tol = lr * gradTol[i] / eps + 2 * (10 * U * lr * (1 + wd * w) + U * (w + dj));
                    assertEquals(wc[j], wdv[j], tol, where + ": AdamW step of " + pc.get(i).name() + "[" + j + "]");
                }
            }
        }
    }

    /** m = v = 0, one adamwUpdate into delta, w += delta on the parameter's provider; the new weights on the heap. */
    private static float[] adamw(Ops ops, Parameter p, AdamWStep step) {
        int[] s = p.shape();
        try (Tensor m = ops.allocate("m " + p.name(), s); Tensor v = ops.allocate("v " + p.name(), s);
             Tensor delta = ops.allocate("delta " + p.name(), s)) {
            ops.adamwUpdate(p.value(), p.gradient(), m, v, delta, step);
            ops.axpy(1f, delta, p.value());
        }
        return p.toArray();
    }
}
