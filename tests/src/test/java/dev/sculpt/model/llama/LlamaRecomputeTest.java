package dev.sculpt.model.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.engine.PackedBatch;
import dev.sculpt.model.Example;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.MemoryPlanner;
import dev.sculpt.plan.PlanOptions;
import dev.sculpt.plan.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Activation recomputation in {@link LlamaModel}: the backward re-runs each layer's forward from its saved input, the
 * same operations on the same inputs in the same order (and LLaMA has no dropout or other randomness to replay), so
 * losses and every parameter gradient must be bit-identical to the plain run; and the activations held for the
 * backward shrink exactly as {@link MemoryPlanner}'s activation term says. Fresh random inputs each run; the seed is
 * in every message.
 */
class LlamaRecomputeTest {

    /** The tiny test shape with {@code layers} layers (more layers make the saving visible). */
    static LlamaConfig tiny(int layers) {
        LlamaConfig t = LlamaModelTest.tiny(false);
        return new LlamaConfig(t.vocabSize(), t.hiddenSize(), t.intermediateSize(), layers, t.numAttentionHeads(),
                t.numKeyValueHeads(), t.headDim(), t.rmsNormEps(), t.ropeTheta(), t.ropeScaling(), t.maxPositionEmbeddings(),
                t.tieWordEmbeddings(), t.bosTokenId(), t.eosTokenIds(), t.padTokenId(), t.initializerRange());
    }

    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    /** Up to two micro-batches of different sizes (buffers grow between them), gradients accumulating over both. */
    static void assertBitIdentical(LlamaModel plain, LlamaModel recomputed, int microBatches, Random rnd, String where) {
        recomputed.recomputeActivations(true);
        int vocab = plain.vocabSize();
        for (int mb = 0; mb < microBatches; mb++) {
            List<Example> batch = mb == 0 ? LlamaModelTest.batch(rnd, vocab)
                    : List.of(new Example(LlamaModelTest.randomIds(rnd, 7, vocab), LlamaModelTest.randomIds(rnd, 5, vocab)),
                      new Example(LlamaModelTest.randomIds(rnd, 2, vocab), LlamaModelTest.randomIds(rnd, 9, vocab)));
            LossSum a = plain.forwardBackward(batch, 0.37f), b = recomputed.forwardBackward(batch, 0.37f);
            assertEquals(Double.doubleToRawLongBits(a.sum()), Double.doubleToRawLongBits(b.sum()), where + ": loss of micro-batch " + mb);
            assertEquals(a.tokens(), b.tokens(), where);
            LossSum la = plain.loss(batch), lb = recomputed.loss(batch);
            assertEquals(Double.doubleToRawLongBits(la.sum()), Double.doubleToRawLongBits(lb.sum()), where + ": eval loss " + mb);
        }
        for (int i = 0; i < plain.parameters().size(); i++) {
            Parameter p = plain.parameters().get(i), q = recomputed.parameters().get(i);
            assertEquals(p.name(), q.name());
            float[] g = p.gradientToArray();
            assertArrayEquals(bits(g), bits(q.gradientToArray()), where + ": gradient of " + p.name());
            // a gradient of all zeros would make the comparison vacuous
            double norm = 0;
            for (float x : g) norm += (double) x * x;
            assertTrue(norm > 0, where + ": gradient of " + p.name() + " is zero");
        }
    }

    @Test
    void gradientsAndLossesAreBitIdenticalOnCpu() {
        long seed = System.nanoTime();
        LlamaConfig cfg = tiny(3);
        try (LlamaModel plain = LlamaModelTest.randomModel(cfg, seed); LlamaModel re = LlamaModelTest.randomModel(cfg, seed)) {
            assertBitIdentical(plain, re, 2, new Random(seed + 7), "cpu, seed " + seed);
        }
    }

    @Test
    void gradientsAndLossesAreBitIdenticalOnTheParityProvider() {
        ParityProvider.require();
        long seed = System.nanoTime();
        LlamaConfig cfg = tiny(2);
        try (Ops ops = OpsProviders.create(ParityProvider.DEVICE);
             LlamaModel plain = LlamaModel.create(cfg, seed, ops); LlamaModel re = LlamaModel.create(cfg, seed, ops)) {
            // one micro-batch: the emulated kernels are slow
            assertBitIdentical(plain, re, 1, new Random(seed + 7), ParityProvider.DEVICE + ", seed " + seed);
        }
    }

    /**
     * Saved activation bytes (the arena less its scratch buffers) with and without recomputation, against the
     * planner's activation term for the same shape, fp32, S sequences of T tokens each (so its one softmax row of T
     * per head and token is exact). The planner's activation term also counts the lm_head's scratch for the batch's
     * loss rows (fp32 logits, the gathered rows and their gradient, loss and lse), which the model keeps among its
     * scratch buffers; the test removes that term, and then nothing is approximate: the two must agree to the byte. (Before this test the planner left out the final norm's input,
     * output and 1/rms, and under recomputation counted one layer's input twice.)
     */
    @Test
    void savedActivationsShrinkAsThePlannerSays() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int layers = 6, sequences = 3, promptLen = 5, targetLen = 6;
        LlamaConfig cfg = tiny(layers);
        List<Example> batch = new ArrayList<>();
        for (int s = 0; s < sequences; s++) {
            batch.add(new Example(LlamaModelTest.randomIds(rnd, promptLen, cfg.vocabSize()), LlamaModelTest.randomIds(rnd, targetLen, cfg.vocabSize())));
        }
        PackedBatch packed = PackedBatch.ofExamples(batch, cfg.maxPositionEmbeddings());
        long tokens = packed.tokens(), seqLen = promptLen + targetLen - 1;
        assertEquals(sequences * seqLen, tokens);
        long h = cfg.hiddenSize();

        ModelConfig mc = ModelConfig.of(cfg.toJson(), "tiny llama");
        TrainingShape shape = new LlamaFamily().trainingShape(mc);
        long[] saved = new long[2];
        long[] planned = new long[2];
        for (int r = 0; r < 2; r++) {
            boolean recompute = r == 1;
            try (LlamaModel m = LlamaModelTest.randomModel(cfg, seed)) {
                m.recomputeActivations(recompute);
                m.forwardBackward(batch, 1f);
                saved[r] = m.savedActivationBytes();
                assertTrue(m.activationBytes() > saved[r], "scratch buffers exist besides the saved ones");
            }
            long loss = packed.lossRows().length;
            MemoryPlan plan = MemoryPlanner.plan(shape, new PlanOptions(Precision.FP32, Precision.FP32, false, 0.5, tokens, loss, seqLen, recompute, 10), Long.MAX_VALUE);
            // less the lm_head's scratch: logits, the gathered rows and their gradient, loss and lse per loss row
            planned[r] = plan.components().get("activations") - loss * (cfg.vocabSize() + 2L * h + 2) * 4L;
        }
        String where = "seed " + seed + ", " + layers + " layers, " + tokens + " tokens";
        assertEquals(planned[0], saved[0], where + ": without recomputation");
        assertEquals(planned[1], saved[1], where + ": with recomputation");
        // by hand: per token and layer 4H + 2q + 2kv + 3I floats, heads x T softmax entries, 2 rstd; the final norm 2H + 1
        long perLayer = 4 * (4 * h + 2L * cfg.qDim() + 2L * cfg.kvDim() + 3L * cfg.intermediateSize() + (long) cfg.numAttentionHeads() * seqLen + 2);
        long finalNorm = 4 * (2 * h + 1);
        assertEquals(tokens * (layers * perLayer + finalNorm), saved[0], where);
        assertEquals(tokens * (layers * 4 * h + perLayer - 4 * h + finalNorm), saved[1], where);
        assertTrue(saved[1] < saved[0] / 2, where + ": recomputation saves most of the activations (" + saved[1] + " of " + saved[0] + ")");
    }
}
