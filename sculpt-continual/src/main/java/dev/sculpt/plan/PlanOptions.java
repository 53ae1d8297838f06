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
 * @param split            for an encoder-decoder model, the encoder and decoder tokens of one micro-batch and of its
 *                         longest sequences; null: both sides {@code microBatchTokens} in sequences of
 *                         {@code sequenceLength} (an upper bound). Decoder-only models ignore it.
 * @param evaluation       the run's evaluation by generation (its longest prompt and its new tokens), which the plan
 *                         adds on top of training ({@link MemoryPlanner}); null: a plan of training alone
 */
public record PlanOptions(Precision precision, Precision basisPrecision, boolean osft, double rankRatio,
                          long microBatchTokens, long lossTokens, long sequenceLength, boolean recompute, int oversample,
                          EncoderDecoderTokens split, Evaluation evaluation) {
    /** Options without an encoder-decoder split. */
    public PlanOptions(Precision precision, Precision basisPrecision, boolean osft, double rankRatio, long microBatchTokens,
                       long lossTokens, long sequenceLength, boolean recompute, int oversample) {
        this(precision, basisPrecision, osft, rankRatio, microBatchTokens, lossTokens, sequenceLength, recompute, oversample, null);
    }

    /** Options of training alone (no evaluation). */
    public PlanOptions(Precision precision, Precision basisPrecision, boolean osft, double rankRatio, long microBatchTokens,
                       long lossTokens, long sequenceLength, boolean recompute, int oversample, EncoderDecoderTokens split) {
        this(precision, basisPrecision, osft, rankRatio, microBatchTokens, lossTokens, sequenceLength, recompute, oversample, split, null);
    }

    /**
     * Evaluation by generation, one question at a time: prompts of at most {@code promptTokens} model-input tokens
     * (special tokens included; an empty prompt counts as its one start token) and at most {@code newTokens}
     * generated tokens after each.
     */
    public record Evaluation(long promptTokens, long newTokens) {
        public Evaluation {
            if (promptTokens < 1) throw new SculptException("evaluation prompts must be planned with >= 1 tokens, got " + promptTokens);
            if (newTokens < 1) throw new SculptException("--max-new-tokens must be >= 1, got " + newTokens);
        }
    }

    /** The same choices with {@code e} as the run's evaluation (null: none). */
    public PlanOptions withEvaluation(Evaluation e) {
        return new PlanOptions(precision, basisPrecision, osft, rankRatio, microBatchTokens, lossTokens, sequenceLength, recompute, oversample, split, e);
    }

    /**
     * An encoder-decoder micro-batch: {@code encoderTokens} encoder inputs in sequences of at most
     * {@code encoderSequenceLength}, {@code decoderTokens} decoder inputs in sequences of at most
     * {@code decoderSequenceLength}.
     */
    public record EncoderDecoderTokens(long encoderTokens, long encoderSequenceLength, long decoderTokens, long decoderSequenceLength) {
        public EncoderDecoderTokens {
            if (encoderSequenceLength < 1 || encoderTokens < encoderSequenceLength || decoderSequenceLength < 1 || decoderTokens < decoderSequenceLength) {
                throw new SculptException("encoder/decoder tokens must be >= 1 and hold their longest sequence: " + encoderTokens + "/"
                        + encoderSequenceLength + ", " + decoderTokens + "/" + decoderSequenceLength);
            }
        }
    }

    /** The split an encoder-decoder model is planned with: the given one, or both sides as large as the micro-batch. */
    public EncoderDecoderTokens encoderDecoderTokens() {
        return split != null ? split : new EncoderDecoderTokens(microBatchTokens, sequenceLength, microBatchTokens, sequenceLength);
    }

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
        return new PlanOptions(precision, basisPrecision, osft, rankRatio, microBatchTokens, lossTokens, sequenceLength, recompute, oversample, split,
                evaluation);
    }
}
