package dev.sculpt.tensor;

import dev.sculpt.SculptException;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A batch of {@code count} float32 matrices of one shape {@code rows x cols}, row-major and packed one
 * after another, in host memory (off-heap, JavaCPP-allocated) or device memory. Native memory is owned
 * and freed by {@link #close()}; nothing relies on finalizers.
 *
 * <p>Host storage is reachable both as a {@link FloatPointer} (for BLAS/LAPACK calls) and as a direct
 * {@link FloatBuffer} view over the same memory (for Java loops). Device storage is an opaque address
 * owned by the backend that allocated it.
 */
public final class MatrixBatch implements AutoCloseable {
    private final int count;
    private final int rows;
    private final int cols;
    private final Device device;
    private final FloatPointer host;     // null on device
    private final FloatBuffer buffer;    // null on device
    private final long deviceAddress;    // 0 on host
    private final Runnable release;      // frees the memory when owned; null when a view
    private String[] names;
    private boolean closed;

    private MatrixBatch(int count, int rows, int cols, Device device, FloatPointer host, long deviceAddress,
                        Runnable release) {
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.device = device;
        this.host = host;
        this.buffer = host == null ? null : host.capacity(host.capacity()).position(0).asBuffer();
        this.deviceAddress = deviceAddress;
        this.release = release;
    }

    /** Allocates zero-filled host storage. */
    public static MatrixBatch allocateHost(int count, int rows, int cols) {
        long n = checkShape(count, rows, cols);
        if (n > Integer.MAX_VALUE) {
            throw new SculptException("batch of " + count + " x " + rows + " x " + cols
                    + " floats exceeds the 2^31-1 element limit of one host batch");
        }
        FloatPointer p = new FloatPointer(Math.max(1, n));
        p.zero();
        return new MatrixBatch(count, rows, cols, Device.HOST, p, 0, p::close);
    }

    /** A host batch filled from a heap array (copied). */
    public static MatrixBatch ofHost(int count, int rows, int cols, float[] values) {
        MatrixBatch m = allocateHost(count, rows, cols);
        if (values.length != m.elementCount()) {
            m.close();
            throw new SculptException("expected " + m.elementCount() + " values for a " + count + " x " + rows
                    + " x " + cols + " batch, got " + values.length);
        }
        m.buffer.put(0, values);
        return m;
    }

    /**
     * Wraps device memory owned by a backend. {@code release} frees it on close (null: a borrowed view
     * whose owner frees it).
     */
    public static MatrixBatch wrapDevice(int count, int rows, int cols, long address, Runnable release) {
        checkShape(count, rows, cols);
        if (address == 0 && (long) count * rows * cols > 0) {
            throw new SculptException("null device address for a " + count + " x " + rows + " x " + cols + " batch");
        }
        return new MatrixBatch(count, rows, cols, Device.CUDA, null, address, release);
    }

    private static long checkShape(int count, int rows, int cols) {
        if (count < 0 || rows < 0 || cols < 0) {
            throw new SculptException("negative shape " + count + " x " + rows + " x " + cols);
        }
        return (long) count * rows * cols;
    }

    public int count() { return count; }
    public int rows() { return rows; }
    public int cols() { return cols; }
    public Device device() { return device; }
    public boolean isHost() { return device == Device.HOST; }
    public long matrixSize() { return (long) rows * cols; }
    public long elementCount() { return (long) count * rows * cols; }

    /** Element offset of matrix {@code b} in the packed storage. */
    public long offset(int b) { return (long) b * rows * cols; }

    /** The direct buffer over host storage (absolute indexing; its position is meaningless). */
    public FloatBuffer buffer() {
        checkOpen();
        if (buffer == null) throw new SculptException("batch is on " + device + ", not on the host");
        return buffer;
    }

    /** A fresh pointer to matrix {@code b} of host storage, for native calls. */
    public FloatPointer pointer(int b) {
        checkOpen();
        if (host == null) throw new SculptException("batch is on " + device + ", not on the host");
        return new FloatPointer(host).position(offset(b));
    }

    /** The base pointer of the host storage. */
    public FloatPointer hostPointer() {
        checkOpen();
        if (host == null) throw new SculptException("batch is on " + device + ", not on the host");
        return host;
    }

    /** Device address of matrix {@code b} (bytes). */
    public long deviceAddress(int b) {
        checkOpen();
        if (device != Device.CUDA) throw new SculptException("batch is on the host, not on a device");
        return deviceAddress + offset(b) * Float.BYTES;
    }

    public float get(int b, int r, int c) {
        return buffer().get((int) (offset(b) + (long) r * cols + c));
    }

    public void set(int b, int r, int c, float v) {
        buffer().put((int) (offset(b) + (long) r * cols + c), v);
    }

    /** Copies matrix {@code b} to a new heap array (row-major). */
    public float[] toArray(int b) {
        float[] out = new float[Math.toIntExact(matrixSize())];
        buffer().get((int) offset(b), out);
        return out;
    }

    /** Copies the whole batch to a new heap array. */
    public float[] toArray() {
        float[] out = new float[Math.toIntExact(elementCount())];
        buffer().get(0, out);
        return out;
    }

    /** Optional per-matrix names (tensor names), used in error messages. */
    public MatrixBatch withNames(String... names) {
        if (names != null && names.length != count) {
            throw new SculptException("got " + names.length + " names for a batch of " + count);
        }
        this.names = names == null ? null : names.clone();
        return this;
    }

    /** The name of matrix {@code b}, or "matrix b" where none was given. */
    public String name(int b) {
        return names != null ? names[b] : "matrix " + b;
    }

    public String[] names() {
        return names == null ? null : names.clone();
    }

    public String shapeString() {
        return count + " x " + rows + " x " + cols;
    }

    public boolean sameShape(MatrixBatch o) {
        return count == o.count && rows == o.rows && cols == o.cols;
    }

    public boolean isClosed() { return closed; }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("MatrixBatch " + shapeString() + " is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (release != null) release.run();
    }

    @Override
    public String toString() {
        return "MatrixBatch[" + shapeString() + " on " + device + (names == null ? "" : " " + Arrays.toString(names)) + "]";
    }

    /** Releases a pointer view created by {@link #pointer(int)} without touching the owner's memory. */
    public static void releaseView(Pointer p) {
        if (p != null) p.setNull();
    }
}
