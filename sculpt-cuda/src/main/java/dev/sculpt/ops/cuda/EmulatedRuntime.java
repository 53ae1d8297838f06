package dev.sculpt.ops.cuda;

import dev.sculpt.SculptException;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The host standing in for a GPU: "device" memory is host memory (malloc), copies are memcpy, OpenBLAS's cblas
 * stands in for cuBLAS, and the kernels are the engine's CUDA sources built by g++ (libsculpt_cuda_emulated.so).
 * A capacity, when given, plays the device's memory size, so that running out can be tested. Counts what is
 * outstanding, so that tests can see leaks.
 */
final class EmulatedRuntime implements CudaRuntime {
    private static final int FLOAT = Float.BYTES;
    private final long capacity;
    private final Map<Long, Long> live = new HashMap<>();   // address -> bytes
    private long liveBytes;

    /** A runtime whose memory is only limited by the host's. */
    EmulatedRuntime() {
        this(Long.MAX_VALUE);
    }

    /** A runtime with {@code capacity} bytes of "device" memory. */
    EmulatedRuntime(long capacity) {
        if (!CudaEmulatedLibrary.loaded()) throw new SculptException(CudaEmulatedLibrary.unavailableReason());
        this.capacity = capacity;
    }

    private static FloatPointer fp(long address) { return RawPointer.floats(address); }

    @Override public String describe() {
        return "the engine's CUDA kernels and launch wrappers built by g++, one CPU thread per CUDA thread; "
                + "OpenBLAS in place of cuBLAS" + (capacity == Long.MAX_VALUE ? "" : "; " + capacity + " bytes of memory");
    }

    @Override public long totalMemory() { return capacity; }

    @Override public synchronized long freeMemory() { return capacity - liveBytes; }

    @Override public String memorySource() {
        return capacity == Long.MAX_VALUE ? "cuda-emulated: unlimited (host memory, as much as malloc gives)"
                : "cuda-emulated: a capacity of " + capacity + " bytes";
    }

    @Override public synchronized long malloc(long bytes) {
        if (bytes <= 0) throw new SculptException("cuda-emulated: malloc of " + bytes + " bytes");
        if (bytes > capacity - liveBytes) return 0;
        Pointer p = Pointer.malloc(bytes);
        if (p == null || p.isNull()) return 0;
        live.put(p.address(), bytes);
        liveBytes += bytes;
        return p.address();
    }

    @Override public synchronized void free(long address) {
        Long bytes = live.remove(address);
        if (bytes == null) throw new SculptException("cuda-emulated: free of " + Long.toHexString(address) + ", which is not allocated");
        liveBytes -= bytes;
        Pointer.free(new RawPointer(address));
    }

    /** Bytes allocated and not yet freed. */
    synchronized long liveBytes() { return liveBytes; }

    /** Blocks allocated and not yet freed. */
    synchronized int liveBlocks() { return live.size(); }

    @Override public void copyToDevice(long dst, long hostSrc, long bytes) {
        if (bytes > 0) Pointer.memcpy(new RawPointer(dst), new RawPointer(hostSrc), bytes);
    }

    @Override public void copyToHost(long hostDst, long src, long bytes) {
        if (bytes > 0) Pointer.memcpy(new RawPointer(hostDst), new RawPointer(src), bytes);
    }

    @Override public void copyOnDevice(long dst, long src, long bytes) {
        if (bytes > 0 && dst != src) Pointer.memmove(new RawPointer(dst), new RawPointer(src), bytes);
    }

    @Override public void zero(long address, long bytes) {
        if (bytes > 0) Pointer.memset(new RawPointer(address), 0, bytes);
    }

    @Override public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                               long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        for (int i = 0; i < batch; i++) {
            openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                    transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, alpha, fp(a + i * strideA * FLOAT), lda,
                    fp(b + i * strideB * FLOAT), ldb, beta, fp(c + i * strideC * FLOAT), ldc);
        }
    }

    /**
     * Widens A and B through the engine's conversion kernel (sculpt_convert_bf16_to_f32 under the emulation) into host
     * scratch, then {@link #gemm}: float32 accumulation of the exactly widened operands, as cuBLAS's compute-32F mode.
     */
    @Override public void gemmBf16(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                   long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        long spanA = (batch - 1) * strideA + (long) ((transA ? k : m) - 1) * lda + (transA ? m : k);
        long spanB = (batch - 1) * strideB + (long) ((transB ? n : k) - 1) * ldb + (transB ? k : n);
        Pointer wa = Pointer.malloc(spanA * FLOAT), wb = Pointer.malloc(spanB * FLOAT);
        try {
            if (wa == null || wa.isNull() || wb == null || wb.isNull()) {
                throw new SculptException("cuda-emulated: no host memory to widen a bf16 product's operands");
            }
            int err = EngineKernels.EMULATED.convertToFloat(wa.address(), a, spanA, 0);
            if (err == 0) err = EngineKernels.EMULATED.convertToFloat(wb.address(), b, spanB, 0);
            if (err != 0) throw new SculptException("cuda-emulated: sculpt_convert_bf16_to_f32 failed: cudaError " + err);
            gemm(transA, transB, m, n, k, alpha, wa.address(), lda, strideA, wb.address(), ldb, strideB, beta, c, ldc, strideC, batch);
        } finally {
            if (wa != null && !wa.isNull()) Pointer.free(wa);
            if (wb != null && !wb.isNull()) Pointer.free(wb);
        }
    }

    @Override public void axpy(long n, float alpha, long x, long y) {
        for (long done = 0; done < n; done += Integer.MAX_VALUE) {
            int len = (int) Math.min(Integer.MAX_VALUE, n - done);
            openblas.cblas_saxpy(len, alpha, fp(x + done * FLOAT), 1, fp(y + done * FLOAT), 1);
        }
    }

    @Override public void scale(int n, float alpha, long x) {
        openblas.cblas_sscal(n, alpha, fp(x), 1);
    }

    @Override public EngineKernels kernels() { return EngineKernels.EMULATED; }

    @Override public long stream() { return 0; }

    @Override public String errorText(int err) {
        return err == 1 ? "invalid value" : err == 9 ? "invalid launch configuration" : "error";
    }

    @Override public void close() {}
}
