package dev.sculpt.backend.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Error checks, memory and pointer plumbing over {@link CudaKernels}. Everything runs on the legacy default
 * stream (address 0), which this library, cuBLAS and cuSOLVER share through the device's primary context, so
 * no explicit synchronisation between them is needed.
 */
final class Cuda {
    private static final Logger LOG = LoggerFactory.getLogger(Cuda.class);
    static final long STREAM = 0L;

    private Cuda() {}

    static String errorString(int err) {
        BytePointer p = CudaKernels.sculpt_cuda_error_string(err);
        return p == null ? "CUDA error " + err : p.getString();
    }

    /** Throws a SculptException naming {@code what} unless {@code err} is 0. */
    static void check(int err, String what) {
        if (err != 0) {
            throw new SculptException("CUDA error in " + what + ": " + errorString(err) + " (code " + err + ")");
        }
    }

    /** cuBLAS / cuSOLVER status check (0 = success). */
    static void checkLib(int status, String what) {
        if (status != 0) throw new SculptException(what + " failed with status " + status);
    }

    static long malloc(long bytes) {
        long[] p = new long[1];
        check(CudaKernels.sculpt_cuda_malloc(p, Math.max(1, bytes)), "cudaMalloc of " + bytes + " bytes");
        return p[0];
    }

    static void freeQuietly(long address) {
        int err = CudaKernels.sculpt_cuda_free(address);
        if (err != 0) LOG.warn("cudaFree failed: {}", errorString(err));
    }

    static void copy(long dst, long src, long bytes, int kind, String what) {
        check(CudaKernels.sculpt_cuda_memcpy(dst, src, bytes, kind), what);
    }

    /** A zero-filled device batch owned by the returned MatrixBatch. */
    static MatrixBatch allocate(int count, int rows, int cols) {
        long bytes = (long) count * rows * cols * Float.BYTES;
        long a = malloc(bytes);
        try {
            check(CudaKernels.sculpt_cuda_memset_zero(a, bytes), "cudaMemset");
        } catch (RuntimeException e) {
            freeQuietly(a);
            throw e;
        }
        return MatrixBatch.wrapDevice(count, rows, cols, a, () -> freeQuietly(a));
    }

    /** Base device address of a device batch (0 for an empty one). */
    static long base(MatrixBatch b) {
        return b.elementCount() == 0 ? 0L : b.deviceAddress(0);
    }

    static long bytes(MatrixBatch b) {
        return b.elementCount() * Float.BYTES;
    }

    /** Copies a device batch into a host batch of the same shape. */
    static void toHost(MatrixBatch device, MatrixBatch host) {
        if (device.elementCount() == 0) return;
        copy(host.hostPointer().address(), base(device), bytes(device), CudaKernels.D2H, "copy to host of " + device);
    }

    /** A device copy of a host batch (names kept). */
    static MatrixBatch toDevice(MatrixBatch host) {
        MatrixBatch d = allocate(host.count(), host.rows(), host.cols());
        try {
            if (host.elementCount() > 0) {
                copy(base(d), host.hostPointer().address(), bytes(host), CudaKernels.H2D, "copy to device of " + host);
            }
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d.withNames(host.names());
    }

    /** A device pointer as a JavaCPP pointer object for the cuBLAS/cuSOLVER presets (not owning). */
    static FloatPointer fp(long address) { return new FloatPointer(new Address(address)); }

    static DoublePointer dp(long address) { return new DoublePointer(new Address(address)); }

    static IntPointer ip(long address) { return new IntPointer(new Address(address)); }

    private static final class Address extends Pointer {
        Address(long a) {
            address = a;
        }
    }
}
