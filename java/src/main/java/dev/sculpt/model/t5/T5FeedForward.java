package dev.sculpt.model.t5;

import dev.sculpt.model.Parameter;
import dev.sculpt.nn.FloatArray;
import dev.sculpt.nn.GatedGelu;
import dev.sculpt.nn.Linear;
import dev.sculpt.nn.Parallel;

/**
 * T5's {@code DenseReluDense}: v1.0 {@code wo(relu(wi x))}, or v1.1 / flan {@code wo(gelu_new(wi_0 x) * wi_1 x)}.
 * No biases, no dropout. The caller provides the activation buffers so that they can be kept for the backward.
 */
final class T5FeedForward {
    private final Linear wi;     // relu: wi; gated: wi_0
    private final Linear wi1;    // gated: wi_1; relu: null
    private final Linear wo;
    private final int dFf;

    T5FeedForward(Parameter wi, Parameter wi1, Parameter wo) {
        this.wi = new Linear(wi);
        this.wi1 = wi1 == null ? null : new Linear(wi1);
        this.wo = new Linear(wo);
        this.dFf = wi.rows();
    }

    int dFf() { return dFf; }
    boolean gated() { return wi1 != null; }

    /**
     * y[n, d] = FF(x[n, d]); u, u1, h are [n, d_ff] buffers that keep the pre-activations and the hidden
     * activation for the backward (u1 unused when not gated).
     */
    void forward(FloatArray x, FloatArray u, FloatArray u1, FloatArray h, FloatArray y, int n) {
        wi.forward(x, 0, u, 0, n);
        int len = n * dFf;
        if (wi1 != null) {
            wi1.forward(x, 0, u1, 0, n);
            GatedGelu.forward(u, 0, u1, 0, h, 0, len);
        } else {
            Parallel.range(len, 4096, (lo, hi) -> {
                for (int i = lo; i < hi; i++) h.set(i, Math.max(0f, u.get(i)));
            });
        }
        wo.forward(h, 0, y, 0, n);
    }

    /** dx (overwritten) from dy given the forward's buffers; dh, du, du1 are [n, d_ff] scratch. */
    void backward(FloatArray x, FloatArray u, FloatArray u1, FloatArray h, FloatArray dy, FloatArray dx,
                  FloatArray dh, FloatArray du, FloatArray du1, int n) {
        wo.backward(h, 0, dy, 0, dh, 0, n, false);
        int len = n * dFf;
        if (wi1 != null) {
            GatedGelu.backward(u, 0, u1, 0, dh, 0, du, 0, du1, 0, len);
            wi.backward(x, 0, du, 0, dx, 0, n, false);
            wi1.backward(x, 0, du1, 0, dx, 0, n, true);
        } else {
            Parallel.range(len, 4096, (lo, hi) -> {
                for (int i = lo; i < hi; i++) du.set(i, u.get(i) > 0f ? dh.get(i) : 0f);
            });
            wi.backward(x, 0, du, 0, dx, 0, n, false);
        }
    }
}
