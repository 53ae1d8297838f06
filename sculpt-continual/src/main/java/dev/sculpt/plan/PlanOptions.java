package dev.sculpt.plan;

import dev.sculpt.SculptException;

/**
 * The choices that size full fine-tuning.
 *
 * @param precision        the products' operands (bf16: rounded from the fp32 master weights and the fp32 saved
 *                         activations just before each product; weights, gradients, activations and AdamW state are
 *                         stored in fp32 either way)
 * @param basisPrecision   OSFT's protected bases and their invariant references
 * @param osft             whether protected bases are kept (osft) or not (seqft)
 * @param rankRatio        preserved rank k = round(ratio * min(m, n)) of every target, in [0, 1]
 * @param microBatchTokens tokens of one micro-batch (sequences x sequence length)
 * @param lossTokens       rows of one micro-batch that carry a loss (the lm_head and the cross-entropy run on these
 *                         only, so logits are R x vocabulary); at most {@code microBatchTokens}, which is the upper bound
 * @param sequenceLength   tokens of one sequence: each token keeps one softmax row of this length per head
 * @param recompute        keep only each layer's input and recompute the rest in the backward pass
 * @param oversample       extra sketch columns of the randomized decomposition at the start of a task
 */
public record PlanOptions(Precision precision, Precision basisPrecision, boolean osft, double rankRatio,
                          long microBatchTokens, long lossTokens, long sequenceLength, boolean recompute, int oversample) {
    public PlanOptions {
        if (precision == null || basisPrecision == null) throw new SculptException("precision must be fp32 or bf16");
        if (!(rankRatio >= 0 && rankRatio <= 1)) throw new SculptException("--rank-ratio must be in [0, 1], got " + rankRatio);
        if (microBatchTokens < 1) throw new SculptException("--micro-batch-tokens must be >= 1, got " + microBatchTokens);
        if (lossTokens < 1) throw new SculptException("--loss-tokens must be >= 1, got " + lossTokens);
        if (lossTokens > microBatchTokens) {
            throw new SculptException("--loss-tokens " + lossTokens + " is more than the micro-batch's " + microBatchTokens + " tokens");
        }
        if (sequenceLength < 1) throw new SculptException("--seq-len must be >= 1, got " + sequenceLength);
        if (sequenceLength > microBatchTokens) {
            throw new SculptException("--seq-len " + sequenceLength + " is longer than the micro-batch (" + microBatchTokens + " tokens)");
        }
        if (oversample < 0) throw new SculptException("oversample must be >= 0, got " + oversample);
    }

    /** The same choices with {@code precision} and {@code basisPrecision}. */
    public PlanOptions withPrecision(Precision precision, Precision basisPrecision) {
        return new PlanOptions(precision, basisPrecision, osft, rankRatio, microBatchTokens, lossTokens, sequenceLength, recompute, oversample);
    }
}
