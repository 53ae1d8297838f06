package dev.sculpt.backend.cuda;

import static dev.sculpt.backend.cuda.Cuda.check;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/** {@link DeviceOps} on the GPU: the hand-written kernels of libsculpt_cuda.so plus cuBLAS/cuSOLVER. */
final class NativeDeviceOps implements DeviceOps {
    private final CudaLibraries libs;

    NativeDeviceOps(CudaLibraries libs) {
        this.libs = libs;
    }

    @Override public long malloc(long bytes) { return Cuda.malloc(bytes); }

    @Override public void free(long address) { Cuda.freeQuietly(address); }

    @Override public void copy(long dst, long src, long bytes, int kind) { Cuda.copy(dst, src, bytes, kind, "device copy"); }

    @Override
    public float[] readFloats(long address, int n) {
        float[] out = new float[n];
        try (FloatPointer h = new FloatPointer(Math.max(1, n))) {
            Cuda.copy(h.address(), address, (long) n * Float.BYTES, CudaKernels.D2H, "read floats");
            h.get(out);
        }
        return out;
    }

    @Override
    public void writeFloats(long address, float[] values) {
        try (FloatPointer h = new FloatPointer(values)) {
            Cuda.copy(address, h.address(), (long) values.length * Float.BYTES, CudaKernels.H2D, "write floats");
        }
    }

    @Override
    public int[] readInts(long address, int n) {
        int[] out = new int[n];
        try (IntPointer h = new IntPointer(Math.max(1, n))) {
            Cuda.copy(h.address(), address, (long) n * Integer.BYTES, CudaKernels.D2H, "read flags");
            h.get(out);
        }
        return out;
    }

    @Override public void synchronize() { check(CudaKernels.sculpt_cuda_synchronize(), "synchronize"); }

    @Override
    public void philoxFill(long out, int count, int rows, int cols, long seed) {
        check(CudaKernels.sculpt_philox_fill(out, count, rows, cols, seed, Cuda.STREAM), "Philox sketch");
    }

    @Override
    public void gram(long y, int count, int rows, int cols, long g) {
        check(CudaKernels.sculpt_gram(y, count, rows, cols, g, Cuda.STREAM), "Gram matrix");
    }

    @Override
    public void choleskyInverse(long g, int count, int n, double relTol, long rinv, long fail) {
        check(CudaKernels.sculpt_cholesky_inverse(g, count, n, relTol, rinv, fail, Cuda.STREAM), "Cholesky");
    }

    @Override
    public long choleskyWorkDoubles(long g, int n) { return libs.choleskyWorkDoubles(g, n); }

    @Override
    public void choleskyFactor(long g, int n, double relTol, long work, long workDoubles, long r, long fail) {
        // potrf's devInfo lands in fail[0]; sculpt_cholesky_finish reads it there and overwrites it with 0/1
        libs.cholesky(g, n, work, (int) Math.min(Integer.MAX_VALUE, workDoubles), fail);
        check(CudaKernels.sculpt_cholesky_finish(g, n, relTol, r, fail, Cuda.STREAM), "Cholesky pivot test");
    }

    @Override
    public void solveRightUpper(long y, int rows, int n, long r) { libs.solveRightUpper(y, rows, n, r); }

    @Override
    public void symEigen(long a, int count, int n, int keep, int maxSweeps, long work, long values, long roots, long vectors) {
        check(CudaKernels.sculpt_sym_eigen(a, count, n, keep, maxSweeps, work, values, roots, vectors, Cuda.STREAM), "Jacobi eigen");
    }

    @Override
    public void eigenSelect(long w, long z, int count, int n, int keep, long values, long roots, long vectors) {
        check(CudaKernels.sculpt_eigen_select(w, z, count, n, keep, values, roots, vectors, Cuda.STREAM), "eigen select");
    }

    @Override
    public void scaleColumnsInverse(long x, int count, int rows, int cols, long s, float tiny) {
        check(CudaKernels.sculpt_scale_columns_inverse(x, count, rows, cols, s, tiny, Cuda.STREAM), "column scaling");
    }

    @Override
    public void transpose(long in, int count, int rows, int cols, long out) {
        check(CudaKernels.sculpt_transpose(in, count, rows, cols, out, Cuda.STREAM), "transpose");
    }

    @Override
    public void projectUpdate(long d, int count, int m, int n, long a1, long b1, int k1, long a2, long b2t, int k2) {
        check(CudaKernels.sculpt_project_update(d, count, m, n, a1, b1, k1, a2, b2t, k2, Cuda.STREAM), "fused projection update");
    }

    @Override
    public void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                     long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        libs.gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    @Override
    public void householderQ(long src, long dst, int rows, int cols) {
        try (DeviceArena ws = new DeviceArena(this)) {
            libs.householderQ(src, dst, rows, cols, ws);
        }
    }

    @Override
    public void symmetricEigen(long a, long w, int n) {
        try (DeviceArena ws = new DeviceArena(this)) {
            libs.symmetricEigen(a, w, n, ws);
        }
    }

    @Override
    public void svd(long a, int rows, int cols, long s, long u, long v) {
        try (DeviceArena ws = new DeviceArena(this)) {
            libs.svd(a, rows, cols, s, u, v, ws);
        }
    }
}
