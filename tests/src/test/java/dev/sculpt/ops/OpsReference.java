package dev.sculpt.ops;

import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Float64 references for {@link OpsContractTest}, written as naive loops from the formulas in {@link Ops}'s
 * documentation (independently of any provider), and central finite differences over them.
 */
final class OpsReference {
    private OpsReference() {}

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** y = w x / sqrt(mean(x^2) + eps) per row of d. */
    static double[] rmsNorm(double[] x, double[] w, double eps, int n, int d) {
        double[] y = new double[n * d];
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int j = 0; j < d; j++) ss += x[i * d + j] * x[i * d + j];
            double r = 1 / Math.sqrt(ss / d + eps);
            for (int j = 0; j < d; j++) y[i * d + j] = w[j] * x[i * d + j] * r;
        }
        return y;
    }

    static double[] rstd(double[] x, double eps, int n, int d) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            double ss = 0;
            for (int j = 0; j < d; j++) ss += x[i * d + j] * x[i * d + j];
            r[i] = 1 / Math.sqrt(ss / d + eps);
        }
        return r;
    }

    /** The rotation angle of the spec: the float32 product of position and inverse frequency. */
    static double ropeAngle(int pos, float invFreq) {
        return (float) ((float) pos * invFreq);
    }

    /** Rotate-half rotary embedding (sign +1) or its inverse (sign -1). */
    static double[] rope(double[] x, int heads, int[] pos, float[] invFreq, int sign) {
        int half = invFreq.length, hd = 2 * half, width = heads * hd;
        double[] y = x.clone();
        for (int r = 0; r < pos.length; r++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < half; i++) {
                    double t = ropeAngle(pos[r], invFreq[i]);
                    double c = Math.cos(t), s = sign * Math.sin(t);
                    int ia = r * width + h * hd + i, ib = ia + half;
                    y[ia] = x[ia] * c - x[ib] * s;
                    y[ib] = x[ib] * c + x[ia] * s;
                }
            }
        }
        return y;
    }

    /** Scores scale q k^T + bias per head, [heads, tq, tk]; masked entries are -infinity. */
    static double[] scores(double[] q, double[] k, double[] bias, int heads, int kvHeads, int d, int tq, int tk,
                           double scale, boolean causal, int qStart) {
        int group = heads / kvHeads;
        double[] s = new double[heads * tq * tk];
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            for (int i = 0; i < tq; i++) {
                for (int j = 0; j < tk; j++) {
                    int idx = (h * tq + i) * tk + j;
                    if (causal && j > qStart + i) {
                        s[idx] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[i * heads * d + h * d + c] * k[j * kvHeads * d + g * d + c];
                    s[idx] = scale * dot + (bias == null ? 0 : bias[idx]);
                }
            }
        }
        return s;
    }

    /** Row softmax of scores (masked -> 0). */
    static double[] softmax(double[] s, int rows, int cols) {
        double[] p = new double[s.length];
        for (int r = 0; r < rows; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) max = Math.max(max, s[r * cols + j]);
            double sum = 0;
            for (int j = 0; j < cols; j++) sum += Math.exp(s[r * cols + j] - max);
            for (int j = 0; j < cols; j++) p[r * cols + j] = Math.exp(s[r * cols + j] - max) / sum;
        }
        return p;
    }

    /** out = p v per head, [tq, heads * d]. */
    static double[] attentionOut(double[] p, double[] v, int heads, int kvHeads, int d, int tq, int tk) {
        int group = heads / kvHeads;
        double[] out = new double[tq * heads * d];
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            for (int i = 0; i < tq; i++) {
                for (int c = 0; c < d; c++) {
                    double acc = 0;
                    for (int j = 0; j < tk; j++) acc += p[(h * tq + i) * tk + j] * v[j * kvHeads * d + g * d + c];
                    out[i * heads * d + h * d + c] = acc;
                }
            }
        }
        return out;
    }

    static double silu(double g) { return g / (1 + Math.exp(-g)); }

    static double geluTanh(double x) {
        return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
    }

    /** Per-row cross-entropy (0 for ignored rows). */
    static double[] crossEntropy(double[] logits, int[] targets, int n, int vocab) {
        double[] loss = new double[n];
        for (int i = 0; i < n; i++) {
            if (targets[i] == Ops.IGNORE_INDEX) continue;
            loss[i] = logSumExp(logits, i * vocab, vocab) - logits[i * vocab + targets[i]];
        }
        return loss;
    }

    static double logSumExp(double[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, x[off + j]);
        double sum = 0;
        for (int j = 0; j < n; j++) sum += Math.exp(x[off + j] - max);
        return max + Math.log(sum);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    static double absDot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]);
        return s;
    }

    /**
     * Central-difference gradient of a float64 scalar function, with a bound on its own error.
     *
     * <p>D(h) = (f(x + h e) - f(x - h e)) / 2h has truncation error c h^2 + O(h^4); the returned value is the
     * Richardson combination (4 D(h/2) - D(h)) / 3, whose truncation error is O(h^4), and the bound charged for
     * truncation is |D(h) - D(h/2)| (= 3/4 c h^2 + O(h^4), at least the truncation error of either D for these
     * smooth functions). Rounding: f is computed in double with fewer than {@code 1000} operations per term of a
     * sum whose absolute values add up to {@code absF}, so each evaluation is within 1000 * 2^-53 * absF, and a
     * difference quotient over 2h (h/2 for the finer one, weighted 4/3) adds at most 4 * 1000 * 2^-53 * absF / h.
     */
    static double[][] finiteDifference(double[] x, ToDoubleFunction<double[]> f, double absF, double h) {
        double[] grad = new double[x.length];
        double[] err = new double[x.length];
        double rounding = 4 * 1000 * 0x1p-53 * absF / h;
        for (int i = 0; i < x.length; i++) {
            double d1 = diff(x, i, f, h), d2 = diff(x, i, f, h / 2);
            grad[i] = (4 * d2 - d1) / 3;
            err[i] = Math.abs(d1 - d2) + rounding;
        }
        return new double[][] {grad, err};
    }

    private static double diff(double[] x, int i, ToDoubleFunction<double[]> f, double h) {
        double keep = x[i];
        x[i] = keep + h;
        double up = f.applyAsDouble(x);
        x[i] = keep - h;
        double down = f.applyAsDouble(x);
        x[i] = keep;
        return (up - down) / (2 * h);
    }

    /** k orthonormal columns of a [rows, k] row-major matrix (Gram-Schmidt of Gaussians). */
static double[] orthonormal(Random rnd, int rows, int k) {
        double[] q = new double[rows * k];
        for (int j = 0; j < k; j++) {
            for (int i = 0; i < rows; i++) q[i * k + j] = rnd.nextGaussian();
            for (int p = 0; p < j; p++) {
                double dot = 0;
                for (int i = 0; i < rows; i++) dot += q[i * k + j] * q[i * k + p];
                for (int i = 0; i < rows; i++) q[i * k + j] -= dot * q[i * k + p];
            }
            double norm = 0;
            for (int i = 0; i < rows; i++) norm += q[i * k + j] * q[i * k + j];
            norm = Math.sqrt(norm);
            for (int i = 0; i < rows; i++) q[i * k + j] /= norm;
        }
        return q;
    }

    static double[] mul(double[] a, double[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = 0;
            for (int p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
            c[i * n + j] = s;
        }
        return c;
    }

    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j];
        return t;
    }

    static double[] abs(double[] a) {
        double[] b = new double[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Math.abs(a[i]);
        return b;
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }
}
