package dev.sculpt.backend.cuda;

/**
 * The device operations the CUDA algorithms ({@link CudaRandomizedSvd}, {@link CholeskyQr2},
 * {@link CudaExactSvd}, {@link CudaProjection}) are written against. Addresses are device byte addresses;
 * matrices are row-major unless a method says otherwise; every call throws a SculptException on failure.
 * {@link NativeDeviceOps} runs them on the GPU; the tests also run the algorithms on a Java emulation of this
 * contract, which checks the layouts, leading dimensions and operand orders on machines without a GPU.
 */
interface DeviceOps {
    long malloc(long bytes);

    void free(long address);

    /** Synchronous copy; kind is {@link CudaKernels#H2D}, {@link CudaKernels#D2H} or {@link CudaKernels#D2D}. */
    void copy(long dst, long src, long bytes, int kind);

    /** Reads n ints from device memory. */
    int[] readInts(long address, int n);

    /** Reads n floats from device memory. */
    float[] readFloats(long address, int n);

    /** Writes floats to device memory at address. */
    void writeFloats(long address, float[] values);

    void synchronize();

    /** out[b][r][c] = Philox gaussian(seed, b, r * cols + c). */
    void philoxFill(long out, int count, int rows, int cols, long seed);

    /** g[b] = y[b]^T y[b] in double; y rows x cols float, g cols x cols double. */
    void gram(long y, int count, int rows, int cols, long g);

    /** Upper Cholesky of each n x n double g[b] (destroyed), rinv[b] = R^{-1} as float, fail[b] = 0/1 (then rinv = I). */
    void choleskyInverse(long g, int count, int n, double relTol, long rinv, long fail);

    /**
     * Doubles of workspace {@link #choleskyFactor} needs for an n x n matrix; g is an n x n double device buffer,
     * not read (cuSOLVER's size query wants one).
     */
    long choleskyWorkDoubles(long g, int n);

    /**
     * Blocked (multi-block, cuSOLVER potrf) upper Cholesky G = R^T R of one n x n double g (destroyed), with
     * {@link #choleskyInverse}'s pivot test: r = R as float (n x n row-major, strict lower triangle zero, diag > 0),
     * fail[0] = 0; where a pivot R_jj^2 is not above relTol * max diag(G) (or is not finite), r = identity and
     * fail[0] = 1. work: {@link #choleskyWorkDoubles} doubles; no host synchronisation.
     */
    void choleskyFactor(long g, int n, double relTol, long work, long workDoubles, long r, long fail);

    /** y <- y R^{-1} for one row-major rows x n float y and n x n row-major upper triangular float R (cuBLAS trsm). */
    void solveRightUpper(long y, int rows, int n, long r);

    /** Jacobi eigen of each n x n double a[b] (destroyed): top keep values descending, their square roots, vectors (n x keep). */
    void symEigen(long a, int count, int n, int keep, int maxSweeps, long work, long values, long roots, long vectors);

    /** Like symEigen's outputs from ascending eigenvalues w[b] (n doubles) and column-major vectors z[b] (n x n doubles). */
    void eigenSelect(long w, long z, int count, int n, int keep, long values, long roots, long vectors);

    /** x[b][r][c] *= s[b][c] > tiny ? 1 / s[b][c] : 0. */
    void scaleColumnsInverse(long x, int count, int rows, int cols, long s, float tiny);

    /** out[b] = in[b]^T (in rows x cols, out cols x rows). */
    void transpose(long in, int count, int rows, int cols, long out);

    /**
     * The fused projection update, one pass over D: d[b] -= a1[b] b1[b] + a2[b] b2t[b]^T with d m x n, a1
     * m x k1, b1 k1 x n, a2 m x k2, b2t n x k2, all row-major and packed; a term with k = 0 is skipped.
     */
    void projectUpdate(long d, int count, int m, int n, long a1, long b1, int k1, long a2, long b2t, int k2);

    /** Row-major strided batch C = alpha op(A) op(B) + beta C (see {@link CudaLibraries#gemm}). */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
              long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch);

    /** dst = the orthonormal factor of the Householder QR of src (rows x cols, rows >= cols), diag(R) > 0. */
    void householderQ(long src, long dst, int rows, int cols);

    /** Symmetric eigen of one n x n double a: vectors replace a (column-major), values ascending into w. */
    void symmetricEigen(long a, long w, int n);

    /** Economy SVD of one column-major rows x cols float a (destroyed): U rows x p, V cols x p column-major, s descending. */
    void svd(long a, int rows, int cols, long s, long u, long v);
}
