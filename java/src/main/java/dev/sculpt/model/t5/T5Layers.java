package dev.sculpt.model.t5;

import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * The linear and layer-norm calls T5 makes on its provider, forward beside backward. Weights are Hugging Face's
 * [out, in]; weight gradients accumulate into the parameters' gradients (micro-batches add up) and are skipped for
 * frozen parameters; input gradients are overwritten or added as the caller says.
 */
final class T5Layers {
    private final Ops ops;
    private final float eps;
    private final ActivationBuffers buffers;

    T5Layers(Ops ops, float eps, ActivationBuffers buffers) {
        this.ops = ops;
        this.eps = eps;
        this.buffers = buffers;
    }

    /** {@code y = alpha x W^T}, added into y when {@code accumulate}. x [n, in], y [n, out]. */
    void linear(Parameter w, Tensor x, Tensor y, float alpha, boolean accumulate) {
        ops.matmul(false, true, alpha, x, w.value(), accumulate ? 1f : 0f, y);
    }

    /**
     * Backward of {@link #linear}: {@code dW += alpha dy^T x} (trainable weights only) and {@code dx = alpha dy W}
     * (added when {@code accumulateDx}; skipped when dx is null).
     */
    void linearBackward(Parameter w, Tensor x, Tensor dy, Tensor dx, float alpha, boolean accumulateDx) {
        if (w.trainable()) ops.matmul(true, false, alpha, dy, x, 1f, w.gradient());
        if (dx != null) ops.matmul(false, false, alpha, dy, w.value(), accumulateDx ? 1f : 0f, dx);
    }

    /** T5's layer norm (RMS, no mean, no bias): y = w * x / rms(x) per row; rstd [n] kept for the backward. */
    void norm(Parameter w, Tensor x, Tensor y, Tensor rstd) {
        ops.rmsNormForward(x, w.value(), eps, y, rstd);
    }

    /** Backward of {@link #norm}: dx overwritten; dw accumulated when the weight is trainable. */
    void normBackward(Parameter w, Tensor x, Tensor rstd, Tensor dy, Tensor dx) {
        Tensor dw = w.trainable() ? w.gradient() : buffers.get("frozen norm gradient", w.size());
        ops.rmsNormBackward(x, w.value(), rstd, dy, dx, dw);
    }
}
