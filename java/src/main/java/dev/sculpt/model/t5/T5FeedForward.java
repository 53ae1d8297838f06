package dev.sculpt.model.t5;

import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * T5's {@code DenseReluDense} on a provider: v1.0 {@code wo(relu(wi x))}, or v1.1 / flan
 * {@code wo(gelu_new(wi_0 x) * wi_1 x)}. No biases, no dropout. The caller provides the activation tensors so that
 * they can be kept for the backward.
 */
final class T5FeedForward {
    private final Parameter wi;     // relu: wi; gated: wi_0
    private final Parameter wi1;    // gated: wi_1; relu: null
    private final Parameter wo;

    T5FeedForward(Parameter wi, Parameter wi1, Parameter wo) {
        this.wi = wi;
        this.wi1 = wi1;
        this.wo = wo;
    }

    int dFf() { return wi.rows(); }

    boolean gated() { return wi1 != null; }

    /**
     * {@code y += FF(x)} for x [n, d] (so y may hold the residual); u, u1, h are [n, d_ff] tensors that keep the
     * pre-activations and the hidden activation for the backward (u1 unused, may be null, when not gated).
     */
    void forward(Ops ops, T5Layers layers, Tensor x, Tensor u, Tensor u1, Tensor h, Tensor y) {
        layers.linear(wi, x, u, 1f, false);
        if (wi1 != null) {
            layers.linear(wi1, x, u1, 1f, false);
            ops.gatedGeluForward(u, u1, h);
        } else {
            ops.reluForward(u, h);
        }
        layers.linear(wo, h, y, 1f, true);
    }

    /** dx [n, d] (overwritten) from dy given the forward's tensors; dh, du, du1 are [n, d_ff] scratch. */
    void backward(Ops ops, T5Layers layers, Tensor x, Tensor u, Tensor u1, Tensor h, Tensor dy, Tensor dx,
                  Tensor dh, Tensor du, Tensor du1) {
        layers.linearBackward(wo, h, dy, dh, 1f, false);
        if (wi1 != null) {
            ops.gatedGeluBackward(u, u1, dh, du, du1);
            layers.linearBackward(wi, x, du, dx, 1f, false);
            layers.linearBackward(wi1, x, du1, dx, 1f, true);
        } else {
            ops.reluBackward(u, dh, du);
            layers.linearBackward(wi, x, du, dx, 1f, false);
        }
    }
}
