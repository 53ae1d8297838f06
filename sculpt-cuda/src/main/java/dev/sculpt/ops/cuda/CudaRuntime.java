package dev.sculpt.ops.cuda;

/**
 * What {@link CudaOps} needs from a CUDA runtime: raw device memory, copies, cuBLAS-style products and the engine
 * kernels, all on one stream. Addresses are byte addresses in the runtime's memory; host addresses are JavaCPP
 * pointers' addresses. Two implementations: {@link GpuRuntime} (cudart, cuBLAS, libsculpt_cuda.so, one explicit
 * stream) and {@link EmulatedRuntime} (host memory, OpenBLAS, libsculpt_cuda_emulated.so; every call has finished
 * when it returns). Calls that fail throw a SculptException; only {@link #malloc} reports running out by value.
 */
interface CudaRuntime extends AutoCloseable {
    /** The hardware, for {@code Ops.describe()}. */
    String describe();

    /** Bytes of the device's memory (Long.MAX_VALUE where nothing bounds it but the host). */
    long totalMemory();

    /** Bytes of the device's memory free now. */
    long freeMemory();

    /** Where {@link #totalMemory()} comes from, for messages. */
    String memorySource();

    /** {@code bytes} (> 0) of device memory, aligned for any element type; 0 when the device has no room left. */
    long malloc(long bytes);

    /** Returns memory from {@link #malloc}; waits for the work queued on it. Callable after {@link #close()}. */
    void free(long address);

    /** Device {@code dst} = host {@code src}; the host memory may be reused when the call returns. */
    void copyToDevice(long dst, long hostSrc, long bytes);

    /** Host {@code dst} = device {@code src}, after all work queued before it (synchronizes). */
    void copyToHost(long hostDst, long src, long bytes);

    /** Device-to-device copy on the stream; the ranges may overlap only when equal. */
    void copyOnDevice(long dst, long src, long bytes);

    /** Zeroes {@code bytes} at {@code address} on the stream. */
    void zero(long address, long bytes);

    /**
     * Row-major strided-batched SGEMM with k > 0 and m, n, batch > 0: for each b,
     * {@code C_b = alpha op(A_b) op(B_b) + beta C_b}, element strides and leading dimensions (row lengths) as
     * {@code Ops.gemm}; beta = 0 ignores C's old values.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
              long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch);

    /**
     * As {@link #gemm} with A and B holding bfloat16 (C float32): the products of the exactly widened operands
     * accumulated in float32 (cuBLAS: CUDA_R_16BF inputs, CUBLAS_COMPUTE_32F).
     */
    void gemmBf16(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                  long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch);

    /** y += alpha x over n floats. */
    void axpy(long n, float alpha, long x, long y);

    /** x *= alpha over n floats. */
    void scale(int n, float alpha, long x);

    /** The engine kernels of this runtime's build. */
    EngineKernels kernels();

    /** The stream every call runs on (0 for the emulation). */
    long stream();

    /** Text of a cudaError_t code returned by a kernel. */
    String errorText(int err);

    /** Releases the stream and library handles; {@link #free} keeps working. */
    @Override
    void close();
}
