package dev.sculpt.backend.cuda;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgeqrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dorgqr;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;

import dev.sculpt.linalg.Philox;
import dev.sculpt.tensor.MatrixBatch;
import java.util.Arrays;

/**
 * The backends' randomized SVD in float64 on their own Philox sketch: what exact arithmetic gives for the same
 * sketch, so that a float32 result's distance to it is the code's error (rounding, or a bug) and its distance to
 * the exact singular values minus that is the algorithm's. The same steps as CudaRandomizedSvd and the CPU backend:
 * M = A (m <= n) or A^T, r x c with r = min(m, n), c = max(m, n); the sketch Omega (c x l, l = sketchWidth) with
 * Omega[i][j] = Philox.gaussian(seed, b, i l + j); Y = orth(M Omega); q times Y = orth(M orth(M^T Y)); the singular
 * values of M^T Y. Bases by Householder QR (LAPACK dgeqrf/dorgqr), products by OpenBLAS dgemm, singular values by
 * dgesdd, all in float64. Used by GpuBenchmark and RandomizedSvdBenchSpectrumTest.
 */
public final class RandomizedSvdF64 {
    private RandomizedSvdF64() {}

    /** sigma_1..k of the float64 randomized SVD of matrix b of a (host) with oversampling p, q power iterations. */
    public static double[] singularValues(MatrixBatch a, int b, int k, int p, int q, long seed) {
        int m = a.rows(), n = a.cols(), r = Math.min(m, n), c = Math.max(m, n);
        int l = CudaRandomizedSvd.sketchWidth(m, n, k, p);
        double[] mat = new double[r * c];   // M, r x c
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double x = a.get(b, i, j);
            if (m <= n) mat[i * c + j] = x; else mat[j * c + i] = x;
        }
        double[] y = orth(product(false, mat, r, c, sketch(c, l, b, seed), l), r, l);
        for (int i = 0; i < q; i++) {
            double[] z = orth(product(true, mat, r, c, y, l), c, l);
            y = orth(product(false, mat, r, c, z, l), r, l);
        }
        double[] bt = product(true, mat, r, c, y, l);   // M^T Y, c x l: the singular values of Y^T M
        double[] s = new double[l];
        check(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'N', c, l, bt, l, s, new double[1], 1, new double[1], 1), "dgesdd");
        return Arrays.copyOf(s, k);
    }

    /** The sketch of matrix b, row-major c x l: Omega[i][j] = Philox.gaussian(seed, b, i l + j). */
    public static double[] sketch(int c, int l, int b, long seed) {
        double[] omega = new double[c * l];
        for (int i = 0; i < c; i++) for (int j = 0; j < l; j++) omega[i * l + j] = Philox.gaussian(seed, b, (long) i * l + j);
        return omega;
    }

    /** M x (x: c x l) or M^T x (x: r x l) for M r x c, row-major. */
    private static double[] product(boolean transM, double[] mat, int r, int c, double[] x, int l) {
        int rows = transM ? c : r, inner = transM ? r : c;
        double[] out = new double[rows * l];
        cblas_dgemm(CblasRowMajor, transM ? CblasTrans : CblasNoTrans, CblasNoTrans, rows, l, inner, 1.0, mat, c, x, l, 0.0, out, l);
        return out;
    }

    /** Orthonormal basis of the columns of x (rows x cols, rows >= cols), Householder QR, in place. */
    private static double[] orth(double[] x, int rows, int cols) {
        double[] tau = new double[cols];
        check(LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, rows, cols, x, cols, tau), "dgeqrf");
        check(LAPACKE_dorgqr(LAPACK_ROW_MAJOR, rows, cols, cols, x, cols, tau), "dorgqr");
        return x;
    }

    private static void check(int info, String what) {
        if (info != 0) throw new IllegalStateException(what + " failed: info " + info);
    }
}
