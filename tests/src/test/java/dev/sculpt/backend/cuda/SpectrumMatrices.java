package dev.sculpt.backend.cuda;

import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;

/**
 * Test matrices with a prescribed spectrum, built in double: A = U diag(s) V^T with random orthonormal U, V
 * (twice Gram-Schmidt of Gaussian columns), then rounded to float. Also the float64 helpers the CUDA tests
 * check against.
 */
final class SpectrumMatrices {
    private SpectrumMatrices() {}

    /** An m x p matrix with orthonormal columns, row-major. */
    static double[] orthonormal(int m, int p, SplittableRandom r) {
        double[] q = new double[m * p];
        for (int i = 0; i < q.length; i++) q[i] = r.nextGaussian();
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < p; j++) {
                for (int i = 0; i < j; i++) {
                    double d = 0;
                    for (int t = 0; t < m; t++) d += q[t * p + i] * q[t * p + j];
                    for (int t = 0; t < m; t++) q[t * p + j] -= d * q[t * p + i];
                }
                double nrm = 0;
                for (int t = 0; t < m; t++) nrm += q[t * p + j] * q[t * p + j];
                nrm = Math.sqrt(nrm);
                for (int t = 0; t < m; t++) q[t * p + j] /= nrm;
            }
        }
        return q;
    }

    /** A batch whose matrix b is U_b diag(s) V_b^T (s has min(m, n) entries). */
    static MatrixBatch withSpectrum(int count, int m, int n, double[] s, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int p = Math.min(m, n);
        MatrixBatch a = MatrixBatch.allocateHost(count, m, n);
        for (int b = 0; b < count; b++) {
            double[] u = orthonormal(m, p, r), v = orthonormal(n, p, r);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double x = 0;
                    for (int t = 0; t < p; t++) x += u[i * p + t] * s[t] * v[j * p + t];
                    a.set(b, i, j, (float) x);
                }
            }
        }
        return a;
    }

    static double[] decay(int p, double ratio) {
        double[] s = new double[p];
        for (int i = 0; i < p; i++) s[i] = Math.pow(ratio, i);
        return s;
    }

    /** max |X^T X - I| for matrix b of a count x rows x k host batch. */
    static double orthogonalityError(MatrixBatch x, int b) {
        int rows = x.rows(), k = x.cols();
        double worst = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                double d = 0;
                for (int t = 0; t < rows; t++) d += (double) x.get(b, t, i) * x.get(b, t, j);
                worst = Math.max(worst, Math.abs(d - (i == j ? 1 : 0)));
            }
        }
        return worst;
    }

    /** ||A_b - U_b diag(S_b) V_b^T||_F in double. */
    static double reconstructionError(MatrixBatch a, MatrixBatch u, MatrixBatch s, MatrixBatch v, int b) {
        int m = a.rows(), n = a.cols(), k = s.cols();
        double sum = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double x = a.get(b, i, j);
                for (int t = 0; t < k; t++) x -= (double) u.get(b, i, t) * s.get(b, 0, t) * v.get(b, j, t);
                sum += x * x;
            }
        }
        return Math.sqrt(sum);
    }

    static double tailNorm(double[] s, int k) {
        double t = 0;
        for (int i = k; i < s.length; i++) t += s[i] * s[i];
        return Math.sqrt(t);
    }

    /** The float64 dense-projector reference of the four projection modes, for matrix b. */
    static double[] projectReference(MatrixBatch d, MatrixBatch u, MatrixBatch v, int b, String mode) {
        int m = d.rows(), n = d.cols();
        double[] pu = new double[m * m], pv = new double[n * n];
        if (u != null) {
            for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) {
                double x = 0;
                for (int t = 0; t < u.cols(); t++) x += (double) u.get(b, i, t) * u.get(b, j, t);
                pu[i * m + j] = x;
            }
        }
        if (v != null) {
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
                double x = 0;
                for (int t = 0; t < v.cols(); t++) x += (double) v.get(b, i, t) * v.get(b, j, t);
                pv[i * n + j] = x;
            }
        }
        double[] dd = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) dd[i * n + j] = d.get(b, i, j);
        double[] left = mul(pu, m, m, dd, n);       // Pu D
        double[] right = mul(dd, m, n, pv, n);      // D Pv
        double[] both = mul(left, m, n, pv, n);     // Pu D Pv
        double[] out = new double[m * n];
        for (int i = 0; i < m * n; i++) {
            switch (mode) {
                case "LEFT": out[i] = dd[i] - left[i]; break;
                case "RIGHT": out[i] = dd[i] - right[i]; break;
                case "HIGH_BLOCK": out[i] = dd[i] - both[i]; break;
                default: out[i] = dd[i] - left[i] - right[i] + both[i]; break;
            }
        }
        return out;
    }

    private static double[] mul(double[] a, int m, int k, double[] b, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) for (int t = 0; t < k; t++) {
            double x = a[i * k + t];
            for (int j = 0; j < n; j++) c[i * n + j] += x * b[t * n + j];
        }
        return c;
    }

    static MatrixBatch gaussian(int count, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MatrixBatch x = MatrixBatch.allocateHost(count, rows, cols);
        for (int i = 0; i < x.elementCount(); i++) x.buffer().put(i, (float) r.nextGaussian());
        return x;
    }

    /** A batch of orthonormal bases m x k (float). */
    static MatrixBatch basis(int count, int m, int k, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MatrixBatch q = MatrixBatch.allocateHost(count, m, k);
        for (int b = 0; b < count; b++) {
            double[] o = orthonormal(m, k, r);
            for (int i = 0; i < m * k; i++) q.buffer().put((int) q.offset(b) + i, (float) o[i]);
        }
        return q;
    }
}
