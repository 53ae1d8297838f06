package dev.sculpt.ops.cuda;

/**
 * A {@link CudaRuntime} that forwards every call to another and counts the host-device copies
 * ({@link #transfers()}). One per {@link CudaOps} provider, so each provider's traffic is its own; the counts are
 * plain fields, as the provider is used by one thread.
 */
final class CountingRuntime implements CudaRuntime {
    private final CudaRuntime rt;
    private long toHostCalls;
    private long toHostBytes;
    private long toDeviceCalls;
    private long toDeviceBytes;

    CountingRuntime(CudaRuntime rt) {
        this.rt = rt;
    }

    /** The copies made so far. */
    Transfers transfers() {
        return new Transfers(toHostCalls, toHostBytes, toDeviceCalls, toDeviceBytes);
    }

    @Override public String describe() { return rt.describe(); }

    @Override public long totalMemory() { return rt.totalMemory(); }

    @Override public long freeMemory() { return rt.freeMemory(); }

    @Override public String memorySource() { return rt.memorySource(); }

    @Override public long malloc(long bytes) { return rt.malloc(bytes); }

    @Override public void free(long address) { rt.free(address); }

    @Override public void copyToDevice(long dst, long hostSrc, long bytes) {
        rt.copyToDevice(dst, hostSrc, bytes);
        toDeviceCalls++;
        toDeviceBytes += bytes;
    }

    @Override public void copyToHost(long hostDst, long src, long bytes) {
        rt.copyToHost(hostDst, src, bytes);
        toHostCalls++;
        toHostBytes += bytes;
    }

    @Override public void copyOnDevice(long dst, long src, long bytes) { rt.copyOnDevice(dst, src, bytes); }

    @Override public void zero(long address, long bytes) { rt.zero(address, bytes); }

    @Override public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                               long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        rt.gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    @Override public void gemmBf16(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                                   long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        rt.gemmBf16(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    @Override public void axpy(long n, float alpha, long x, long y) { rt.axpy(n, alpha, x, y); }

    @Override public void scale(int n, float alpha, long x) { rt.scale(n, alpha, x); }

    @Override public EngineKernels kernels() { return rt.kernels(); }

    @Override public long stream() { return rt.stream(); }

    @Override public String errorText(int err) { return rt.errorText(err); }

    @Override public void close() { rt.close(); }
}
