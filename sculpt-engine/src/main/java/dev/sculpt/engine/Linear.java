package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * A bias-free linear layer {@code y = x W^T} with the Hugging Face weight layout W [out, in], one gemm over all
 * rows of a packed batch. The weight gradient accumulates into the parameter's gradient (nothing when frozen).
 */
public final class Linear {
    private final Ops ops;
    private final Parameter weight;

    public Linear(Ops ops, Parameter weight) {
        if (!weight.isMatrix()) throw new SculptException("linear weight " + weight + " must be 2-D [out, in]");
        this.ops = ops;
        this.weight = weight;
    }

    public Parameter weight() { return weight; }
    public int in() { return weight.cols(); }
    public int out() { return weight.rows(); }

    /** y [n, out] = x [n, in] W^T, or {@code y +=} when {@code accumulate}. */
    public void forward(Tensor x, Tensor y, boolean accumulate) {
        ops.matmul(false, true, 1f, x, weight.value(), accumulate ? 1f : 0f, y);
    }

    /** {@code dW += dy^T x} over the n rows (nothing when the weight is frozen). */
    public void backwardWeight(Tensor x, Tensor dy) {
        if (weight.trainable()) ops.matmul(true, false, 1f, dy, x, 1f, weight.gradient());
    }

    /** dx [n, in] = dy [n, out] W, or {@code dx +=} when {@code accumulate}. */
    public void backwardInput(Tensor dy, Tensor dx, boolean accumulate) {
        ops.matmul(false, false, 1f, dy, weight.value(), accumulate ? 1f : 0f, dx);
    }

    /** Both halves: {@code dW += dy^T x}, and {@code dx (+)= dy W} unless dx is null. */
    public void backward(Tensor x, Tensor dy, Tensor dx, boolean accumulateDx) {
        backwardWeight(x, dy);
        if (dx != null) backwardInput(dy, dx, accumulateDx);
    }
}
