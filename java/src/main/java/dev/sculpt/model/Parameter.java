package dev.sculpt.model;

import dev.sculpt.SculptException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;

/**
 * One named, trainable float32 tensor (Hugging Face name, e.g. {@code model.layers.0.self_attn.q_proj.weight})
 * with its gradient, both off-heap so that BLAS reads them without copies. A 2-D weight is row-major
 * [out, in] exactly as Hugging Face stores it. Freed by {@link #close()}.
 */
public final class Parameter implements AutoCloseable {
    private final String name;
    private final int[] shape;
    private final long size;
    private final FloatPointer data;
    private final FloatPointer grad;
    private final FloatBuffer dataBuf;
    private final FloatBuffer gradBuf;
    private boolean trainable = true;

    public Parameter(String name, int... shape) {
        this.name = name;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d <= 0) throw new SculptException("parameter " + name + " has a non-positive dimension " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new SculptException("parameter " + name + " is larger than 2^31-1 elements");
        this.size = n;
        this.data = new FloatPointer(n);
        this.grad = new FloatPointer(n);
        data.zero();
        grad.zero();
        this.dataBuf = data.asBuffer();
        this.gradBuf = grad.asBuffer();
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

    /** The values (absolute indexing, row-major). */
    public FloatBuffer data() { return dataBuf; }
    /** The accumulated gradient, same layout. */
    public FloatBuffer grad() { return gradBuf; }
    public FloatPointer dataPointer() { return data; }
    public FloatPointer gradPointer() { return grad; }

    public boolean trainable() { return trainable; }
    public Parameter trainable(boolean t) { this.trainable = t; return this; }

    public void zeroGrad() { grad.zero(); }

    public void copyFrom(float[] values) {
        if (values.length != size) {
            throw new SculptException("parameter " + name + ": expected " + size + " values " + Arrays.toString(shape) + ", got " + values.length);
        }
        dataBuf.put(0, values);
    }

    public float[] toArray() {
        float[] out = new float[(int) size];
        dataBuf.get(0, out);
        return out;
    }

    @Override
    public void close() {
        data.close();
        grad.close();
    }

    @Override
    public String toString() { return name + Arrays.toString(shape); }
}
