package dev.sculpt.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.sculpt.FloatBounds;
import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.Generator;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LlamaModelTest {
    /** 2 layers, 4 query heads sharing 2 kv heads, head dim 4; weights large enough for non-trivial gradients. */
    static LlamaConfig tiny(boolean tied) {
        return new LlamaConfig(13, 16, 24, 2, 4, 2, 4, 1e-5, 10000.0, null, 64, tied, 1, new int[]{2}, -1, 0.25);
    }

    static LlamaModel randomModel(LlamaConfig cfg, long seed) {
        LlamaModel m = LlamaModel.create(cfg, seed);
        Random rnd = new Random(seed + 1);
        for (Parameter p : m.parameters()) {
            if (!p.isMatrix()) for (int i = 0; i < p.size(); i++) p.data().put(i, (float) (1 + 0.3 * rnd.nextGaussian()));
        }
        return m;
    }

    static float[] grad(Parameter p) {
        float[] g = new float[p.size()];
        p.grad().get(0, g);
        return g;
    }

    static int[] randomIds(Random rnd, int n, int vocab) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextInt(vocab);
        return a;
    }

    static List<Example> batch(Random rnd, int vocab) {
        return List.of(new Example(randomIds(rnd, 3, vocab), randomIds(rnd, 4, vocab)),
                new Example(new int[0], randomIds(rnd, 6, vocab)),
                new Example(randomIds(rnd, 5, vocab), randomIds(rnd, 2, vocab)));
    }

    @Test
    void forwardMatchesFloat64ReferenceUntiedAndTied() {
        for (boolean tied : new boolean[]{false, true}) {
            try (LlamaModel m = randomModel(tiny(tied), 3)) {
                LlamaReference ref = new LlamaReference(m.config(), m.parameters());
                Random rnd = new Random(4);
                int[] ids = randomIds(rnd, 9, 13);
                float[][] got = m.logits(ids, null);
                double[][] want = ref.logits(ids);
                // float32 forward: each logit is within gamma(D) of its absolute-value scale, D ~ 305 chained roundings
                // (two layers of inner products over <= 24 terms, the head) -> 1.8e-5 of a scale of a few units;
                // the loss adds 11 positive terms. A wrong weight or a missing term is O(1).
                for (int t = 0; t < ids.length; t++) for (int v = 0; v < 13; v++) {
                    assertEquals(want[t][v], got[t][v], 1e-4 * (1 + Math.abs(want[t][v])), "logit " + t + "," + v + " tied=" + tied);
                }
                List<Example> b = batch(rnd, 13);
                LossSum l = m.loss(b);
                assertEquals(4 + 5 + 2, l.tokens());
                assertEquals(ref.loss(b), l.sum(), 1e-4 * (1 + Math.abs(l.sum())));
            }
        }
    }

    @Test
    void wholeModelGradientMatchesFloat64FiniteDifferences() {
        for (boolean tied : new boolean[]{false, true}) {
            try (LlamaModel m = randomModel(tiny(tied), 5)) {
                Random rnd = new Random(6);
                List<Example> b = batch(rnd, 13);
                float scale = 0.5f;
                LossSum l = m.forwardBackward(b, scale);
                LlamaReference ref = new LlamaReference(m.config(), m.parameters());
                assertEquals(ref.loss(b), l.sum(), 1e-4 * (1 + l.sum()));
                int checked = 0;
                for (Parameter p : m.parameters()) {
                    double[] w = ref.w.get(p.name());
                    float[] g = new float[p.size()];
                    p.grad().get(0, g);
                    double gmax = 0;
                    for (float x : g) gmax = Math.max(gmax, Math.abs(x));
                    assertTrue(gmax > 0, "no gradient reached " + p.name());
                    for (int s = 0; s < 5; s++) {
                        int i = rnd.nextInt(p.size());
                        double keep = w[i], h = 1e-5;
                        w[i] = keep + h;
                        double up = ref.loss(b);
                        w[i] = keep - h;
                        double down = ref.loss(b);
                        w[i] = keep;
                        double num = scale * (up - down) / (2 * h);
                        assertEquals(num, g[i], 1e-4 + 2e-3 * Math.abs(num) + 1e-3 * gmax, p.name() + "[" + i + "] tied=" + tied);
                        checked++;
                    }
                }
                assertTrue(checked >= 5 * 19);
            }
        }
    }

    /** The gradients the batch leaves (accumulated onto zero), which are then zeroed again. */
    static List<float[]> gradients(LlamaModel m, List<Example> batch) {
        m.forwardBackward(batch, 1f);
        List<float[]> g = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            g.add(grad(p));
            p.zeroGrad();
        }
        return g;
    }

    /**
     * Gradients of micro-batches add up to the gradient of the whole batch. The two differ by rounding only, but
     * not in the last bits: the batch composition changes the row count of every GEMM (other kernels and blocking
     * on other CPUs) and the order of the sum over the 11 target tokens. Bound: along the forward and backward
     * paths to a layer-0 weight each value is an inner product over at most 24 terms, about 40 of them in a
     * chain (per layer: norm, q/k/v, scores, softmax, p.v, o, norm, gate/up, down; two layers, the head and the
     * softmax, forward then backward), plus the sum over the tokens: D ~ 40 * 16 + 11 ~ 650 roundings, so the
     * float32 result is within gamma(650) ~ 4e-5 of the scale of the absolute-value computation. That scale
     * exceeds the result where terms cancel (softmax and RMSNorm Jacobians), so the comparison is relative to
     * the parameter's largest gradient element, not to each element, with a factor 25 for the cancellation:
     * 1e-3 of max |g|, the same accuracy the finite-difference test above asks of each float32 gradient. A
     * micro-batch that is dropped or overwritten changes the gradient by the order of max |g|, checked below to
     * lie far above the tolerance.
     */
    @Test
    void gradientsAccumulateAcrossMicroBatches() {
        try (LlamaModel m = randomModel(tiny(false), 7)) {
            Random rnd = new Random(8);
            List<Example> b = batch(rnd, 13);
            List<float[]> first = gradients(m, b.subList(0, 1));
            List<float[]> rest = gradients(m, b.subList(1, 3));
            m.forwardBackward(b.subList(0, 1), 1f);
            List<float[]> split = gradients(m, b.subList(1, 3));
            List<float[]> whole = gradients(m, b);
            double tolerance = 1e-3;
            int i = 0;
            for (Parameter p : m.parameters()) {
                float[] w = whole.get(i), parts = split.get(i);
                double bound = tolerance * FloatBounds.maxAbs(w);
                for (int j = 0; j < w.length; j++) assertEquals(w[j], parts[j], bound, p.name() + "[" + j + "]");
                // the test can fail: keeping only one micro-batch's gradient is far outside the bound
                assertTrue(FloatBounds.maxAbsDiff(w, first.get(i)) > 10 * bound, p.name() + ": first micro-batch alone");
                assertTrue(FloatBounds.maxAbsDiff(w, rest.get(i)) > 10 * bound, p.name() + ": second micro-batch alone");
                i++;
            }
        }
    }

    @Test
    void kvCachedGreedyGenerationEqualsUncachedArgmax() {
        try (LlamaModel m = randomModel(tiny(false), 9)) {
            int[] prompt = {1, 5, 7, 3};
            int[] out = m.generate(prompt, GenerationOptions.greedy(12, Set.of()));
            assertEquals(12, out.length);
            int[] seq = Arrays.copyOf(prompt, prompt.length);
            for (int next : out) {
                float[][] lg = m.logits(seq, null);
                assertEquals(Generator.argmax(lg[lg.length - 1]), next);
                seq = Arrays.copyOf(seq, seq.length + 1);
                seq[seq.length - 1] = next;
            }
            // the cached logits themselves match the full forward
            try (LlamaModel.KvCache cache = m.newCache(64)) {
                cache.feed(Arrays.copyOf(seq, 5));
                float[] step = cache.feed(new int[]{seq[5]});
                float[][] full = m.logits(Arrays.copyOf(seq, 6), null);
                // one row against six: other kernels, other orders; each within gamma(305) ~ 1.8e-5 of a logit's
                // absolute-value scale of the truth, so they differ by at most twice that (a stale cache is O(1))
                for (int v = 0; v < 13; v++) assertEquals(full[5][v], step[v], 2e-4 * (1 + Math.abs(full[5][v])));
            }
        }
    }

    @Test
    void stopTokensEndGenerationAndSamplingIsSeeded() {
        try (LlamaModel m = randomModel(tiny(false), 10)) {
            int[] prompt = {1, 4};
            int[] greedy = m.generate(prompt, GenerationOptions.greedy(8, Set.of()));
            int stop = greedy[2];
            int[] cut = m.generate(prompt, GenerationOptions.greedy(8, Set.of(stop)));
            int firstStop = 0;
            while (greedy[firstStop] != stop) firstStop++;
            assertArrayEquals(Arrays.copyOf(greedy, firstStop), cut);
            GenerationOptions s = new GenerationOptions(10, false, 1.5f, 0.9f, 42L, Set.of());
            int[] a = m.generate(prompt, s);
            int[] b = m.generate(prompt, s);
            assertArrayEquals(a, b);
            int[] c = m.generate(prompt, new GenerationOptions(10, false, 1.5f, 0.9f, 43L, Set.of()));
            assertFalse(Arrays.equals(a, c), "another seed should give another sample");
            // a tiny nucleus keeps only the most likely token: greedy
            assertArrayEquals(m.generate(prompt, GenerationOptions.greedy(10, Set.of())),
                    m.generate(prompt, new GenerationOptions(10, false, 1f, 1e-6f, 1L, Set.of())));
        }
    }

    @Test
    void namesBlocksAndTargetsFollowHuggingFace() {
        try (LlamaModel m = LlamaModel.create(tiny(false), 1); LlamaModel t = LlamaModel.create(tiny(true), 1)) {
            List<String> names = m.parameters().stream().map(Parameter::name).toList();
            assertEquals("model.embed_tokens.weight", names.get(0));
            assertEquals("lm_head.weight", names.get(names.size() - 1));
            assertTrue(names.contains("model.layers.1.self_attn.k_proj.weight"));
            assertArrayEquals(new int[]{8, 16}, m.parameter("model.layers.0.self_attn.k_proj.weight").shape());
            assertArrayEquals(new int[]{24, 16}, m.parameter("model.layers.0.mlp.gate_proj.weight").shape());
            assertFalse(t.parameters().stream().anyMatch(p -> p.name().equals("lm_head.weight")));
            assertEquals(14, m.targetMatrixNames().size());
            assertEquals("model.layers.0.self_attn.q_proj.weight", m.targetMatrixNames().get(0));
            assertEquals("model.layers.1.mlp.down_proj.weight", m.targetMatrixNames().get(13));
            assertEquals(1, m.blockOf("model.layers.1.mlp.up_proj.weight"));
            assertEquals(-1, m.blockOf("model.norm.weight"));
            assertEquals(-1, m.blockOf("lm_head.weight"));
            long count = m.parameters().stream().mapToLong(Parameter::size).sum();
            assertEquals(m.config().parameterCount(), count);
        }
    }

    @Test
    void blockCosineIsPerBlockAndBounded() {
        try (LlamaModel m = randomModel(tiny(false), 11)) {
            double[] cos = m.blockInputOutputCosine(batch(new Random(12), 13));
            assertEquals(2, cos.length);
            for (double c : cos) assertTrue(c > -1 && c < 1 && c != 0, "cosine " + c);
        }
    }

    @Test
    void badInputIsNamed() {
        try (LlamaModel m = LlamaModel.create(tiny(false), 1)) {
            SculptException e = assertThrows(SculptException.class, () -> m.loss(List.of(new Example(new int[]{1}, new int[]{13}))));
            assertTrue(e.getMessage().contains("13"), e.getMessage());
            e = assertThrows(SculptException.class, () -> m.loss(List.of(new Example(new int[70], new int[]{1}))));
            assertTrue(e.getMessage().contains("max_position_embeddings"), e.getMessage());
            assertThrows(SculptException.class, () -> m.logits(new int[]{1}, new int[]{2}));
        }
    }
}
