package dev.sculpt.ops.cpu;

/**
 * {@link InnerLoops} in plain Java: exponentials by {@link Math#exp} in double, row sums in double over two partial
 * sums (even and odd indices; two chains halve the add-latency bound of a single sum: the softmax row went from 17 to
 * 7.4 ns per element, single thread, thread CPU time, on the 2-core dev machine, 2026-12-05). Each result is one
 * float rounding of a double expression, so the roundings counted are: softmax, one per exponential plus the sum's
 * n - 1 double additions (far below one float rounding) and the scaling; SwiGLU, the float products after a float
 * sigmoid.
 */
final class ScalarInnerLoops implements InnerLoops {
    @Override public String describe() {
        return "scalar loops";
    }

    @Override public void softmax(float[] row, int n) {
        // the max of floats is one of them, so a float max is exact; the exponent arguments are then exact doubles
        float fmax = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) fmax = Math.max(fmax, row[j]);
        double max = fmax;
        double sum0 = 0, sum1 = 0;
        int j = 0;
        for (; j + 1 < n; j += 2) {
            double e0 = Math.exp(row[j] - max), e1 = Math.exp(row[j + 1] - max);
            row[j] = (float) e0;
            row[j + 1] = (float) e1;
            sum0 += e0;
            sum1 += e1;
        }
        if (j < n) {
            double e = Math.exp(row[j] - max);
            row[j] = (float) e;
            sum0 += e;
        }
        double inv = 1.0 / (sum0 + sum1);
        for (j = 0; j < n; j++) row[j] = (float) (row[j] * inv);
    }

    @Override public void softmaxBackward(float[] p, float[] ds, int n) {
        double dot0 = 0, dot1 = 0;
        int j = 0;
        for (; j + 1 < n; j += 2) {
            dot0 += (double) p[j] * ds[j];
            dot1 += (double) p[j + 1] * ds[j + 1];
        }
        if (j < n) dot0 += (double) p[j] * ds[j];
        double dot = dot0 + dot1;
        for (j = 0; j < n; j++) ds[j] = (float) (p[j] * (ds[j] - dot));
    }

    @Override public double sumOfSquares(float[] x, int n) {
        double s0 = 0, s1 = 0;
        int j = 0;
        for (; j + 1 < n; j += 2) {
            s0 += (double) x[j] * x[j];
            s1 += (double) x[j + 1] * x[j + 1];
        }
        if (j < n) s0 += (double) x[j] * x[j];
        return s0 + s1;
    }

    @Override public double dot(float[] w, float[] a, float[] b, int n) {
        double s0 = 0, s1 = 0;
        int j = 0;
        for (; j + 1 < n; j += 2) {
            s0 += w[j] * (double) a[j] * b[j];
            s1 += w[j + 1] * (double) a[j + 1] * b[j + 1];
        }
        if (j < n) s0 += w[j] * (double) a[j] * b[j];
        return s0 + s1;
    }

    @Override public void reluBackward(float[] x, float[] dy, float[] dx, int n) {
        reluBackward(x, dy, dx, 0, n);
    }

    /** {@link #reluBackward(float[], float[], float[], int)} over [from, n). */
    void reluBackward(float[] x, float[] dy, float[] dx, int from, int n) {
        for (int i = from; i < n; i++) dx[i] = x[i] > 0f ? dy[i] : 0f;
    }

    // SwiGLU in float after a float32 sigmoid (the form of the former nn.SwiGlu): within the contract's gamma(8) and
    // gamma(16) bounds, and about 3x cheaper than the same arithmetic in double on the JVMs measured (C2 keeps this
    // loop in float registers).

    @Override public void swiglu(float[] g, float[] u, float[] h, int n) {
        swiglu(g, u, h, 0, n);
    }

    /** {@link #swiglu(float[], float[], float[], int)} over [from, n) (the vector loops' tail). */
    void swiglu(float[] g, float[] u, float[] h, int from, int n) {
        for (int i = from; i < n; i++) {
            float sig = (float) (1.0 / (1.0 + Math.exp(-g[i])));
            h[i] = g[i] * sig * u[i];
        }
    }

    @Override public void swigluBackward(float[] g, float[] u, float[] dh, float[] dg, float[] du, int n) {
        swigluBackward(g, u, dh, dg, du, 0, n);
    }

    /** {@link #swigluBackward(float[], float[], float[], float[], float[], int)} over [from, n). */
    void swigluBackward(float[] g, float[] u, float[] dh, float[] dg, float[] du, int from, int n) {
        for (int i = from; i < n; i++) {
            float gi = g[i], ui = u[i], sig = (float) (1.0 / (1.0 + Math.exp(-gi)));
            dg[i] = dh[i] * ui * (sig * (1f + gi * (1f - sig)));
            du[i] = dh[i] * (gi * sig);
        }
    }
}
