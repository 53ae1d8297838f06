package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * A bias-free linear layer {@code y = x W^T} with the Hugging Face weight layout W [out, in], one gemm over all
 * rows of a packed batch. The weight gradient accumulates into the parameter's gradient (nothing when frozen).
 *
 * <h2>bf16 compute ({@link #computeInBf16})</h2>
 * The three products run on bf16 operands with float32 accumulation ({@link Ops#gemm}): W, x and dy rounded to bf16
 * just before the product that reads them, into the model's shared buffers ({@link Bf16Compute}). y, dx and dW come
 * out in float32; the master weight, its gradient and the optimizer state stay float32, and no layer keeps a bf16
 * copy of its weight: W is rounded again in {@link #backwardInput}, which gives the forward's bf16 W bit for bit
 * (no step comes between them), so a model holds one bf16 weight buffer, not a second copy of its projections.
 * Each rounding is one pass over W, small next to the product's {@code 2 n out in} flops for a training micro-batch
 * of n rows, but comparable to it when decoding one row at a time.
 *
 * <p>x may be a bf16 tensor: an input a block saved in bf16 ({@link AttentionBlock#saveInBf16}, the attention context
 * and the feed-forward's hidden product), which is then the operand as it is, the same bits the rounding of its float32
 * value gives. x is float32 in float32 compute.
 */
public final class Linear {
    private final Ops ops;
    private final Parameter weight;
    private Bf16Compute bf16;       // null: float32 products

    public Linear(Ops ops, Parameter weight) {
        if (!weight.isMatrix()) throw new SculptException("linear weight " + weight + " must be 2-D [out, in]");
        this.ops = ops;
        this.weight = weight;
    }

    public Parameter weight() { return weight; }
    public int in() { return weight.cols(); }
    public int out() { return weight.rows(); }

    /**
     * bf16 products with {@code buffers}' shared operand buffers, or float32 products when null (the default).
     */
    public void computeInBf16(Bf16Compute buffers) {
        this.bf16 = buffers;
    }

    /** Whether the products run on bf16 operands. */
    public boolean bf16() { return bf16 != null; }

    /** Nothing of its own to free (the parameter is the model's to close, the bf16 buffers the model's). */
    public void close() {
        computeInBf16(null);
    }

    /** y [n, out] = x [n, in] W^T, or {@code y +=} when {@code accumulate}. */
    public void forward(Tensor x, Tensor y, boolean accumulate) {
        if (bf16 == null && x.dtype() == DType.BF16) throw new SculptException(weight + ": bf16 input " + x.describe() + " in float32 compute");
        if (bf16 != null) {
            ops.matmul(false, true, 1f, operand(x), bf16.weight(weight.value()), accumulate ? 1f : 0f, y);
            return;
        }
        ops.matmul(false, true, 1f, x, weight.value(), accumulate ? 1f : 0f, y);
    }

    /** x as a bf16 operand: as it is when a block saved it in bf16, else rounded into the shared buffer. */
    private Tensor operand(Tensor x) {
        return x.dtype() == DType.BF16 ? x : bf16.operand(x);
    }

    /** {@code dW += dy^T x} over the n rows (nothing when the weight is frozen). */
    public void backwardWeight(Tensor x, Tensor dy) {
        if (!weight.trainable()) return;
        if (bf16 == null && x.dtype() == DType.BF16) throw new SculptException(weight + ": bf16 input " + x.describe() + " in float32 compute");
        if (bf16 != null) {
            ops.matmul(true, false, 1f, bf16.gradient(dy), operand(x), 1f, weight.gradient());
            return;
        }
        ops.matmul(true, false, 1f, dy, x, 1f, weight.gradient());
    }

    /** dx [n, in] = dy [n, out] W, or {@code dx +=} when {@code accumulate}. */
    public void backwardInput(Tensor dy, Tensor dx, boolean accumulate) {
        if (bf16 != null) {
            ops.matmul(false, false, 1f, bf16.gradient(dy), bf16.weight(weight.value()), accumulate ? 1f : 0f, dx);
            return;
        }
        ops.matmul(false, false, 1f, dy, weight.value(), accumulate ? 1f : 0f, dx);
    }

    /** Both halves: {@code dW += dy^T x}, and {@code dx (+)= dy W} unless dx is null. */
    public void backward(Tensor x, Tensor dy, Tensor dx, boolean accumulateDx) {
        backwardWeight(x, dy);
        if (dx != null) backwardInput(dy, dx, accumulateDx);
    }
}
