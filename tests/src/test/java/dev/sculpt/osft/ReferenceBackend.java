package dev.sculpt.osft;

import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;

/**
 * An independent host reference for the OSFT tests: exact SVD by LAPACK dgesdd in double precision and the
 * projection written out as (I - U U^T) D (I - V V^T) (and its one-sided and block variants) in double loops.
 * It lets the constraint be tested apart from the CPU backend's kernels.
 */
public final class ReferenceBackend implements Backend {
    @Override public String name() { return "reference"; }
    @Override public boolean computesOnHost() { return true; }
    @Override public String describe() { return "test reference (LAPACK dgesdd, double loops)"; }
    @Override public MatrixBatch allocate(int count, int rows, int cols) { return MatrixBatch.allocateHost(count, rows, cols); }
    @Override public MatrixBatch upload(MatrixBatch host) { return download(host); }

    @Override
    public MatrixBatch download(MatrixBatch b) {
        return MatrixBatch.ofHost(b.count(), b.rows(), b.cols(), b.toArray());
    }

    @Override public void gaussian(MatrixBatch out, long seed) { throw new UnsupportedOperationException(); }

    @Override
    public SvdResult randomizedSvd(MatrixBatch a, int k, SvdOptions options) {
        return exactSvd(a, k);
    }

    @Override
    public SvdResult exactSvd(MatrixBatch a, int k) {
        int m = a.rows(), n = a.cols(), mn = Math.min(m, n);
        MatrixBatch u = MatrixBatch.allocateHost(a.count(), m, k);
        MatrixBatch s = MatrixBatch.allocateHost(a.count(), 1, k);
        MatrixBatch v = MatrixBatch.allocateHost(a.count(), n, k);
        for (int b = 0; b < a.count(); b++) {
            float[] x = a.toArray(b);
            double[] d = new double[m * n];
            for (int i = 0; i < d.length; i++) d[i] = x[i];
            double[] sv = new double[mn];
            double[] uu = new double[m * mn];
            double[] vt = new double[mn * n];
            int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'S', m, n, d, n, sv, uu, mn, vt, n);
            if (info != 0) throw new SculptException("dgesdd failed: " + info);
            for (int c = 0; c < k; c++) {
                s.set(b, 0, c, (float) sv[c]);
                for (int r = 0; r < m; r++) u.set(b, r, c, (float) uu[r * mn + c]);
                for (int r = 0; r < n; r++) v.set(b, r, c, (float) vt[c * n + r]);
            }
        }
        return new SvdResult(u, s, v, SvdMethod.EXACT);
    }

    @Override
    public void project(MatrixBatch d, MatrixBatch u, MatrixBatch v, ProjectionMode mode) {
        int m = d.rows(), n = d.cols(), k = u.cols();
        for (int b = 0; b < d.count(); b++) {
            double[][] x = new double[m][n];
            for (int r = 0; r < m; r++) for (int c = 0; c < n; c++) x[r][c] = d.get(b, r, c);
            double[][] uu = new double[m][k], vv = new double[n][k];
            for (int r = 0; r < m; r++) for (int c = 0; c < k; c++) uu[r][c] = u.get(b, r, c);
            for (int r = 0; r < n; r++) for (int c = 0; c < k; c++) vv[r][c] = v.get(b, r, c);
            double[][] y;
            switch (mode) {
                case LEFT: y = leftOff(x, uu); break;
                case RIGHT: y = rightOff(x, vv); break;
                case HIGH_BLOCK: {
                    // D - U (U^T D V) V^T
                    double[][] ud = mulTn(uu, x);             // k x n
                    double[][] udv = mul(ud, vv);             // k x k
                    double[][] blk = mulNt(mul(uu, udv), vv); // m x n
                    y = sub(x, blk);
                    break;
                }
                default: y = rightOff(leftOff(x, uu), vv);
            }
            for (int r = 0; r < m; r++) for (int c = 0; c < n; c++) d.set(b, r, c, (float) y[r][c]);
        }
    }

    private static double[][] leftOff(double[][] x, double[][] u) { return sub(x, mul(u, mulTn(u, x))); }
    private static double[][] rightOff(double[][] x, double[][] v) { return sub(x, mulNt(mul(x, v), v)); }

    static double[][] mul(double[][] a, double[][] b) {
        int m = a.length, k = b.length, n = b[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) for (int p = 0; p < k; p++) { double x = a[i][p]; for (int j = 0; j < n; j++) c[i][j] += x * b[p][j]; }
        return c;
    }

    /** a^T b. */
    static double[][] mulTn(double[][] a, double[][] b) {
        int k = a.length, m = a[0].length, n = b[0].length;
        double[][] c = new double[m][n];
        for (int p = 0; p < k; p++) for (int i = 0; i < m; i++) { double x = a[p][i]; for (int j = 0; j < n; j++) c[i][j] += x * b[p][j]; }
        return c;
    }

    /** a b^T. */
    static double[][] mulNt(double[][] a, double[][] b) {
        int m = a.length, n = b.length, k = a[0].length;
        double[][] c = new double[m][n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) { double s = 0; for (int p = 0; p < k; p++) s += a[i][p] * b[j][p]; c[i][j] = s; }
        return c;
    }

    static double[][] sub(double[][] a, double[][] b) {
        double[][] c = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) c[i][j] = a[i][j] - b[i][j];
        return c;
    }
}
