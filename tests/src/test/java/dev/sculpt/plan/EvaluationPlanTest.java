package dev.sculpt.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sculpt.SculptException;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.t5.T5Config;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The planner's evaluation term ({@link PlanOptions#evaluation()}) against hand arithmetic: the KV caches and the
 * decoding scratch of one question answered by generation, on top of training, and the widening of the training
 * bounds to the evaluation's forward passes. Block sizes are worked out from DeviceBlocks' rule by hand: up to 8 MiB
 * a request in (2^k, 2^(k+1)] rounds up to a multiple of 2^(k-2), above it to a multiple of 2 MiB, at least 512.
 */
class EvaluationPlanTest {
    static final PlanOptions TRAINING = MemoryPlannerTest.options(Precision.BF16, Precision.BF16, true);   // 2048 tokens, one sequence

    @Test
    void llama2_7bEvaluationIsItsKvCacheAndDecodingScratch() {
        TrainingShape s = MemoryPlannerTest.llama2_7b();
        // a 300-token prompt, 32 new tokens: capacity C = min(300 + 32, 4096) = 332 positions
        MemoryPlan plan = MemoryPlanner.plan(s, TRAINING.withEvaluation(new PlanOptions.Evaluation(300, 32)), MemoryPlannerTest.H200);
        // per layer a key and a value cache of 332 x 4096 fp32 = 5,439,488 bytes, in (2^22, 2^23]: blocks of 2^20 steps,
        // 6,291,456; 64 of them
        long kv = 64 * 6_291_456L;
        // the prompt step: stream, norm output, queries, context, 300 x 4096 fp32 = 4,915,200 each, block 5,242,880;
        // 1/rms 300 x 4 = 1,200, block 1,280; softmax rows 32 heads x max(300^2, 332) x 4 = 11,520,000, above 8 MiB:
        // 6 x 2 MiB = 12,582,912; the final norm's row 4096 x 4 = 16,384 (a block exactly) and its 1/rms, 4 bytes in 512
        long scratch = 4 * 5_242_880L + 1_280 + 12_582_912 + 16_384 + 512;
        assertEquals(kv + scratch, plan.components().get("evaluation"));
        assertEquals(436_225_792L, plan.components().get("evaluation"));
        // the requests themselves: 64 x 5,439,488 + 4 x 4,915,200 + 1,200 + 11,520,000 + 16,384 + 4; the rest is rounding
        long requests = 64 * 5_439_488L + 4 * 4_915_200L + 1_200 + 11_520_000 + 16_384 + 4;
        MemoryPlan without = MemoryPlanner.plan(s, TRAINING, MemoryPlannerTest.H200);
        assertEquals(without.rounding() + 436_225_792L - requests, plan.rounding());
        // the prompt fits the training bounds (2048 tokens, sequences of 2048, 2048 loss rows): nothing else changes
        assertEquals(without.totalBytes() + 436_225_792L, plan.totalBytes());
        Map<String, Long> rest = new LinkedHashMap<>(plan.components());
        rest.remove("evaluation");
        assertEquals(without.components(), rest);
    }

    @Test
    void aPromptLongerThanTheMicroBatchWidensTheTrainingBounds() {
        TrainingShape s = MemoryPlannerTest.llama2_7b();
        // 3000 tokens: the first-token margin runs the layers over the whole prompt and takes its 3000 x V logits, so
        // the plan's tokens, sequence length and loss rows become 3000
        MemoryPlan plan = MemoryPlanner.plan(s, TRAINING.withEvaluation(new PlanOptions.Evaluation(3000, 8)), MemoryPlannerTest.H200);
        MemoryPlan wide = MemoryPlanner.plan(s, new PlanOptions(Precision.BF16, Precision.BF16, true, MemoryPlannerTest.RATIO, 3000, 3000, 3000,
                true, 10), MemoryPlannerTest.H200);
        Map<String, Long> rest = new LinkedHashMap<>(plan.components());
        rest.remove("evaluation");
        assertEquals(wide.components(), rest);
        assertEquals(3000, plan.options().microBatchTokens());
        assertEquals(3000, plan.options().sequenceLength());
        assertEquals(3000, plan.options().lossTokens());
    }

    @Test
    void t5SmallEvaluationIsItsTwoCachesAndOneRowScratch() {
        TrainingShape s = T5PlanShapeTest.shapeOf(T5Config.preset("small", 32128, 0, 1));   // d 512, 8 heads of 64, 6 decoder blocks
        PlanOptions.EncoderDecoderTokens split = new PlanOptions.EncoderDecoderTokens(512, 64, 256, 32);
        PlanOptions training = new PlanOptions(Precision.FP32, Precision.FP32, true, 0.5, 512, 256, 64, false, 10, split);
        MemoryPlan plan = MemoryPlanner.plan(s, training.withEvaluation(new PlanOptions.Evaluation(100, 16)), Long.MAX_VALUE);
        // per decoder block: self-attention keys and values of 16 x 512 fp32 = 32,768 (a block exactly), 12 of them;
        // cross-attention keys and values of 100 x 512 x 4 = 204,800, in (2^17, 2^18]: 7 x 2^15 = 229,376, 12 of them
        long caches = 12 * 32_768L + 12 * 229_376L;
        // one row: stream, norm output, query, context 512 x 4 = 2,048 each; 1/rms 4 in 512; position bias 8 x 16 x 4 = 512;
        // softmax rows 8 x max(16, 100) x 4 = 3,200, in (2^11, 2^12]: 7 x 2^9 = 3,584
        long scratch = 4 * 2_048L + 512 + 512 + 3_584;
        assertEquals(caches + scratch, plan.components().get("evaluation"));
        assertEquals(3_158_528L, plan.components().get("evaluation"));
        // the 100-token prompt is longer than the encoder's 64-token sequences: the encoder side becomes one sequence
        // of 100 in 512 tokens; the decoder side (one row at a time) and the loss rows stay
        assertEquals(new PlanOptions.EncoderDecoderTokens(512, 100, 256, 32), plan.options().split());
        assertEquals(256, plan.options().lossTokens());
        Map<String, Long> rest = new LinkedHashMap<>(plan.components());
        rest.remove("evaluation");
        MemoryPlan wide = MemoryPlanner.plan(s, new PlanOptions(Precision.FP32, Precision.FP32, true, 0.5, 512, 256, 100, false, 10,
                new PlanOptions.EncoderDecoderTokens(512, 100, 256, 32)), Long.MAX_VALUE);
        assertEquals(wide.components(), rest);
    }

    @Test
    void withoutAnEvaluationThereIsNoEvaluationComponent() {
        MemoryPlan plan = MemoryPlanner.plan(MemoryPlannerTest.llama2_7b(), TRAINING, MemoryPlannerTest.H200);
        assertFalse(plan.components().containsKey("evaluation"));
        assertThrows(SculptException.class, () -> new PlanOptions.Evaluation(0, 8));
        assertThrows(SculptException.class, () -> new PlanOptions.Evaluation(8, 0));
    }

    @Test
    void generationTensorsAreNamedEvaluationInOutOfMemoryMessages() {
        assertEquals("evaluation", PlanComponents.ofTensor("llama kv keys 0"));
        assertEquals("evaluation", PlanComponents.ofTensor("t5 cross-attention values 5"));
        assertEquals("evaluation", PlanComponents.ofTensor("llama scratch.decode.probs"));
        assertEquals("evaluation", PlanComponents.ofTensor("t5 gen.bias"));
        assertEquals("activations", PlanComponents.ofTensor("llama layers.0.attn.probs"));
    }
}
