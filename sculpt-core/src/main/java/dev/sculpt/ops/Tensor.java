package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.Device;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;

/**
 * A named, row-major tensor of float32 ({@link DType#FLOAT32}, what every op computes on) or bfloat16
 * ({@link DType#BF16}: compute copies and gemm operands only, see {@link Ops#convert}) in host memory (off-heap, JavaCPP-allocated) or in a device's memory. The
 * last dimension is contiguous; a rank-2 tensor {@code [r, c]} holds element (i, j) at {@code i * c + j}.
 *
 * <p>Memory is owned and freed by {@link #close()} (nothing relies on finalizers), or borrowed: a {@link #view} of
 * another tensor, or device memory wrapped with a null release. A view is usable only while its root is open.
 * The name appears in every error about the tensor (wrong shape, wrong device, use after close).
 *
 * <p>Host tensors hold at most 2^31-1 elements (one direct {@link FloatBuffer}, or {@link ShortBuffer} for bf16,
 * spans them); device tensors are addressed by a byte address and may be larger. The float accessors
 * ({@link #hostBuffer()}, {@link #hostPointer}, {@link #toArray()}, {@link #copyFrom}) refuse a bf16 tensor, naming it;
 * {@link #hostBf16Buffer()} is its accessor.
 */
public final class Tensor implements AutoCloseable {
    private final String name;
    private final int[] shape;
    private final long size;
    private final DType dtype;
    private final Device device;
    private final Pointer base;         // host: the root's pointer at position 0 (Float- or ShortPointer); null on device
    private final FloatBuffer buffer;   // host float32: a slice over [offset, offset + size); null otherwise
    private final ShortBuffer shorts;   // host bf16: a slice over [offset, offset + size); null otherwise
    private final long offset;          // element offset from base (host) or from address (device)
    private final long address;         // device: the root's byte address; 0 on host
    private final Runnable release;     // owned root: frees the memory; null for views and borrowed memory
    private final Tensor root;          // this for roots
    private boolean closed;

    private Tensor(String name, int[] shape, long size, DType dtype, Device device, Pointer base, FloatBuffer buffer,
                   ShortBuffer shorts, long offset, long address, Runnable release, Tensor root) {
        this.name = name;
        this.shape = shape;
        this.size = size;
        this.dtype = dtype;
        this.device = device;
        this.base = base;
        this.buffer = buffer;
        this.shorts = shorts;
        this.offset = offset;
        this.address = address;
        this.release = release;
        this.root = root == null ? this : root;
    }

    /** A zero-filled host float32 tensor. */
    public static Tensor allocateHost(String name, int... shape) {
        return allocateHost(name, DType.FLOAT32, shape);
    }

    /** A zero-filled host tensor of {@code dtype}. */
    public static Tensor allocateHost(String name, DType dtype, int... shape) {
        long n = checkShape(name, shape);
        if (n > Integer.MAX_VALUE) {
            throw new SculptException("host tensor '" + name + "' of shape " + Arrays.toString(shape)
                    + " exceeds the 2^31-1 element limit of one host tensor");
        }
        if (dtype == DType.BF16) {
            ShortPointer p = new ShortPointer(Math.max(1, n));
            p.zero();
            ShortBuffer b = p.capacity(Math.max(1, n)).position(0).asBuffer();
            b = b.limit((int) n).slice();
            return new Tensor(name, shape.clone(), n, dtype, Device.HOST, p, null, b, 0, 0, p::close, null);
        }
        FloatPointer p = new FloatPointer(Math.max(1, n));
        p.zero();
        FloatBuffer b = p.capacity(Math.max(1, n)).position(0).asBuffer();
        b = b.limit((int) n).slice();
        return new Tensor(name, shape.clone(), n, DType.FLOAT32, Device.HOST, p, b, null, 0, 0, p::close, null);
    }

    /** A host tensor holding a copy of {@code values}, whose length must equal the shape's element count. */
    public static Tensor ofHost(String name, float[] values, int... shape) {
        Tensor t = allocateHost(name, shape);
        if (values.length != t.size) {
            t.close();
            throw new SculptException("tensor '" + name + "' of shape " + Arrays.toString(shape) + " needs "
                    + t.size + " values, got " + values.length);
        }
        t.buffer.put(0, values);
        return t;
    }

    /**
     * Wraps float32 device memory at byte {@code address}. {@code release} frees it on close; null means it is
     * borrowed and its owner frees it.
     */
    public static Tensor wrapDevice(String name, long address, Runnable release, int... shape) {
        return wrapDevice(name, DType.FLOAT32, address, release, shape);
    }

    /** As {@link #wrapDevice(String, long, Runnable, int...)} for elements of {@code dtype}. */
    public static Tensor wrapDevice(String name, DType dtype, long address, Runnable release, int... shape) {
        long n = checkShape(name, shape);
        if (address == 0 && n > 0) throw new SculptException("null device address for tensor '" + name + "'");
        return new Tensor(name, shape.clone(), n, dtype, Device.CUDA, null, null, null, 0, address, release, null);
    }

    private static long checkShape(String name, int[] shape) {
        if (name == null || name.isEmpty()) throw new SculptException("a tensor needs a non-empty name");
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new SculptException("tensor '" + name + "' has a negative dimension in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, (long) d);
        }
        return n;
    }

    /**
     * A borrowed view of {@code size(shape)} contiguous elements starting at element {@code elementOffset} of this
     * tensor (for example one sequence of a packed batch, or one layer's slice of a stacked weight).
     */
    public Tensor view(String viewName, long elementOffset, int... viewShape) {
        ensureOpen();
        long n = checkShape(viewName, viewShape);
        if (elementOffset < 0 || elementOffset + n > size) {
            throw new SculptException("view '" + viewName + "' of " + n + " elements at offset " + elementOffset
                    + " lies outside tensor '" + name + "' of " + size + " elements");
        }
        long off = offset + elementOffset;
        FloatBuffer b = null;
        ShortBuffer sb = null;
        if (device == Device.HOST && buffer != null) {
            b = buffer.duplicate().position((int) elementOffset).limit((int) (elementOffset + n)).slice();
        }
        if (device == Device.HOST && shorts != null) {
            sb = shorts.duplicate().position((int) elementOffset).limit((int) (elementOffset + n)).slice();
        }
        return new Tensor(viewName, viewShape.clone(), n, dtype, device, base, b, sb, off, address, null, root);
    }

    public String name() { return name; }

    public int[] shape() { return shape.clone(); }

    public int rank() { return shape.length; }

    /** Size of dimension {@code i}. */
    public int dim(int i) { return shape[i]; }

    /** Number of elements. */
    public long size() { return size; }

    public DType dtype() { return dtype; }

    public Device device() { return device; }

    public boolean isHost() { return device == Device.HOST; }

    /** Whether the tensor (or, for a view, its root) has been closed. */
    public boolean isClosed() { return root.closed; }

    /** A direct buffer over this float32 tensor's elements (index 0 is the first element); host tensors only. */
    public FloatBuffer hostBuffer() {
        ensureOpen();
        if (device != Device.HOST) throw new SculptException("tensor '" + name + "' lives on " + device + ", not on the host");
        if (dtype != DType.FLOAT32) {
            throw new SculptException("tensor " + describe() + " holds " + dtype + " elements, not float32");
        }
        return buffer;
    }

    /** A direct buffer over this bf16 tensor's elements (raw bfloat16 bit patterns); host tensors only. */
    public ShortBuffer hostBf16Buffer() {
        ensureOpen();
        if (device != Device.HOST) throw new SculptException("tensor '" + name + "' lives on " + device + ", not on the host");
        if (dtype != DType.BF16) throw new SculptException("tensor " + describe() + " holds " + dtype + " elements, not bf16");
        return shorts;
    }

    /** A fresh pointer to element {@code i} of this float32 tensor, for BLAS; host tensors only. */
    public FloatPointer hostPointer(long i) {
        hostBuffer();
        return new FloatPointer(base).position(offset + i);
    }

    /** The host byte address of element {@code i} of this tensor (any dtype); host tensors only. */
    public long hostAddress(long i) {
        ensureOpen();
        if (device != Device.HOST) throw new SculptException("tensor '" + name + "' lives on " + device + ", not on the host");
        return base.address() + (offset + i) * dtype.bytes();
    }

    /** The byte address of this tensor's first element on its device; device tensors only. */
    public long deviceAddress() {
        ensureOpen();
        if (device == Device.HOST) throw new SculptException("tensor '" + name + "' lives on the host, not on a device");
        return address + offset * dtype.bytes();
    }

    /** Bytes of this tensor's elements. */
    public long bytes() { return size * dtype.bytes(); }

    /** A heap copy of the elements; host tensors only. */
    public float[] toArray() {
        float[] out = new float[(int) size];
        hostBuffer().get(0, out, 0, out.length);
        return out;
    }

    /** Copies {@code values} (exactly {@link #size()} of them) into this host tensor. */
    public void copyFrom(float[] values) {
        FloatBuffer b = hostBuffer();
        if (values.length != size) {
            throw new SculptException("tensor '" + name + "' holds " + size + " elements, got " + values.length + " values");
        }
        b.put(0, values);
    }

    /** Throws when the tensor or its root has been closed. */
    public void ensureOpen() {
        if (root.closed) throw new SculptException("tensor '" + name + "' is used after its memory was closed");
    }

    /** "'name' [2, 3] on HOST" (with ", bf16" for a bf16 tensor), for messages. */
    public String describe() {
        return "'" + name + "' " + Arrays.toString(shape) + (dtype == DType.FLOAT32 ? "" : " " + dtype) + " on " + device;
    }

    @Override
    public String toString() { return describe(); }

    /** Frees owned memory; a view or borrowed tensor frees nothing. Closing twice is harmless. */
    @Override
    public void close() {
        if (root != this || closed) return;
        closed = true;
        if (release != null) release.run();
    }
}
