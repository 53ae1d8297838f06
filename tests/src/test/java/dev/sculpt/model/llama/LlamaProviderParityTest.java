package dev.sculpt.model.llama;

import static dev.sculpt.FloatBounds.U;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.SculptException;
import dev.sculpt.ops.HostCopy;
import dev.sculpt.engine.Linear;
import dev.sculpt.model.Example;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.ops.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * One tiny LLaMA (GQA: 4 query heads over 2 kv heads, 2 layers, lm_head tied to the embedding) built from the same seed on
 * {@code cpu} and on {@code cuda-emulated} (the engine's CUDA kernels and launch wrappers built for the host): logits,
 * every parameter's gradient after forwardBackward, and one AdamW step (ops.adamwUpdate, applied with axpy) agree to
 * float32 tolerance. Inputs and norm weights are fresh random values each run (the seed is in every message).
 */
class LlamaProviderParityTest {
    static final String DEVICE = ParityProvider.DEVICE;

    static void requireEmulated() {
        ParityProvider.require();
    }

    /** The same random model on a provider: HF init from the seed, then random norm weights (norms at 1 hide bugs). */
    private static LlamaModel model(LlamaConfig cfg, long seed, Ops ops) {
        LlamaModel m = ops == null ? LlamaModel.create(cfg, seed) : LlamaModel.create(cfg, seed, ops);
        Random rnd = new Random(seed + 1);
        for (Parameter p : m.parameters()) {
            if (p.isMatrix()) continue;
            float[] v = new float[p.size()];
            for (int i = 0; i < v.length; i++) v[i] = (float) (1 + 0.3 * rnd.nextGaussian());
            p.copyFrom(v);
        }
        return m;
    }

    @Test
    void logitsGradientsAndOneAdamWStepMatchCpu() {
        requireEmulated();
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        // tied: the embedding's gradient gets both the lookup's and the lm_head's contributions (untied adds only
        // lm_head.weight, the same Linear path as every projection); one configuration keeps the emulated run short
        for (boolean tied : new boolean[] {true}) {
            LlamaConfig cfg = LlamaModelTest.tiny(tied);
            String where = "seed " + seed + ", tied " + tied;
            int[] ids = LlamaModelTest.randomIds(rnd, 9, cfg.vocabSize());
            List<Example> batch = LlamaModelTest.batch(rnd, cfg.vocabSize());
            try (LlamaModel cpu = model(cfg, seed, null);
                 Ops emu = OpsProviders.create(DEVICE);
                 LlamaModel dev = model(cfg, seed, emu)) {
                assertEquals(DEVICE, dev.ops().name());
                for (int i = 0; i < cpu.parameters().size(); i++) {
                    float[] a = cpu.parameters().get(i).toArray(), b = dev.parameters().get(i).toArray();
                    assertEquals(0.0, FloatBounds.maxAbsDiff(a, b), where + ": initial " + cpu.parameters().get(i).name());
                }

                // Logits: LlamaModelTest bounds each provider's float32 logit within 1e-4 (1 + |logit|) of the float64
                // model (gamma(305) ~ 1.8e-5 of the absolute-value scale, D ~ 305 chained roundings, with headroom 5
                // for that scale); two providers are then within twice that of each other. A wrong weight, mask or
                // head is O(1).
                float[][] lc = cpu.logits(ids, null), ld = dev.logits(ids, null);
                for (int t = 0; t < ids.length; t++) for (int v = 0; v < cfg.vocabSize(); v++) {
                    assertEquals(lc[t][v], ld[t][v], 2e-4 * (1 + Math.abs(lc[t][v])), where + ": logit " + t + "," + v);
                }

                // Gradients: along forward and backward each value is a chain of ~650 roundings (40 per layer-and-
                // direction of inner products over <= 24 terms, plus the sum over 11 target tokens): within
                // gamma(650) ~ 4e-5 of the absolute-value scale; measured against the parameter's largest gradient with
                // a factor 25 for the cancellation in the softmax and RMSNorm Jacobians (LlamaModelTest's
                // micro-batch bound): 1e-3 max|g| between two float32 evaluations. Loss sums: 11 positive terms.
                float scale = 0.5f;
                LossSum sc = cpu.forwardBackward(batch, scale), sd = dev.forwardBackward(batch, scale);
                assertEquals(sc.tokens(), sd.tokens(), where);
                assertEquals(sc.sum(), sd.sum(), 2e-4 * (1 + sc.sum()), where + ": loss sum");
                List<float[]> gc = new ArrayList<>();
                for (int i = 0; i < cpu.parameters().size(); i++) {
                    Parameter pc = cpu.parameters().get(i), pd = dev.parameters().get(i);
                    float[] a = pc.gradientToArray(), b = pd.gradientToArray();
                    double gmax = FloatBounds.maxAbs(a);
                    assertTrue(gmax > 0, where + ": no gradient reached " + pc.name());
                    assertTrue(FloatBounds.maxAbsDiff(a, b) <= 1e-3 * gmax,
                            where + ": gradient of " + pc.name() + " differs by " + FloatBounds.maxAbsDiff(a, b) + " (max |g| " + gmax + ")");
                    gc.add(a);
                }

                // One AdamW step per tensor with the provider's own gradient, eps_p = max|g_p| (a legitimate, large
                // eps that keeps the step a smooth function of g). At step 1 with zero moments the update is
                // delta = -lr g / (|g| + eps_p) - lr wd w, whose derivative in g is at most lr / eps_p: the gradient
                // difference (<= 1e-3 max|g| = 1e-3 eps_p) moves delta by <= 1e-3 lr. The weights start identical; the
                // update's own float32 arithmetic (about 10 roundings of terms <= lr (1 + wd |w|)) and the final add
                // (one rounding of |w| + |delta|) add 2 x (10 u lr (1 + wd |w|) + u (|w| + |delta|)) between providers.
                // The step moves weights by up to lr, far beyond the bound.
                float lr = 1e-2f, wd = 0.1f;
                for (int i = 0; i < cpu.parameters().size(); i++) {
                    Parameter pc = cpu.parameters().get(i), pd = dev.parameters().get(i);
                    float eps = (float) FloatBounds.maxAbs(gc.get(i));
                    AdamWStep step = new AdamWStep(lr, 0.9f, 0.999f, eps, wd, 1);
                    float[] before = pc.toArray();
                    float[] wc = adamw(cpu.ops(), pc, step), wdv = adamw(dev.ops(), pd, step);
                    double moved = FloatBounds.maxAbsDiff(before, wc);
                    assertTrue(moved > 0.1 * lr, where + ": AdamW barely moved " + pc.name() + " (" + moved + ")");
                    for (int j = 0; j < wc.length; j++) {
                        double w = Math.abs(before[j]), d = Math.abs(wc[j] - before[j]);
                        double tol = 1e-3 * lr + 2 * (10 * U * lr * (1 + wd * w) + U * (w + d));
                        assertEquals(wc[j], wdv[j], tol, where + ": AdamW step of " + pc.name() + "[" + j + "]");
                    }
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

    /** A device model saves (downloaded chunk by chunk) and loads (staged through the host) without changing a bit. */
    @Test
    void checkpointsMoveBetweenProvidersExactly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        requireEmulated();
        long seed = System.nanoTime();
        java.nio.file.Path out = dir.resolve("emulated-model");
        try (Ops emu = OpsProviders.create(DEVICE); LlamaModel dev = model(LlamaModelTest.tiny(false), seed, emu)) {
            dev.save(out, java.util.Map.of());
            try (LlamaModel host = LlamaModel.load(out); LlamaModel back = LlamaModel.load(out, emu)) {
                assertEquals("cpu", host.ops().name());
                assertEquals(DEVICE, back.ops().name());
                for (Parameter p : dev.parameters()) {
                    float[] want = p.toArray();
                    assertEquals(0.0, FloatBounds.maxAbsDiff(want, host.parameter(p.name()).toArray()), "seed " + seed + ": host " + p.name());
                    assertEquals(0.0, FloatBounds.maxAbsDiff(want, back.parameter(p.name()).toArray()), "seed " + seed + ": device " + p.name());
                }
            }
        }
    }

    @Test
    void hostTensorsOnTheEmulatedPathAreNamedErrors() {
        requireEmulated();
        try (Ops emu = OpsProviders.create(DEVICE);
             LlamaModel m = LlamaModel.create(LlamaModelTest.tiny(false), 3, emu);
             Tensor hostInput = Tensor.allocateHost("host activation rows", 2, 16)) {
            Parameter q = m.parameter("model.layers.0.self_attn.q_proj.weight");
            try (Tensor y = emu.allocate("q rows", 2, q.rows())) {
                SculptException e = assertThrows(SculptException.class, () -> new Linear(emu, q).forward(hostInput, y, false));
                assertTrue(e.getMessage().contains("host activation rows"), e.getMessage());
                assertTrue(HostCopy.toArray(emu, y).length == 2 * q.rows());
            }
            SculptException e = assertThrows(SculptException.class, q::data);
            assertTrue(e.getMessage().contains(q.name()), e.getMessage());
            // the model itself still works on its provider after the refused call
            assertEquals(3, m.logits(new int[] {1, 2, 3}, null).length);
        }
    }
}
