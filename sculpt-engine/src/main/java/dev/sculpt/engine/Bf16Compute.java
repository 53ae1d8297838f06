package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * What a model's {@link Linear} layers share in bf16 compute mode: three bf16 buffers on the model's provider, one
 * for the weight operand of a product (W), one for the activation operand (x) and one for the output gradient (dy),
 * each rounded from its float32 value just before the product that reads it ({@link Ops#convert}). They hold nothing
 * between calls: the float32 master weights and the float32 activations the blocks save stay the only stored values,
 * and a rounding is recomputed (bit for bit the same) where the backward needs it again. So bf16 compute adds only
 * these three buffers to a model's memory, each as large as the largest operand of its role (grown exactly to a new
 * largest request, never beyond): for a training micro-batch of T rows, the largest projection's weight plus T times
 * the widest projection input and T times the widest output, two bytes each (MemoryPlanner counts them as
 * "weights"). One per model; not thread-safe, as the model.
 */
public final class Bf16Compute implements AutoCloseable {
    private final Ops ops;
    private final String owner;
    private Tensor weight;
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

    /** W rounded to bf16 in the weight buffer (a view of W's shape, valid until the next call). */
    public Tensor weight(Tensor w) {
        weight = grown(weight, "bf16 weight operand", w.size());
        return rounded(w, weight);
    }

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
        if (t != null) t.close();   // its contents are dead: freed first, so the old and the new never coexist
        return ops.allocate(owner + " " + what, DType.BF16, (int) elements);
    }

    /** Bytes held by the three buffers. */
    public long bytes() {
        return bytes(weight) + bytes(operand) + bytes(gradient);
    }

    private static long bytes(Tensor t) {
        return t == null ? 0 : t.bytes();
    }

    @Override
    public void close() {
        closed = true;
        for (Tensor t : new Tensor[] {weight, operand, gradient}) if (t != null) t.close();
        weight = operand = gradient = null;
    }
}
