package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.Example;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Activation recomputation in {@link T5Model}: the backward re-runs each encoder and decoder block's forward from its
 * saved input (the encoder output stays kept for the cross-attention), the same operations on the same inputs, and
 * T5 here has no dropout to replay, so losses and every parameter gradient are bit-identical to the plain run, while
 * the activations held for the backward shrink. Fresh random inputs each run; the seed is in every message.
 */
class T5RecomputeTest {

    /** Micro-batch {@code mb} (0 or 1) of random ids: the second is larger, so that the buffers grow between them. */
    static List<Example> microBatch(Random rnd, int vocab, int mb) {
        return mb == 0
                ? List.of(new Example(ids(rnd, 5, vocab), ids(rnd, 4, vocab)), new Example(ids(rnd, 3, vocab), ids(rnd, 6, vocab)))
                : List.of(new Example(ids(rnd, 8, vocab), ids(rnd, 7, vocab)), new Example(ids(rnd, 2, vocab), ids(rnd, 3, vocab)),
                          new Example(ids(rnd, 6, vocab), ids(rnd, 5, vocab)));
    }

    private static int[] ids(Random r, int n, int vocab) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = r.nextInt(vocab);
        return a;
    }

    private static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }

    @ParameterizedTest(name = "{0}, tied={1}")
    @CsvSource({"relu, true", "gated-gelu, false"})
    void gradientsAndLossesAreBitIdenticalAndFewerActivationsAreKept(String ff, boolean tied) {
        long seed = System.nanoTime();
        String where = ff + ", tied " + tied + ", seed " + seed;
        T5Config c = T5ModelTest.tiny(ff, tied);
        int vocab = c.vocabSize();
        Random rnd = new Random(seed + 3);
        try (T5Model plain = T5ModelTest.randomModel(c, seed); T5Model re = T5ModelTest.randomModel(c, seed)) {
            re.recomputeActivations(true);
            for (int mb = 0; mb < 2; mb++) {
                List<Example> batch = microBatch(rnd, vocab, mb);
                LossSum a = plain.forwardBackward(batch, 0.41f), b = re.forwardBackward(batch, 0.41f);
                assertEquals(Double.doubleToRawLongBits(a.sum()), Double.doubleToRawLongBits(b.sum()), where + ": loss of micro-batch " + mb);
                assertEquals(a.tokens(), b.tokens(), where);
                LossSum la = plain.loss(batch), lb = re.loss(batch);
                assertEquals(Double.doubleToRawLongBits(la.sum()), Double.doubleToRawLongBits(lb.sum()), where + ": eval loss " + mb);
            }
            for (int i = 0; i < plain.parameters().size(); i++) {
                Parameter p = plain.parameters().get(i), q = re.parameters().get(i);
                assertEquals(p.name(), q.name());
                float[] g = p.gradientToArray();
                assertArrayEquals(bits(g), bits(q.gradientToArray()), where + ": gradient of " + p.name());
                double norm = 0;
                for (float x : g) norm += (double) x * x;
                assertTrue(norm > 0, where + ": gradient of " + p.name() + " is zero");
            }
            // 2 encoder and 2 decoder blocks: without recomputation each keeps its own sub-layer activations; with it
            // only the block inputs and one encoder and one decoder block's worth
            assertTrue(re.savedActivationBytes() < plain.savedActivationBytes(),
                    where + ": saved " + re.savedActivationBytes() + " with recomputation, " + plain.savedActivationBytes() + " without");
        }
    }
}
