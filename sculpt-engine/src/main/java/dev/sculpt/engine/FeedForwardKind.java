package dev.sculpt.engine;

/** The feed-forward variants: LLaMA's SwiGLU, T5 v1.1's gated GELU (tanh form), original T5's dense ReLU. */
public enum FeedForwardKind {
    /** {@code down(silu(gate(x)) * up(x))}. */
    SWIGLU,
    /** {@code wo(gelu_tanh(wi_0(x)) * wi_1(x))}. */
    GATED_GELU,
    /** {@code wo(relu(wi(x)))}. */
    RELU
}
