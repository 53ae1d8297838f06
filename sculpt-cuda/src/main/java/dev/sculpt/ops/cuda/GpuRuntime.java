package dev.sculpt.ops.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cuda.CudaKernels;
import dev.sculpt.backend.cuda.CudaProbe;
import dev.sculpt.backend.cuda.RowMajorGemm;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A GPU: device 0 through the CUDA runtime (libsculpt_cuda.so's cudart wrappers, the same shared libcudart.so.13
 * as the org.bytedeco preset's), cuBLAS for the products and the engine kernels of libsculpt_cuda.so, everything on
 * one explicit stream. The stream is a blocking one, so work that other code queues on the legacy default stream
 * (the CUDA backend's decompositions) stays ordered with it. cuBLAS runs in full FP32 (no TF32), the precision the
 * contract suite's bounds assume.
 */
final class GpuRuntime implements CudaRuntime {
    private static final int FLOAT = Float.BYTES;
    private static final int OUT_OF_MEMORY = 2;   // cudaErrorMemoryAllocation
    private final long stream;
    private final cublasContext blas;
    private final FloatPointer alphaHost = new FloatPointer(1);
    private final FloatPointer betaHost = new FloatPointer(1);
    private boolean closed;

    /** Throws a SculptException saying what is missing when CUDA is not usable here. */
    GpuRuntime() {
        if (!CudaProbe.usable()) throw new SculptException(CudaProbe.unavailableReason());
        long[] s = new long[1];
        check(CudaKernels.sculpt_cuda_stream_create(s), "cudaStreamCreate");
        stream = s[0];
        cublasContext b = new cublasContext();
        try {
            status(cublas.cublasCreate_v2(b), "cublasCreate");
            status(cublas.cublasSetStream_v2(b, new CUstream_st(new RawPointer(stream))), "cublasSetStream");
            status(cublas.cublasSetMathMode(b, cublas.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        } catch (RuntimeException e) {
            CudaKernels.sculpt_cuda_stream_destroy(stream);
            throw e;
        }
        blas = b;
    }

    private static String text(int err) {
        BytePointer p = CudaKernels.sculpt_cuda_error_string(err);
        return p == null ? "CUDA error " + err : p.getString();
    }

    private static void check(int err, String what) {
        if (err != 0) throw new SculptException("cuda: " + what + " failed: " + text(err) + " (cudaError " + err + ")");
    }

    private static void status(int st, String what) {
        if (st != 0) throw new SculptException("cuda: " + what + " failed with cuBLAS status " + st);
    }

    private static FloatPointer fp(long address) { return RawPointer.floats(address); }

    @Override public String describe() { return CudaProbe.description() + "; cuBLAS FP32, one stream"; }

    /** {free, total} bytes of device 0 from cudaMemGetInfo. */
    private static long[] memInfo() {
        long[] free = new long[1], total = new long[1];
        check(CudaKernels.sculpt_cuda_mem_info(free, total), "cudaMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override public long totalMemory() { return memInfo()[1]; }

    @Override public long freeMemory() { return memInfo()[0]; }

    @Override public String memorySource() { return "cudaMemGetInfo of device 0"; }

    @Override public long malloc(long bytes) {
        long[] p = new long[1];
        int err = CudaKernels.sculpt_cuda_malloc(p, bytes);
        if (err == OUT_OF_MEMORY) return 0;
        check(err, "cudaMalloc of " + bytes + " bytes");
        return p[0];
    }

    @Override public void free(long address) {
        check(CudaKernels.sculpt_cuda_free(address), "cudaFree");
    }

    @Override public void copyToDevice(long dst, long hostSrc, long bytes) {
        // from pageable memory the call returns once the source is staged: the caller may free it
        check(CudaKernels.sculpt_cuda_memcpy_async(dst, hostSrc, bytes, CudaKernels.H2D, stream), "copy to the device");
    }

    @Override public void copyToHost(long hostDst, long src, long bytes) {
        check(CudaKernels.sculpt_cuda_memcpy_async(hostDst, src, bytes, CudaKernels.D2H, stream), "copy to the host");
        check(CudaKernels.sculpt_cuda_stream_synchronize(stream), "stream synchronize after a copy to the host");
    }

    @Override public void copyOnDevice(long dst, long src, long bytes) {
        if (dst == src) return;
        check(CudaKernels.sculpt_cuda_memcpy_async(dst, src, bytes, CudaKernels.D2D, stream), "device copy");
    }

    @Override public void zero(long address, long bytes) {
        check(CudaKernels.sculpt_cuda_memset_zero_async(address, bytes, stream), "cudaMemsetAsync");
    }

    @Override public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                               long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        RowMajorGemm.gemm(this::columnMajor, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
                ldc, strideC, batch);
    }

    private void columnMajor(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                             long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        alphaHost.put(alpha);   // host pointer mode: cuBLAS reads the scalars before the call returns
        betaHost.put(beta);
        status(cublas.cublasSgemmStridedBatched(blas, transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, m, n, k, alphaHost, fp(a), lda, strideA, fp(b), ldb,
                strideB, betaHost, fp(c), ldc, strideC, batch), "cublasSgemmStridedBatched " + m + "x" + n + "x" + k + " x" + batch);
    }

    @Override public void gemmBf16(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                   long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        RowMajorGemm.gemm(this::columnMajorBf16, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c,
                ldc, strideC, batch);
    }

    /** cublasGemmStridedBatchedEx: A, B CUDA_R_16BF, C CUDA_R_32F, CUBLAS_COMPUTE_32F (float32 accumulation). */
    private void columnMajorBf16(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                 long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        alphaHost.put(alpha);
        betaHost.put(beta);
        status(cublas.cublasGemmStridedBatchedEx(blas, transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, m, n, k, alphaHost, new RawPointer(a), cudart.CUDA_R_16BF, lda,
                strideA, new RawPointer(b), cudart.CUDA_R_16BF, ldb, strideB, betaHost, new RawPointer(c), cudart.CUDA_R_32F, ldc,
                strideC, batch, cublas.CUBLAS_COMPUTE_32F, cublas.CUBLAS_GEMM_DEFAULT),
                "cublasGemmStridedBatchedEx (bf16) " + m + "x" + n + "x" + k + " x" + batch);
    }

    @Override public void axpy(long n, float alpha, long x, long y) {
        alphaHost.put(alpha);
        for (long done = 0; done < n; done += Integer.MAX_VALUE) {
            int len = (int) Math.min(Integer.MAX_VALUE, n - done);
            status(cublas.cublasSaxpy_v2(blas, len, alphaHost, fp(x + done * FLOAT), 1, fp(y + done * FLOAT), 1), "cublasSaxpy");
        }
    }

    @Override public void scale(int n, float alpha, long x) {
        alphaHost.put(alpha);
        status(cublas.cublasSscal_v2(blas, n, alphaHost, fp(x), 1), "cublasSscal");
    }

    @Override public EngineKernels kernels() { return EngineKernels.GPU; }

    @Override public long stream() { return stream; }

    @Override public String errorText(int err) { return text(err); }

    @Override public void close() {
        if (closed) return;
        closed = true;
        CudaKernels.sculpt_cuda_stream_synchronize(stream);
        cublas.cublasDestroy_v2(blas);
        CudaKernels.sculpt_cuda_stream_destroy(stream);
        alphaHost.close();
        betaHost.close();
    }
}
