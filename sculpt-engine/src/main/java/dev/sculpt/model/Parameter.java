package dev.sculpt.model;

import dev.sculpt.SculptException;
import dev.sculpt.ops.HostCopy;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One named, trainable float32 tensor (Hugging Face name, e.g. {@code model.layers.0.self_attn.q_proj.weight})
 * with its gradient, both {@link Tensor}s allocated by the {@link Ops} provider the model runs on (host memory for
 * {@code cpu}, device memory otherwise). A 2-D weight is row-major [out, in] exactly as Hugging Face stores it.
 * Freed by {@link #close()}.
 *
 * <p>{@link #value()} and {@link #gradient()} are what ops act on. The host accessors ({@link #data()},
 * {@link #grad()}, the pointers) exist only for host tensors and fail, naming the parameter, on a device; the
 * whole-tensor copies {@link #toArray()}, {@link #gradientToArray()} and {@link #copyFrom(float[])} work on any
 * provider (through its upload and download).
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final int[] shape;
    private final long size;
    private final Ops ops;
    private final Tensor value;
    private final Tensor gradient;
    private boolean trainable = true;

    /** A parameter in host memory (the {@code cpu} provider's tensors). */
    public Parameter(String name, int... shape) {
        this(null, name, shape);
    }

    /** A zero-filled parameter and gradient on {@code ops}' device; null {@code ops} means host memory. */
    public Parameter(Ops ops, String name, int... shape) {
        this.name = name;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d <= 0) throw new SculptException("parameter " + name + " has a non-positive dimension " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new SculptException("parameter " + name + " is larger than 2^31-1 elements");
        this.size = n;
        this.ops = ops;
        this.value = ops == null ? Tensor.allocateHost(name, shape) : ops.allocate(name, shape);
        Tensor g;
        try {
            g = ops == null ? Tensor.allocateHost(name + " (gradient)", shape) : ops.allocate(name + " (gradient)", shape);
        } catch (RuntimeException e) {
            value.close();
            throw e;
        }
        this.gradient = g;
    }

    public String name() { return name; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int size() { return (int) size; }
    public boolean isMatrix() { return shape.length == 2; }
    /** Rows of a 2-D weight (out features). */
    public int rows() { return shape[0]; }
    /** Columns of a 2-D weight (in features). */
    public int cols() { return shape.length == 2 ? shape[1] : shape[0]; }

    /** The values, on the provider's device. */
    public Tensor value() { return value; }
    /** The accumulated gradient, same shape and device. */
    public Tensor gradient() { return gradient; }
    /** Whether the values live in host memory (so that the host accessors work). */
    public boolean isHost() { return value.isHost(); }

    /** The values (absolute indexing, row-major); host parameters only. */
    public FloatBuffer data() { return host(value).hostBuffer(); }
    /** The accumulated gradient, same layout; host parameters only. */
    public FloatBuffer grad() { return host(gradient).hostBuffer(); }
    public FloatPointer dataPointer() { return host(value).hostPointer(0); }
    public FloatPointer gradPointer() { return host(gradient).hostPointer(0); }

    private Tensor host(Tensor t) {
        if (!t.isHost()) {
            throw new SculptException("parameter " + name + " lives on " + t.device() + " (provider "
                    + ops.name() + "); use value()/gradient() with the provider's ops, or toArray()");
        }
        return t;
    }

    public boolean trainable() { return trainable; }
    public Parameter trainable(boolean t) { this.trainable = t; return this; }

    public void zeroGrad() {
        if (gradient.isHost()) {
            FloatPointer g = gradient.hostPointer(0);
            g.limit(g.position() + size).zero();   // memset over exactly this tensor's elements
        } else {
            ops.zero(gradient);
        }
    }

    /** Overwrites the values with {@code values} (exactly {@link #size()} of them). */
    public void copyFrom(float[] values) {
        if (values.length != size) {
            throw new SculptException("parameter " + name + ": expected " + size + " values " + Arrays.toString(shape) + ", got " + values.length);
        }
        HostCopy.fromArray(ops, values, value);
    }

    /** A heap copy of the values. */
    public float[] toArray() { return HostCopy.toArray(ops, value); }

    /** A heap copy of the accumulated gradient. */
    public float[] gradientToArray() { return HostCopy.toArray(ops, gradient); }

    @Override
    public void close() {
        value.close();
        gradient.close();
    }

    @Override
    public String toString() { return name + Arrays.toString(shape); }
}
