package dev.sculpt.nn;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;

/**
 * A bias-free linear layer {@code y = x W^T} with the Hugging Face weight layout W [out, in], applied to a whole
 * batch of rows in one sgemm. Forward and backward side by side; the weight gradient accumulates into the
 * parameter's gradient (gradient accumulation across micro-batches).
 */
public final class Linear {
    private final Parameter weight;
    private final FloatArray w;
    private final FloatArray gw;
    private final int in;
    private final int out;

    public Linear(Parameter weight) {
        if (!weight.isMatrix()) throw new SculptException("linear weight " + weight + " must be 2-D [out, in]");
        this.weight = weight;
        this.w = FloatArray.dataOf(weight);
        this.gw = FloatArray.gradOf(weight);
        this.out = weight.rows();
        this.in = weight.cols();
    }

    public Parameter weight() { return weight; }
    public int in() { return in; }
    public int out() { return out; }

    /** y[n, out] (row stride out, at yOff) = x[n, in] (row stride in, at xOff) W^T; overwrites y. */
    public void forward(FloatArray x, int xOff, FloatArray y, int yOff, int n) {
        forward(x, xOff, y, yOff, n, false);
    }

    /** As {@link #forward(FloatArray, int, FloatArray, int, int)}, adding into y when {@code accumulate}. */
    public void forward(FloatArray x, int xOff, FloatArray y, int yOff, int n, boolean accumulate) {
        Blas.gemm(false, true, n, out, in, 1f, x, xOff, in, w, 0, in, accumulate ? 1f : 0f, y, yOff, out);
    }

    /**
     * Backward of {@code y = x W^T} over n rows: {@code dW += dy^T x} (when the weight is trainable) and
     * {@code dx = dy W} (added into dx when {@code accumulateDx}); dx may be null when not needed.
     */
    public void backward(FloatArray x, int xOff, FloatArray dy, int dyOff, FloatArray dx, int dxOff, int n,
                         boolean accumulateDx) {
        backwardWeight(x, xOff, dy, dyOff, n);
        if (dx != null) backwardInput(dy, dyOff, dx, dxOff, n, accumulateDx);
    }

    /** The weight half of the backward: {@code dW += dy^T x} (nothing when the weight is frozen). */
    public void backwardWeight(FloatArray x, int xOff, FloatArray dy, int dyOff, int n) {
        if (weight.trainable()) {
            Blas.gemm(true, false, out, in, n, 1f, dy, dyOff, out, x, xOff, in, 1f, gw, 0, in);
        }
    }

    /** The input half of the backward: {@code dx = dy W}, or {@code dx += dy W} when {@code accumulate}. */
    public void backwardInput(FloatArray dy, int dyOff, FloatArray dx, int dxOff, int n, boolean accumulate) {
        Blas.gemm(false, false, n, in, out, 1f, dy, dyOff, out, w, 0, in, accumulate ? 1f : 0f, dx, dxOff, in);
    }
}
