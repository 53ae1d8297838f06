package dev.sculpt.backend.cuda;

import static dev.sculpt.backend.cuda.Cuda.checkLib;
import static dev.sculpt.backend.cuda.Cuda.dp;
import static dev.sculpt.backend.cuda.Cuda.fp;
import static dev.sculpt.backend.cuda.Cuda.ip;

import dev.sculpt.SculptException;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cusolver.cusolverDnContext;
import org.bytedeco.cuda.cusolver.gesvdjInfo;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cusolver;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.slf4j.LoggerFactory;

/**
 * cuBLAS and cuSOLVER through the org.bytedeco cuda preset: row-major strided-batched SGEMM, Householder QR,
 * blocked Cholesky and triangular solve (CholeskyQR's large-n path), symmetric eigen-decomposition and exact SVD. Handles use the default stream, like the hand-written kernels.
 * cuBLAS is column-major: {@link RowMajorGemm} maps the row-major products onto it.
 */
final class CudaLibraries {
    private final cublasContext blas;
    private final cusolverDnContext solver;
    private final gesvdjInfo svdParams;
    private final FloatPointer one = new FloatPointer(1f);
    private final FloatPointer minusOne = new FloatPointer(-1f);
    private final FloatPointer zero = new FloatPointer(0f);

    private CudaLibraries(cublasContext blas, cusolverDnContext solver, gesvdjInfo svdParams) {
        this.blas = blas;
        this.solver = solver;
        this.svdParams = svdParams;
    }

    /** Loads the presets (throws when libcublas/libcusolver are missing) and creates the handles. */
    static CudaLibraries create() {
        Loader.load(cublas.class);
        Loader.load(cusolver.class);
        cublasContext b = new cublasContext();
        checkLib(cublas.cublasCreate_v2(b), "cublasCreate");
        // full FP32: TF32 tensor cores would cost the SVD three decimal digits
        checkLib(cublas.cublasSetMathMode(b, cublas.CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        cusolverDnContext s = new cusolverDnContext();
        checkLib(cusolver.cusolverDnCreate(s), "cusolverDnCreate");
        gesvdjInfo p = new gesvdjInfo();
        checkLib(cusolver.cusolverDnCreateGesvdjInfo(p), "cusolverDnCreateGesvdjInfo");
        return new CudaLibraries(b, s, p);
    }

    /**
     * Row-major, strided batch: {@code C = alpha op(A) op(B) + beta C} with C M x N and inner dimension K;
     * lda/ldb/ldc are the row lengths of the stored matrices, strides are in floats.
     */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
              long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        RowMajorGemm.gemm(this::columnMajorGemm, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                beta, c, ldc, strideC, batch);
    }

    private void columnMajorGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                                 long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        FloatPointer al = alpha == 1f ? one : alpha == -1f ? minusOne : new FloatPointer(alpha);
        FloatPointer be = beta == 0f ? zero : beta == 1f ? one : new FloatPointer(beta);
        checkLib(cublas.cublasSgemmStridedBatched(blas, transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                transB ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N, m, n, k, al, fp(a), lda, strideA, fp(b), ldb, strideB,
                be, fp(c), ldc, strideC, batch), "cublasSgemmStridedBatched " + m + "x" + n + "x" + k);
    }

    /**
     * Householder QR of one row-major rows x cols matrix (rows >= cols) at {@code src}, writing the orthonormal
     * factor to {@code dst} (row-major rows x cols) with its columns' signs chosen so that diag(R) > 0, the
     * convention of Cholesky QR.
     */
    void householderQ(long src, long dst, int rows, int cols, DeviceArena ws) {
        long h = ws.floats((long) rows * cols);
        long tau = ws.floats(cols);
        long signs = ws.floats(cols);
        long info = ws.ints(1);
        // row-major cols x rows is column-major rows x cols
        Cuda.check(CudaKernels.sculpt_transpose(src, 1, rows, cols, h, Cuda.STREAM), "transpose for QR");
        IntPointer lw = new IntPointer(1);
        checkLib(cusolver.cusolverDnSgeqrf_bufferSize(solver, rows, cols, fp(h), rows, lw), "cusolverDnSgeqrf_bufferSize");
        int lwork = lw.get();
        checkLib(cusolver.cusolverDnSorgqr_bufferSize(solver, rows, cols, cols, fp(h), rows, fp(tau), lw), "cusolverDnSorgqr_bufferSize");
        lwork = Math.max(lwork, lw.get());
        long work = ws.floats(Math.max(1, lwork));
        checkLib(cusolver.cusolverDnSgeqrf(solver, rows, cols, fp(h), rows, fp(tau), fp(work), lwork, ip(info)), "cusolverDnSgeqrf");
        Cuda.check(CudaKernels.sculpt_diag_signs(h, rows, cols, signs, Cuda.STREAM), "diag signs");
        checkLib(cusolver.cusolverDnSorgqr(solver, rows, cols, cols, fp(h), rows, fp(tau), fp(work), lwork, ip(info)), "cusolverDnSorgqr");
        Cuda.check(CudaKernels.sculpt_scale_columns_colmajor(h, rows, cols, signs, Cuda.STREAM), "QR sign fix");
        Cuda.check(CudaKernels.sculpt_transpose(h, 1, cols, rows, dst, Cuda.STREAM), "transpose after QR");
        checkInfo(info, "Householder QR");
    }

    /** Doubles of workspace cusolverDnDpotrf needs for one n x n matrix ({@code g}: an n x n device buffer, not read). */
    int choleskyWorkDoubles(long g, int n) {
        IntPointer lw = new IntPointer(1);
        checkLib(cusolver.cusolverDnDpotrf_bufferSize(solver, cublas.CUBLAS_FILL_MODE_LOWER, n, dp(g), n, lw),
                "cusolverDnDpotrf_bufferSize");
        return Math.max(1, lw.get());
    }

    /**
     * Blocked Cholesky of one symmetric n x n double matrix at {@code g} (the layout's sculpt_cholesky_finish
     * expects): cusolverDnDpotrf, lower fill on the column-major matrix, which for a row-major symmetric G leaves the
     * row-major upper factor R (G = R^T R) in place; the devInfo goes to {@code info} (device int), not read here.
     */
    void cholesky(long g, int n, long work, int workDoubles, long info) {
        int need = choleskyWorkDoubles(g, n);
        if (need > workDoubles) throw new IllegalArgumentException("cusolverDnDpotrf needs " + need + " doubles, got " + workDoubles);
        checkLib(cusolver.cusolverDnDpotrf(solver, cublas.CUBLAS_FILL_MODE_LOWER, n, dp(g), n, dp(work), workDoubles, ip(info)),
                "cusolverDnDpotrf " + n);
    }

    /** Row-major {@code y <- y R^{-1}} (y rows x n, R n x n upper triangular) by cublasStrsm, see {@link RowMajorTrsm}. */
    void solveRightUpper(long y, int rows, int n, long r) {
        RowMajorTrsm.rightUpper(this::columnMajorTrsm, rows, n, r, y);
    }

    private void columnMajorTrsm(boolean left, boolean lower, boolean transA, int m, int n, float alpha, long a, int lda, long b, int ldb) {
        FloatPointer al = alpha == 1f ? one : new FloatPointer(alpha);
        checkLib(cublas.cublasStrsm_v2(blas, left ? cublas.CUBLAS_SIDE_LEFT : cublas.CUBLAS_SIDE_RIGHT,
                lower ? cublas.CUBLAS_FILL_MODE_LOWER : cublas.CUBLAS_FILL_MODE_UPPER, transA ? cublas.CUBLAS_OP_T : cublas.CUBLAS_OP_N,
                cublas.CUBLAS_DIAG_NON_UNIT, m, n, al, fp(a), lda, fp(b), ldb), "cublasStrsm " + m + "x" + n);
    }

    /**
     * Eigen-decomposition of one symmetric n x n double matrix at {@code a} (overwritten by its eigenvectors,
     * column-major), eigenvalues ascending into {@code w}.
     */
    void symmetricEigen(long a, long w, int n, DeviceArena ws) {
        IntPointer lw = new IntPointer(1);
        int jobz = cusolver.CUSOLVER_EIG_MODE_VECTOR;
        int uplo = cublas.CUBLAS_FILL_MODE_UPPER;
        checkLib(cusolver.cusolverDnDsyevd_bufferSize(solver, jobz, uplo, n, dp(a), n, dp(w), lw), "cusolverDnDsyevd_bufferSize");
        long work = ws.doubles(Math.max(1, lw.get()));
        long info = ws.ints(1);
        checkLib(cusolver.cusolverDnDsyevd(solver, jobz, uplo, n, dp(a), n, dp(w), dp(work), lw.get(), ip(info)), "cusolverDnDsyevd");
        checkInfo(info, "cusolverDnDsyevd");
    }

    /**
     * Economy SVD (Jacobi, cuSOLVER gesvdj) of one column-major rows x cols matrix at {@code a} (destroyed):
     * {@code a = U diag(s) V^T} with U rows x p, V cols x p column-major, p = min(rows, cols), s descending.
     */
    void svd(long a, int rows, int cols, long s, long u, long v, DeviceArena ws) {
        int jobz = cusolver.CUSOLVER_EIG_MODE_VECTOR;
        IntPointer lw = new IntPointer(1);
        checkLib(cusolver.cusolverDnSgesvdj_bufferSize(solver, jobz, 1, rows, cols, fp(a), rows, fp(s), fp(u), rows, fp(v), cols,
                lw, svdParams), "cusolverDnSgesvdj_bufferSize");
        long work = ws.floats(Math.max(1, lw.get()));
        long info = ws.ints(1);
        checkLib(cusolver.cusolverDnSgesvdj(solver, jobz, 1, rows, cols, fp(a), rows, fp(s), fp(u), rows, fp(v), cols,
                fp(work), lw.get(), ip(info), svdParams), "cusolverDnSgesvdj");
        if (checkInfo(info, "cusolverDnSgesvdj", false) > 0) {
            LoggerFactory.getLogger(CudaLibraries.class).warn("cusolverDnSgesvdj of a {} x {} matrix stopped before its "
                    + "tolerance (default sweeps); the result is used as is", rows, cols);
        }
    }

    private static void checkInfo(long info, String what) {
        checkInfo(info, what, true);
    }

    /** Reads a cuSOLVER devInfo: throws on a bad argument, and on non-convergence where that is fatal. */
    private static int checkInfo(long info, String what, boolean convergenceFatal) {
        int[] h = new int[1];
        try (IntPointer p = new IntPointer(1)) {
            Cuda.copy(p.address(), info, Integer.BYTES, CudaKernels.D2H, what + " info");
            h[0] = p.get();
        }
        if (h[0] < 0) throw new SculptException(what + ": invalid argument " + (-h[0]));
        if (h[0] > 0 && convergenceFatal) throw new SculptException(what + " did not converge (info " + h[0] + ")");
        return h[0];
    }
}
