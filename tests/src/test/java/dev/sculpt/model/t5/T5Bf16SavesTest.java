package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.Bf16SavesBound;
import dev.sculpt.model.Example;
import dev.sculpt.model.LossSum;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * bf16 saves in {@link T5Model}: with bf16 products and no recomputation the encoder's and decoder's self-attention,
 * cross-attention and feed-forward blocks keep their activations (and the cross keys and values) in bf16, computed in
 * float32 and rounded once. Losses are bit-identical to bf16 with recomputation (the o and wo projections read the
 * same rounded bits their operand rounding gives), gradients agree within {@link Bf16SavesBound}, and fewer bytes are
 * saved than in float32. Fresh random inputs; the seed is in every message.
 */
class T5Bf16SavesTest {

    @ParameterizedTest(name = "{0}, tied={1}")
    @CsvSource({"relu, true", "gated-gelu, false"})
    void lossesMatchRecomputationBitForBitAndGradientsWithinTheRoundingBound(String ff, boolean tied) {
        long seed = System.nanoTime();
        String where = ff + ", tied " + tied + ", seed " + seed;
        T5Config c = T5ModelTest.tiny(ff, tied);
        int vocab = c.vocabSize();
        Random rnd = new Random(seed + 5);
        try (T5Model saves = T5ModelTest.randomModel(c, seed); T5Model re = T5ModelTest.randomModel(c, seed);
             T5Model fp32 = T5ModelTest.randomModel(c, seed)) {
            saves.computeInBf16(true);
            re.computeInBf16(true);
            re.recomputeActivations(true);
            for (int mb = 0; mb < 2; mb++) {
                List<Example> batch = T5RecomputeTest.microBatch(rnd, vocab, mb);
                LossSum a = saves.forwardBackward(batch, 0.41f), b = re.forwardBackward(batch, 0.41f);
                assertEquals(Double.doubleToRawLongBits(b.sum()), Double.doubleToRawLongBits(a.sum()), where + ": loss of micro-batch " + mb);
                LossSum la = saves.loss(batch), lb = re.loss(batch);
                assertEquals(Double.doubleToRawLongBits(lb.sum()), Double.doubleToRawLongBits(la.sum()), where + ": eval loss " + mb);
                fp32.forwardBackward(batch, 0.41f);
            }
            Bf16SavesBound.assertGradientsWithinBound(saves.parameters(), re.parameters(), where);
            assertTrue(saves.savedActivationBytes() < fp32.savedActivationBytes(),
                    where + ": saved " + saves.savedActivationBytes() + " bytes with bf16 saves, " + fp32.savedActivationBytes() + " in float32");
        }
    }
}
