package dev.sculpt.nn;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * An off-heap float32 array: a JavaCPP {@link FloatPointer} for BLAS and a direct {@link FloatBuffer} over the
 * same memory for Java loops. Either owns its memory (freed by {@link #close()}) or is a view of memory owned
 * elsewhere (a {@link Parameter}'s values or gradient), in which case {@link #close()} does nothing.
 *
 * <p>Owned arrays can {@link #ensure grow}, so that activation buffers are allocated once per largest batch and
 * then reused. Indices are element offsets (int: at most 2^31-1 elements per array).
 */
public final class FloatArray implements AutoCloseable {
    private FloatPointer pointer;
    private FloatBuffer buffer;
    private int length;
    private final boolean owned;
    private static final float[] ZEROS = new float[4096];

    /** A zero-filled owned array of {@code length} elements. */
    public FloatArray(long length) {
        this.owned = true;
        allocate(length);
    }

    private FloatArray(FloatPointer pointer, FloatBuffer buffer, int length) {
        this.owned = false;
        this.pointer = pointer;
        this.buffer = buffer;
        this.length = length;
    }

    /** An owned array holding a copy of {@code values}. */
    public static FloatArray of(float... values) {
        FloatArray a = new FloatArray(values.length);
        a.buffer.put(0, values);
        return a;
    }

    /** A view of a parameter's values (not owned). */
    public static FloatArray dataOf(Parameter p) {
        return new FloatArray(p.dataPointer(), p.data(), p.size());
    }

    /** A view of a parameter's gradient (not owned). */
    public static FloatArray gradOf(Parameter p) {
        return new FloatArray(p.gradPointer(), p.grad(), p.size());
    }

    private void allocate(long n) {
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new SculptException("float array of " + n + " elements is outside [0, 2^31-1]");
        }
        FloatPointer p = new FloatPointer(Math.max(1, n));
        p.zero();
        this.pointer = p;
        this.buffer = p.asBuffer();
        this.length = (int) n;
    }

    /**
     * Makes room for at least {@code n} elements. When the array grows its old contents are dropped and the new
     * memory is zero-filled; otherwise nothing changes.
     */
    public FloatArray ensure(long n) {
        if (n <= length) return this;
        if (!owned) throw new SculptException("cannot grow a view of " + length + " floats to " + n);
        pointer.close();
        allocate(Math.max(n, length + (length >> 2)));
        return this;
    }

    public int length() { return length; }

    /** The base pointer (position 0). Do not change its position; use {@link #at} for offsets. */
    public FloatPointer pointer() { return pointer; }

    /** A fresh pointer to element {@code offset} (a view; it frees nothing). */
    public FloatPointer at(long offset) {
        return new FloatPointer(pointer).position(offset);
    }

    /** Direct buffer over the whole array; use absolute get/put. */
    public FloatBuffer buffer() { return buffer; }

    public float get(int i) { return buffer.get(i); }

    public void set(int i, float v) { buffer.put(i, v); }

    /** Zeroes elements [offset, offset + n). */
    public void zero(int offset, int n) {
        if (n <= 0) return;
        checkRange(offset, n);
        for (int done = 0; done < n; done += ZEROS.length) {
            buffer.put(offset + done, ZEROS, 0, Math.min(ZEROS.length, n - done));
        }
    }

    /** Copies n elements from {@code src[srcOff..]} into this array at {@code dstOff}. */
    public void copyFrom(FloatArray src, int srcOff, int dstOff, int n) {
        if (n <= 0) return;
        src.checkRange(srcOff, n);
        checkRange(dstOff, n);
        buffer.put(dstOff, src.buffer, srcOff, n);
    }

    /** Copies elements [offset, offset + n) to a new heap array. */
    public float[] toArray(int offset, int n) {
        float[] out = new float[n];
        buffer.get(offset, out, 0, n);
        return out;
    }

    /** Copies all of {@code values} into this array at {@code offset}. */
    public void put(int offset, float[] values) {
        buffer.put(offset, values, 0, values.length);
    }

    private void checkRange(int offset, int n) {
        if (offset < 0 || (long) offset + n > length) {
            throw new SculptException("range [" + offset + ", " + ((long) offset + n) + ") outside a float array of " + length);
        }
    }

    @Override
    public void close() {
        if (owned && pointer != null) {
            pointer.close();
            pointer = null;
            buffer = null;
            length = 0;
        }
    }
}
