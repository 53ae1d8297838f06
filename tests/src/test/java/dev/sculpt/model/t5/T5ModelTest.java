package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.Generator;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Whole-model checks of T5Model against the independent float64 {@link T5Reference}. */
class T5ModelTest {
    /** Tiny shapes: 8 buckets and max distance 12 so that sequences of 5-6 reach the logarithmic buckets. */
    static T5Config tiny(String ff, boolean tied) {
        return new T5Config(13, 8, 4, 12, 2, 2, 2, 8, 12, ff, 1e-6f, tied, 0, 1, 0);
    }

    /** HF initialisation plus random layer norms and a large position bias, so that every path matters. */
    static T5Model randomModel(T5Config c, long seed) {
        T5Model m = T5Model.init(c, seed);
        Random r = new Random(seed + 1);
        for (Parameter p : m.parameters()) {
            if (p.name().endsWith("layer_norm.weight")) {
                for (int i = 0; i < p.size(); i++) p.data().put(i, (float) (1 + 0.3 * r.nextGaussian()));
            } else if (p.name().endsWith("relative_attention_bias.weight")) {
                for (int i = 0; i < p.size(); i++) p.data().put(i, (float) r.nextGaussian());
            }
        }
        return m;
    }

    static Map<String, double[]> weights(T5Model m) {
        Map<String, double[]> w = new HashMap<>();
        for (Parameter p : m.parameters()) {
            float[] f = p.toArray();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            w.put(p.name(), d);
        }
        return w;
    }

    static final List<Example> BATCH = List.of(
            new Example(new int[] {3, 7, 2, 11, 5}, new int[] {4, 9, 12, 1}),
            new Example(new int[] {6, 10, 8}, new int[] {2, 5, 7, 3, 11, 1}));

    @ParameterizedTest(name = "{0}, tied={1}")
    @CsvSource({"relu, true", "relu, false", "gated-gelu, true", "gated-gelu, false"})
    void gradientMatchesFiniteDifferencesOfFloat64Reference(String ff, boolean tied) {
        T5Config c = tiny(ff, tied);
        try (T5Model m = randomModel(c, ff.length() * 31L + (tied ? 1 : 2))) {
            assertEquals(tied, m.parameters().stream().noneMatch(p -> p.name().equals("lm_head.weight")));
            for (Parameter p : m.parameters()) p.zeroGrad();
            float gradScale = 0.5f;
            LossSum loss = m.forwardBackward(BATCH, gradScale);
            Map<String, double[]> w = weights(m);
            T5Reference ref = new T5Reference(c, w);
            java.util.function.DoubleSupplier refLoss = () -> {
                double s = 0;
                for (Example e : BATCH) s += ref.loss(e.prompt(), e.target());
                return s;
            };
            double expected = refLoss.getAsDouble();
            assertEquals(10, loss.tokens());
            // float32 forward: each logit is within gamma(D) of its absolute-value scale, D ~ 400 chained roundings
            // (2 + 2 blocks of inner products over <= 12 terms, cross-attention, head) -> 2.4e-5 of a scale of a few
            // units per token; the loss adds 10 positive terms: 1e-4 (1 + |loss|) covers it (as for LLaMA), a
            // wrong token or a missing term is O(1)
            assertEquals(expected, loss.sum(), 1e-4 * (1 + Math.abs(expected)), "loss");
            assertEquals(expected, m.loss(BATCH).sum(), 1e-4 * (1 + Math.abs(expected)), "forward-only loss");

            int checked = 0;
            double worst = 0;
            for (Parameter p : m.parameters()) {
                double[] x = w.get(p.name());
                double maxAbs = 0;
                for (int i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(p.grad().get(i)));
                assertTrue(maxAbs > 0, p.name() + " received no gradient");
                for (int i = 0; i < x.length; i++) {
                    double keep = x[i];
                    double h = 1e-6;
                    x[i] = keep + h;
                    double up = refLoss.getAsDouble();
                    x[i] = keep - h;
                    double down = refLoss.getAsDouble();
                    x[i] = keep;
                    double fd = gradScale * (up - down) / (2 * h);
                    double got = p.grad().get(i);
                    double err = Math.abs(fd - got);
                    worst = Math.max(worst, err / (1e-3 + Math.abs(fd)));
                    // float64 central differences are exact to ~1e-10 here; the float32 backward is within gamma(D)
                    // (D ~ 800 forward and backward roundings: 5e-5) of the absolute-value scale, which cancellation
                    // lifts above |fd|: hence the term relative to the parameter's largest gradient (as for LLaMA)
                    assertTrue(err <= 2e-4 + 2e-3 * Math.abs(fd) + 1e-3 * maxAbs,
                            p.name() + "[" + i + "]: finite difference " + fd + ", backward " + got);
                    checked++;
                }
            }
            assertTrue(checked > 1500, "checked " + checked);
        }
    }

    @Test
    void logitsMatchReferenceAndGradientsAccumulate() {
        T5Config c = tiny("gated-gelu", false);
        try (T5Model m = randomModel(c, 5)) {
            int[] enc = {2, 4, 6, 8, 10, 12};
            int[] dec = {0, 3, 5, 7};
            float[][] got = m.logits(enc, dec);
            double[][] want = new T5Reference(c, weights(m)).logits(enc, dec);
            for (int i = 0; i < dec.length; i++) {
                // see the loss above: gamma(400) ~ 2.4e-5 of a logit's absolute-value scale (a few units)
                for (int j = 0; j < c.vocabSize(); j++) assertEquals(want[i][j], got[i][j], 1e-4 * (1 + Math.abs(want[i][j])));
            }
            // two calls accumulate: the gradient doubles
            for (Parameter p : m.parameters()) p.zeroGrad();
            m.forwardBackward(BATCH, 1f);
            Parameter q = m.parameter("encoder.block.0.layer.0.SelfAttention.q.weight");
            float[] first = new float[q.size()];
            q.grad().get(0, first);
            m.forwardBackward(BATCH, 1f);
            // the second call repeats the first bit for bit (same shapes, same kernels), so only the additions onto
            // the existing gradient round differently: a few roundings of the gradient's scale, far below 1e-5 of
            // max |g| (170 u); an overwrite instead of an add is off by max |g| itself
            double scale = dev.sculpt.FloatBounds.maxAbs(first);
            assertTrue(scale > 0);
            for (int i = 0; i < first.length; i++) assertEquals(2 * first[i], q.grad().get(i), 1e-5 * scale);
        }
    }

    @Test
    void activationBuffersGrowToTheLargestBatchAndAreThenReused() {
        try (T5Model m = randomModel(tiny("gated-gelu", true), 4)) {
            m.forwardBackward(BATCH, 1f);
            long held = m.activationBytes();
            assertTrue(held > 0, "no activation buffers held");
            // the same batch again, a smaller one and forward-only passes allocate nothing more
            m.forwardBackward(BATCH, 1f);
            m.forwardBackward(List.of(BATCH.get(1)), 1f);
            m.loss(BATCH);
            assertEquals(held, m.activationBytes());
            // a longer batch grows them
            m.forwardBackward(List.of(new Example(new int[] {3, 7, 2, 11, 5, 6, 10, 8, 4}, new int[] {4, 9, 12, 1, 2, 5, 7, 3})), 1f);
            assertTrue(m.activationBytes() > held);
        }
    }

    @Test
    void frozenParametersGetNoGradientAndChangeNoOtherOne() {
        try (T5Model a = randomModel(tiny("relu", true), 6); T5Model b = randomModel(tiny("relu", true), 6)) {
            String[] frozen = {"encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
                    "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "shared.weight",
                    "decoder.block.1.layer.1.layer_norm.weight", "encoder.block.1.layer.1.DenseReluDense.wo.weight"};
            for (String n : frozen) b.parameter(n).trainable(false);
            a.forwardBackward(BATCH, 1f);
            b.forwardBackward(BATCH, 1f);
            for (Parameter p : b.parameters()) {
                float[] gb = p.gradientToArray();
                if (!p.trainable()) {
                    assertEquals(0.0, dev.sculpt.FloatBounds.maxAbs(gb), p.name() + " is frozen");
                } else {
                    // the same arithmetic in the same order: freezing only skips work
                    assertArrayEquals(a.parameter(p.name()).gradientToArray(), gb, p.name());
                }
            }
        }
    }

    @Test
    void cachedGreedyGenerationEqualsUncachedArgmax() {
        T5Config c = new T5Config(17, 16, 4, 24, 2, 3, 4, 8, 12, "gated-gelu", 1e-6f, true, 0, 1, 0);
        int longest = 0;
        for (long seed = 1; seed <= 4; seed++) {
            try (T5Model m = randomModel(c, seed)) {
                int[] prompt = {(int) seed + 2, 9, 4, 15, 6, 3};
                int[] got = m.generate(prompt, GenerationOptions.greedy(12, Set.of()));
                // no cache: rerun the whole decoder on the growing prefix and take the argmax of the last row
                List<Integer> dec = new ArrayList<>(List.of(0));
                List<Integer> want = new ArrayList<>();
                for (int t = 0; t < 12; t++) {
                    float[][] logits = m.logits(prompt, dec.stream().mapToInt(Integer::intValue).toArray());
                    int next = Generator.argmax(logits[logits.length - 1]);
                    if (next == c.eosTokenId()) break;
                    want.add(next);
                    dec.add(next);
                }
                assertArrayEquals(want.stream().mapToInt(Integer::intValue).toArray(), got, "seed " + seed);
                longest = Math.max(longest, got.length);
                // a stop token ends generation before it is emitted
                if (got.length > 2) {
                    int[] stopped = m.generate(prompt, GenerationOptions.greedy(12, Set.of(got[2])));
                    int firstStop = 0;
                    while (got[firstStop] != got[2]) firstStop++;
                    assertArrayEquals(java.util.Arrays.copyOf(got, firstStop), stopped);
                }
                assertArrayEquals(java.util.Arrays.copyOf(got, Math.min(3, got.length)),
                        m.generate(prompt, GenerationOptions.greedy(3, Set.of())));
            }
        }
        assertTrue(longest >= 4, "no seed generated more than " + longest + " tokens: the test would be weak");
    }

    @Test
    void samplingIsSeededAndFollowsTemperatureAndTopP() {
        T5Config c = tiny("relu", true);
        try (T5Model m = randomModel(c, 9)) {
            int[] prompt = {3, 4, 5};
            GenerationOptions s1 = new GenerationOptions(8, false, 1.5f, 0.9f, 42L, Set.of());
            assertArrayEquals(m.generate(prompt, s1), m.generate(prompt, s1));
            // a vanishing nucleus keeps only the most likely token: greedy
            GenerationOptions nucleus = new GenerationOptions(8, false, 1f, 1e-6f, 7L, Set.of());
            assertArrayEquals(m.generate(prompt, GenerationOptions.greedy(8, Set.of())), m.generate(prompt, nucleus));
        }
        // the sampler's frequencies follow softmax(logits / T) restricted to the nucleus
        float[] logits = {2f, 1f, 0.5f, -1f, 0f};
        double t = 0.8;
        double[] p = new double[logits.length];
        double z = 0;
        for (int i = 0; i < p.length; i++) z += p[i] = Math.exp(logits[i] / t);
        for (int i = 0; i < p.length; i++) p[i] /= z;
        SplittableRandom rng = new SplittableRandom(3);
        int draws = 40000;
        int[] counts = new int[logits.length];
        for (int i = 0; i < draws; i++) counts[Generator.pick(logits, new GenerationOptions(1, false, (float) t, 1f, 0L, Set.of()), rng)]++;
        // 0.01 is over 4 standard errors of a frequency from 40000 draws (sqrt(p (1 - p) / n) <= 0.0025)
        for (int i = 0; i < p.length; i++) assertEquals(p[i], counts[i] / (double) draws, 0.01, "token " + i);
        // top-p 0.7: p0 (~0.62) alone is short of 0.7, so the nucleus is {0, 1}
        int[] nucleusCounts = new int[logits.length];
        for (int i = 0; i < draws; i++) nucleusCounts[Generator.pick(logits, new GenerationOptions(1, false, (float) t, 0.7f, 0L, Set.of()), rng)]++;
        assertEquals(0, nucleusCounts[2] + nucleusCounts[3] + nucleusCounts[4]);
        assertEquals(p[0] / (p[0] + p[1]), nucleusCounts[0] / (double) draws, 0.01);
    }

    @Test
    void blockStructureAndTargets() {
        try (T5Model m = randomModel(tiny("gated-gelu", true), 3)) {
            assertEquals("t5", m.architecture());
            assertEquals(0, m.blockOf("encoder.block.0.layer.1.DenseReluDense.wi_0.weight"));
            assertEquals(3, m.blockOf("decoder.block.1.layer.1.EncDecAttention.k.weight"));
            assertEquals(-1, m.blockOf("shared.weight"));
            assertEquals(-1, m.blockOf("decoder.final_layer_norm.weight"));
            List<String> targets = m.targetMatrixNames();
            // per encoder block 4 attention + 3 ff, per decoder block 8 attention + 3 ff
            assertEquals(2 * 7 + 2 * 11, targets.size());
            assertTrue(targets.contains("decoder.block.1.layer.1.EncDecAttention.o.weight"));
            assertTrue(targets.contains("encoder.block.1.layer.1.DenseReluDense.wi_1.weight"));
            assertFalse(targets.stream().anyMatch(n -> n.contains("relative_attention_bias") || n.contains("layer_norm") || n.equals("shared.weight")));
            for (String n : targets) assertTrue(m.blockOf(n) >= 0, n);
            double[] cos = m.blockInputOutputCosine(BATCH);
            assertEquals(4, cos.length);
            for (double v : cos) assertTrue(v > -1 && v < 1 && v != 0, "cosine " + v);
        }
    }

    @Test
    void blockCosineMatchesDirectComputation() {
        // a single-block encoder and decoder: compute the cosine from the reference's hidden states by hand
        T5Config c = new T5Config(13, 8, 4, 12, 1, 1, 2, 8, 12, "relu", 1e-6f, true, 0, 1, 0);
        try (T5Model m = randomModel(c, 17)) {
            Example e = new Example(new int[] {2, 3, 4}, new int[] {5, 6});
            double[] cos = m.blockInputOutputCosine(List.of(e));
            // with one block, the encoder block's output is the pre-final-norm state; check it is a proper mean of
            // per-token cosines by comparing one example against two copies of it
            double[] twice = m.blockInputOutputCosine(List.of(e, e));
            // the packed pair is a different product shape, for which OpenBLAS may pick other kernels (core type,
            // threads), so the copies' hidden states may differ from the single's by float32 rounding: each state
            // element passes about 4 products of at most 12 terms and 2 norms, relative error <= ~10 gamma(12)
            // = 7.2e-6; a cosine moves by at most twice its vectors' relative error: 2e-5. A wrong mean (a sum, a
            // miscount) moves it by a factor of 2, i.e. by ~0.5 here
            assertArrayEquals(cos, twice, 2e-5);
            assertTrue(Math.abs(cos[0]) < 1 && Math.abs(cos[1]) < 1);
        }
    }

    @Test
    void badInput() {
        try (T5Model m = randomModel(tiny("relu", true), 1)) {
            SculptException e = assertThrows(SculptException.class, () -> m.logits(new int[] {1, 13}, new int[] {0}));
            assertTrue(e.getMessage().contains("13"), e.getMessage());
            assertThrows(SculptException.class, () -> m.logits(new int[0], new int[] {0}));
            assertThrows(SculptException.class, () -> m.logits(new int[] {1}, new int[] {-2}));
            SculptException t = assertThrows(SculptException.class,
                    () -> m.forwardBackward(List.of(new Example(new int[] {1}, new int[] {2, 99})), 1f));
            assertTrue(t.getMessage().contains("99") && t.getMessage().contains("target"), t.getMessage());
            assertThrows(SculptException.class, () -> m.generate(new int[] {50}, GenerationOptions.greedy(2, Set.of())));
            assertThrows(SculptException.class, () -> m.parameter("encoder.block.9.layer.0.SelfAttention.q.weight"));
            try (T5Model.Decoder cache = m.newCache(new int[] {2, 3}, 2)) {
                float[] last = cache.feed(new int[] {0, 4});
                float[] want = m.logits(new int[] {2, 3}, new int[] {0, 4})[1];
                // cached and full forward sum in other orders (one row vs all rows): each is within gamma(400) ~ 2.4e-5
                // of a logit's absolute-value scale of the truth, so they differ by at most twice that
                for (int j = 0; j < want.length; j++) assertEquals(want[j], last[j], 2e-4 * (1 + Math.abs(want[j])));
                SculptException full = assertThrows(SculptException.class, () -> cache.feed(new int[] {5}));
                assertTrue(full.getMessage().contains("capacity"), full.getMessage());
            }
            assertThrows(SculptException.class, () -> m.newCache(new int[] {2}, 0));
            // an empty prompt is read as [eos]; an empty target carries no loss
            assertEquals(m.loss(List.of(new Example(new int[] {1}, new int[] {4, 5}))).sum(),
                    m.loss(List.of(new Example(new int[0], new int[] {4, 5}))).sum(), 0);
            assertEquals(0, m.loss(List.of(new Example(new int[] {3}, new int[0]))).tokens());
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode ok = tiny("gated-gelu", false).toJson();
        assertEquals(tiny("gated-gelu", false), T5Config.fromJson(ok, "config.json"));
        ObjectNode bad = ok.deepCopy().put("feed_forward_proj", "swish");
        SculptException ffe = assertThrows(SculptException.class, () -> T5Config.fromJson(bad, "config.json"));
        assertTrue(ffe.getMessage().contains("feed_forward_proj"), ffe.getMessage());
        assertThrows(SculptException.class, () -> T5Config.fromJson(ok.deepCopy().put("model_type", "llama"), "c"));
        assertThrows(SculptException.class, () -> T5Config.fromJson(ok.deepCopy().put("d_model", "wide"), "c"));
        assertThrows(SculptException.class, () -> T5Config.fromJson(ok.deepCopy().put("num_heads", 0), "c"));
        assertThrows(SculptException.class, () -> T5Config.fromJson(ok.deepCopy().put("decoder_start_token_id", 13), "c"));
        assertThrows(SculptException.class, () -> T5Config.fromJson(json.createArrayNode(), "c"));
        assertThrows(SculptException.class, () -> T5Config.preset("huge", 100, 0, 1));
        assertEquals(512, T5Config.preset("small", 300, 0, 1).dModel());
    }
}
