package dev.sculpt.backend;

import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgeqrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dorgqr;

import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;

/**
 * Independent float64 reference arithmetic for the backend tests: row-major double matrices, plain Java
 * products and LAPACK double-precision QR and SVD (dgeqrf/dorgqr, dgesdd).
 */
public final class DenseF64 {
    public final int rows;
    public final int cols;
    public final double[] a;

    public DenseF64(int rows, int cols) {
        this(rows, cols, new double[rows * cols]);
    }

    public DenseF64(int rows, int cols, double[] a) {
        this.rows = rows;
        this.cols = cols;
        this.a = a;
    }

    public double get(int i, int j) { return a[i * cols + j]; }

    public void set(int i, int j, double v) { a[i * cols + j] = v; }

    public static DenseF64 of(MatrixBatch batch, int b) {
        float[] f = batch.toArray(b);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return new DenseF64(batch.rows(), batch.cols(), d);
    }

    /** Writes this matrix, rounded to float, into matrix b of a host batch. */
    public void into(MatrixBatch batch, int b) {
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) batch.set(b, i, j, (float) get(i, j));
    }

    /** This matrix rounded to float and back. */
    public DenseF64 roundedToFloat() {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = (float) a[i];
        return new DenseF64(rows, cols, d);
    }

    public static DenseF64 gaussian(int rows, int cols, SplittableRandom rnd) {
        DenseF64 m = new DenseF64(rows, cols);
        for (int i = 0; i < m.a.length; i++) m.a[i] = gauss(rnd);
        return m;
    }

    static double gauss(SplittableRandom rnd) {
        double u1 = rnd.nextDouble() + 1e-300;
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** A rows x cols (rows >= cols) matrix with orthonormal columns: Q of a Gaussian matrix (Householder, float64). */
    public static DenseF64 randomOrthonormal(int rows, int cols, SplittableRandom rnd) {
        DenseF64 g = gaussian(rows, cols, rnd);
        if (cols == 0) return g;
        double[] tau = new double[cols];
        check(singleThreaded(() -> LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, rows, cols, g.a, cols, tau)), "dgeqrf");
        check(singleThreaded(() -> LAPACKE_dorgqr(LAPACK_ROW_MAJOR, rows, cols, cols, g.a, cols, tau)), "dorgqr");
        return g;
    }

    /** U diag(s) V^T with random orthonormal U (rows x r) and V (cols x r), r = s.length. */
    public static DenseF64 withSpectrum(int rows, int cols, double[] s, SplittableRandom rnd) {
        int r = s.length;
        DenseF64 u = randomOrthonormal(rows, r, rnd);
        DenseF64 v = randomOrthonormal(cols, r, rnd);
        for (int i = 0; i < rows; i++) for (int j = 0; j < r; j++) u.set(i, j, u.get(i, j) * s[j]);
        return u.times(v.transpose());
    }

    public DenseF64 transpose() {
        DenseF64 t = new DenseF64(cols, rows);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t.set(j, i, get(i, j));
        return t;
    }

    public DenseF64 times(DenseF64 o) {
        if (cols != o.rows) throw new IllegalArgumentException(rows + "x" + cols + " * " + o.rows + "x" + o.cols);
        DenseF64 c = new DenseF64(rows, o.cols);
        for (int i = 0; i < rows; i++) {
            for (int p = 0; p < cols; p++) {
                double x = a[i * cols + p];
                if (x == 0) continue;
                int ob = p * o.cols;
                int cb = i * o.cols;
                for (int j = 0; j < o.cols; j++) c.a[cb + j] += x * o.a[ob + j];
            }
        }
        return c;
    }

    public DenseF64 times(double f) {
        DenseF64 c = new DenseF64(rows, cols);
        for (int i = 0; i < a.length; i++) c.a[i] = a[i] * f;
        return c;
    }

    public DenseF64 minus(DenseF64 o) {
        DenseF64 c = new DenseF64(rows, cols);
        for (int i = 0; i < a.length; i++) c.a[i] = a[i] - o.a[i];
        return c;
    }

    /** Scales column j by s[j]. */
    public DenseF64 scaleColumns(double[] s) {
        DenseF64 c = new DenseF64(rows, cols);
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) c.set(i, j, get(i, j) * s[j]);
        return c;
    }

    /** The first k columns. */
    public DenseF64 leftColumns(int k) {
        DenseF64 c = new DenseF64(rows, k);
        for (int i = 0; i < rows; i++) for (int j = 0; j < k; j++) c.set(i, j, get(i, j));
        return c;
    }

    public static DenseF64 identity(int n) {
        DenseF64 c = new DenseF64(n, n);
        for (int i = 0; i < n; i++) c.set(i, i, 1);
        return c;
    }

    public double maxAbs() {
        double m = 0;
        for (double x : a) m = Math.max(m, Math.abs(x));
        return m;
    }

    public double frobenius() {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s);
    }

    /** Thin SVD by LAPACK dgesdd: {u (rows x r), s (r), vt (r x cols)}. */
    public Svd svd() {
        int r = Math.min(rows, cols);
        double[] work = a.clone();
        double[] s = new double[r];
        double[] u = new double[rows * r];
        double[] vt = new double[r * cols];
        if (r > 0) {
            check(singleThreaded(() -> LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'S', rows, cols, work, cols, s, u, r, vt, cols)),
                    "dgesdd");
        }
        return new Svd(new DenseF64(rows, r, u), s, new DenseF64(r, cols, vt));
    }

    /** Singular values only (descending). */
    public double[] singularValues() {
        return svd().s;
    }

    public double spectralNorm() {
        double[] s = singularValues();
        return s.length == 0 ? 0 : s[0];
    }

    /** sin of the largest principal angle between the column spaces of two matrices with orthonormal columns. */
    public static double sinLargestAngle(DenseF64 p, DenseF64 q) {
        // ||(I - P P^T) Q||_2 = sin(theta_max) when both have k orthonormal columns
        DenseF64 resid = q.minus(p.times(p.transpose().times(q)));
        return Math.min(1, resid.spectralNorm());
    }

    /**
     * Runs a LAPACK call of the reference on one OpenBLAS thread: at these sizes a second thread gains
     * nothing, and on a machine shared with other busy processes threaded OpenBLAS slows down tenfold.
     */
    private static int singleThreaded(java.util.function.IntSupplier call) {
        return dev.sculpt.backend.cpu.BlasThreads.singleThreaded(call::getAsInt);
    }

    private static void check(int info, String what) {
        if (info != 0) throw new IllegalStateException(what + " failed: info " + info);
    }

    /** A thin SVD. */
    public record Svd(DenseF64 u, double[] s, DenseF64 vt) {
        public DenseF64 v() { return vt.transpose(); }
    }
}
