package dev.sculpt.io;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Where the float32 values of a tensor to be written come from, read in chunks so that writers never need
 * the whole tensor on the Java heap. Values are in row-major order.
 */
public interface TensorSource {
    /** The tensor's shape. */
    long[] shape();

    /**
     * Copies elements {@code [start, start + dst.remaining())} into {@code dst} at its position, advancing it.
     */
    void read(long start, FloatBuffer dst);

    default long elementCount() {
        return TensorInfo.elementCount(shape());
    }

    /** A tensor held in a heap array (not copied: do not modify it until written). */
    static TensorSource of(long[] shape, float[] values) {
        long[] s = shape.clone();
        if (TensorInfo.elementCount(s) != values.length) {
            throw new SculptException("shape " + Arrays.toString(s) + " needs " + TensorInfo.elementCount(s)
                    + " values, got " + values.length);
        }
        return new TensorSource() {
            @Override public long[] shape() { return s.clone(); }
            @Override public void read(long start, FloatBuffer dst) {
                dst.put(values, Math.toIntExact(start), dst.remaining());
            }
        };
    }

    /**
     * A tensor held in a buffer: elements {@code [position, limit)} of {@code values} (a view is taken now;
     * the buffer's own position is not changed).
     */
    static TensorSource of(long[] shape, FloatBuffer values) {
        long[] s = shape.clone();
        FloatBuffer view = values.slice();
        if (TensorInfo.elementCount(s) != view.remaining()) {
            throw new SculptException("shape " + Arrays.toString(s) + " needs " + TensorInfo.elementCount(s)
                    + " values, the buffer holds " + view.remaining());
        }
        return new TensorSource() {
            @Override public long[] shape() { return s.clone(); }
            @Override public void read(long start, FloatBuffer dst) {
                int from = Math.toIntExact(start);
                dst.put(view.duplicate().position(from).limit(from + dst.remaining()));
            }
        };
    }

    /** Matrix {@code b} of a host batch, as a tensor of shape [rows, cols]. */
    static TensorSource of(MatrixBatch batch, int b) {
        long off = batch.offset(b);
        FloatBuffer all = batch.buffer();
        FloatBuffer slot = all.duplicate().position((int) off).limit((int) (off + batch.matrixSize()));
        return of(new long[] {batch.rows(), batch.cols()}, slot);
    }

    /** Matrix {@code b} of a host batch, as a tensor of the given shape with rows*cols elements (e.g. [k] for S). */
    static TensorSource of(MatrixBatch batch, int b, long... shape) {
        long off = batch.offset(b);
        FloatBuffer slot = batch.buffer().duplicate().position((int) off).limit((int) (off + batch.matrixSize()));
        return of(shape, slot);
    }
}
