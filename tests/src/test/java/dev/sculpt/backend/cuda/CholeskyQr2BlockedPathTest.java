package dev.sculpt.backend.cuda;

import static dev.sculpt.backend.cuda.SpectrumMatrices.orthogonalityError;
import static dev.sculpt.backend.cuda.SpectrumMatrices.withSpectrum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.backend.DenseF64;
import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * CholeskyQr2's blocked path (cuSOLVER potrf for R, cuBLAS trsm for Y R^{-1}, from
 * {@link CholeskyQr2#BLOCKED_MIN_COLS} columns on) run on {@link EmulatedDeviceOps}: it orthonormalises, keeps the
 * span and the column directions (Q^T Y upper triangular, diag > 0), and flags a rank-deficient matrix, alone in its
 * batch, for the Householder fallback.
 *
 * <p>Tolerances, from float32 rounding (u = 2^-24) on the GPU's arithmetic, not the emulation's (which solves in
 * float64 and rounds once). A pass computes R in double (its Gram and Cholesky errors, about m u_double, are
 * negligible), rounds R to float (u |R|) and solves row by row: row i of the result solves x_i (R + dR_i) = y_i with
 * |dR_i| <= g |R| (Higham, Theorem 8.5), where g is the rounding of an n-term substitution, taken as
 * FloatBounds.probable(n) (independent roundings, as in the project's other bounds). With
 * || |R| ||_2 <= ||R||_F <= sqrt(n) ||R||_2, each result column is off by a relative eps = (g + u) sqrt(n) cond(Y),
 * so |(Q^T Q - I)_ij| <= 2 eps + eps^2. Pass 1 sees cond(Y); its error delta1 leaves cond(Q1) <=
 * sqrt((1 + delta1) / (1 - delta1)), which pass 2 sees. Span: Y = Q R + [x_i dR_i]_i, so the part of Y outside
 * span(Q) is at most sqrt(n) (1 + delta) (g + u) sqrt(n) ||R||_2 <= n (g + u) (1 + delta) ||Y||_F per pass, twice
 * over two passes. A wrong layout, operand order or triangle is an O(1) error in all three.
 */
class CholeskyQr2BlockedPathTest {
    private final long seed = new SplittableRandom().nextLong();

    /** The pass error 2 eps + eps^2 for cond c on n columns, eps as in the class comment. */
    static double passError(int n, double cond) {
        double eps = (FloatBounds.probable(n) + FloatBounds.U) * Math.sqrt(n) * cond;
        return 2 * eps + eps * eps;
    }

    static double twoPassError(int n, double cond) {
        double delta1 = passError(n, cond);
        assertTrue(delta1 < 0.5, "pass 1 must leave a well-conditioned basis: " + delta1);
        return passError(n, Math.sqrt((1 + delta1) / (1 - delta1)));
    }

    static double cond(MatrixBatch x, int b) {
        double[] s = DenseF64.of(x, b).singularValues();
        return s[0] / s[s.length - 1];
    }

    /** cond = 1e2 singular values, geometric; matrix 1 of 2 made rank-deficient (its last column repeats its first). */
    static MatrixBatch input(int count, int rows, int cols, long seed) {
        double[] s = new double[cols];
        for (int i = 0; i < cols; i++) s[i] = Math.pow(10, -2.0 * i / (cols - 1));
        MatrixBatch x = withSpectrum(count, rows, cols, s, seed);
        for (int r = 0; r < rows; r++) x.set(1, r, cols - 1, x.get(1, r, 0));
        return x;
    }

    /**
     * ||Y - Q Q^T Y||_F / ||Y||_F and the largest |(Q^T Y)_ij| below the diagonal over ||Y||_F; for a full-rank Y
     * asserts diag(Q^T Y) > 0 (a rank-deficient one has a zero there, up to rounding).
     */
    private static double[] spanAndTriangle(MatrixBatch y, MatrixBatch q, int b, boolean fullRank, String label) {
        DenseF64 yb = DenseF64.of(y, b), qb = DenseF64.of(q, b);
        DenseF64 r = qb.transpose().times(yb);
        double outside = yb.minus(qb.times(r)).frobenius() / yb.frobenius();
        double below = 0;
        for (int i = 0; i < r.rows; i++) {
            if (fullRank) assertTrue(r.get(i, i) > 0, label + ": (Q^T Y)_" + i + i + " = " + r.get(i, i) + " is not positive");
            for (int j = 0; j < i; j++) below = Math.max(below, Math.abs(r.get(i, j)));
        }
        return new double[] {outside, below / yb.frobenius()};
    }

    @Test
    void largeColumnCountsTakeTheBlockedPath() {
        int count = 2, rows = 300, cols = CholeskyQr2.BLOCKED_MIN_COLS;
        EmulatedDeviceOps ops = new EmulatedDeviceOps(32 << 20);
        try (MatrixBatch x = input(count, rows, cols, seed); DeviceArena ws = new DeviceArena(ops)) {
            long y = ops.upload(x);
            new CholeskyQr2(ops, ws, count, rows, cols).run(y, rows, cols);
            assertEquals(2 * count, ops.blockedCholeskyCalls, "two passes, each one blocked Cholesky per matrix");
            assertEquals(1, ops.householderCalls, "only the rank-deficient matrix, only in pass 1 (pass 2 sees its orthonormal basis)");
            try (MatrixBatch q = ops.download(y, count, rows, cols)) {
                for (int b = 0; b < count; b++) {
                    String label = "matrix " + b + " of " + rows + " x " + cols + ", seed " + seed;
                    // the fallback's Householder QR is accurate to about n u on its own; the bound of the Cholesky
                    // path at cond 1 covers it
                    double c = b == 0 ? cond(x, b) : 1;
                    double orthBound = twoPassError(cols, c);
                    double spanBound = 2 * cols * (FloatBounds.probable(cols) + FloatBounds.U) * (1 + passError(cols, c));
                    double err = orthogonalityError(q, b);
                    assertTrue(err <= orthBound, label + ": Q^T Q - I = " + err + " > " + orthBound);
                    double[] st = spanAndTriangle(x, q, b, b == 0, label);
                    assertTrue(st[0] <= spanBound, label + ": Y outside span(Q): " + st[0] + " > " + spanBound);
                    System.out.printf("%s: Q^T Q - I %.1e (bound %.1e), outside span %.1e, below diag %.1e (bound %.1e)%n",
                            label, err, orthBound, st[0], st[1], spanBound);
                    if (b == 0) assertTrue(st[1] <= spanBound, label + ": Q^T Y not upper triangular: " + st[1] + " > " + spanBound);
                }
            }
        }
    }

    /**
     * The same batch through both paths (threshold moved): the same Q up to the two paths' rounding, the blocked
     * Cholesky only on the blocked path, the fallback on the same matrix.
     */
    @Test
    void blockedAndOneBlockPathsAgree() {
        int count = 3, rows = 70, cols = 40;
        MatrixBatch[] out = new MatrixBatch[2];
        try (MatrixBatch x = input(count, rows, cols, seed)) {
            for (int path = 0; path < 2; path++) {
                EmulatedDeviceOps ops = new EmulatedDeviceOps(8 << 20);
                try (DeviceArena ws = new DeviceArena(ops)) {
                    long y = ops.upload(x);
                    new CholeskyQr2(ops, ws, count, rows, cols, path == 0 ? Integer.MAX_VALUE : 1).run(y, rows, cols);
                    assertEquals(path == 0 ? 0 : 2 * count, ops.blockedCholeskyCalls, "path " + path);
                    assertEquals(1, ops.householderCalls, "path " + path + ": the rank-deficient matrix only");
                    out[path] = ops.download(y, count, rows, cols);
                }
            }
            try (MatrixBatch one = out[0]; MatrixBatch blocked = out[1]) {
                for (int b = 0; b < count; b++) {
                    // both are within passError of the same exact Q column by column (after pass 1 the inputs of pass
                    // 2 differ by as much, cond(Q1) amplifying it), so they differ by at most twice the two-pass error
                    double c = b == 1 ? 1 : cond(x, b);
                    double tol = 2 * (passError(cols, c) + twoPassError(cols, c));
                    for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
                        assertEquals(one.get(b, i, j), blocked.get(b, i, j), tol, "matrix " + b + " (" + i + ", " + j + "), seed " + seed);
                    }
                }
            }
        }
    }
}
