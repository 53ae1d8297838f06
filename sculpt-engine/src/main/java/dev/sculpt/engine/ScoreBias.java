package dev.sculpt.engine;

import dev.sculpt.ops.Tensor;

/**
 * An additive bias on the attention scores, supplied by the caller per packed sequence (T5's relative-position
 * bias). The attention block asks for it in the forward and the backward (same sequence, same sizes) and hands
 * back its gradient in the backward.
 */
public interface ScoreBias {
    /**
     * The bias [heads, tq, tk] of packed sequence {@code sequence}, a tensor on the block's provider that stays
     * valid until the next call on this object.
     */
    Tensor bias(int sequence, int tq, int tk);

    /**
     * The gradient of the loss with respect to that bias, [heads, tq, tk] (masked entries 0), valid only during
     * this call: fold it into the bias's parameters (e.g. the bucket table). Called in the backward only.
     */
    void backward(int sequence, Tensor dBias);

    /** Whether {@link #backward} wants the gradient (false for a frozen bias: the block then skips computing it). */
    default boolean wantsGradient() { return true; }
}
