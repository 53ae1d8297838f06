package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * What a model's {@link Linear} layers share in bf16 compute mode: two growable bf16 buffers on the model's provider,
 * one for the activation operand of a product (x) and one for the output gradient (dy), each rounded from its float32
 * value just before the product that reads it ({@link Ops#convert}). They hold nothing between calls: the float32
 * activations the blocks save stay the master values, and the rounding is recomputed (bit for bit the same) in the
 * backward. One per model; not thread-safe, as the model.
 */
public final class Bf16Compute implements AutoCloseable {
    private final Ops ops;
    private final String owner;
    private Tensor operand;
    private Tensor gradient;
    private boolean closed;

    /** Buffers on {@code ops}; {@code owner} names them (e.g. "llama"). */
    public Bf16Compute(Ops ops, String owner) {
        this.ops = ops;
        this.owner = owner;
    }

    /** The provider the buffers live on. */
    public Ops ops() { return ops; }

    /** x rounded to bf16 in the activation buffer (a view of x's shape, valid until the next call). */
    public Tensor operand(Tensor x) {
        operand = grown(operand, "bf16 activation operand", x.size());
        return rounded(x, operand);
    }

    /** dy rounded to bf16 in the gradient buffer (a view of dy's shape, valid until the next call). */
    public Tensor gradient(Tensor dy) {
        gradient = grown(gradient, "bf16 output gradient", dy.size());
        return rounded(dy, gradient);
    }

    private Tensor rounded(Tensor x, Tensor buffer) {
        Tensor v = buffer.view(buffer.name(), 0, x.shape());
        ops.convert(x, v);
        return v;
    }

    private Tensor grown(Tensor t, String what, long elements) {
        if (closed) throw new SculptException(owner + " bf16 compute buffers are closed");
        if (t != null && t.size() >= elements) return t;
        if (elements > Integer.MAX_VALUE) throw new SculptException(owner + " " + what + " of " + elements + " elements exceeds 2^31-1");
        long want = t == null ? elements : Math.max(elements, Math.min(Integer.MAX_VALUE, 2 * t.size()));
        Tensor grown = ops.allocate(owner + " " + what, DType.BF16, (int) want);
        if (t != null) t.close();
        return grown;
    }

    /** Bytes held by the two buffers. */
    public long bytes() {
        return (operand == null ? 0 : operand.bytes()) + (gradient == null ? 0 : gradient.bytes());
    }

    @Override
    public void close() {
        closed = true;
        if (operand != null) operand.close();
        if (gradient != null) gradient.close();
        operand = gradient = null;
    }
}
