package dev.sculpt.ops;

import static dev.sculpt.FloatBounds.U;
import static dev.sculpt.FloatBounds.gamma;
import static dev.sculpt.ops.OpsReference.abs;
import static dev.sculpt.ops.OpsReference.mul;
import static dev.sculpt.ops.OpsReference.orthonormal;
import static dev.sculpt.ops.OpsReference.toDouble;
import static dev.sculpt.ops.OpsReference.toFloat;
import static dev.sculpt.ops.OpsReference.transpose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract of {@link Ops}, run on every provider present ({@link OpsProviders#present()}), each test on a
 * fresh provider. Forwards are checked
 * against float64 naive loops ({@link OpsReference}); backwards against central finite differences of those
 * float64 forwards (for a random linear functional L = sum r_i y_i of the output, with r the upstream gradient).
 *
 * <p>Inputs are fresh random values each run (the seed is in every failure message), with magnitudes in
 * [0.1, 1] and random signs unless a test says otherwise, so no input is zero and |x| <= 1 bounds the terms in the
 * tolerances. Each tolerance is a float32 rounding bound (FloatBounds.gamma(n): n roundings) times the sum of the
 * absolute values of the terms an element is made of, plus the finite-difference error bound where one is used.
 */
class OpsContractTest {
    private static final double FD_H = 1e-3;

    /** Provider names; each test creates its own provider and closes it. */
    static Stream<String> providers() {
        return OpsProviders.present().stream();
    }

    // ------------------------------------------------------------------ helpers

    private static final class Ctx {
        final Ops ops;
        final long seed = System.nanoTime();
        final Random rnd = new Random(seed);
        final List<Tensor> tensors = new ArrayList<>();

        Ctx(Ops ops) { this.ops = ops; }

        /** Random values with magnitude in [lo, hi] and random sign. */
        float[] values(int n, double lo, double hi) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                double m = lo + (hi - lo) * rnd.nextDouble();
                a[i] = (float) (rnd.nextBoolean() ? m : -m);
            }
            return a;
        }

        float[] values(int n) { return values(n, 0.1, 1.0); }

        /** A tensor on the provider's device holding {@code values}. */
        Tensor put(String name, float[] values, int... shape) {
            Tensor host = Tensor.ofHost(name, values, shape);
            if (ops.device() == Device.HOST) {
                tensors.add(host);
                return host;
            }
            Tensor t = ops.upload(host, name);
            host.close();
            tensors.add(t);
            return t;
        }

        Tensor zeros(String name, int... shape) {
            Tensor t = ops.allocate(name, shape);
            tensors.add(t);
            return t;
        }

        float[] get(Tensor t) {
            if (t.isHost()) return t.toArray();
            try (Tensor h = ops.download(t, t.name() + " (host)")) {
                return h.toArray();
            }
        }

        void close() {
            for (Tensor t : tensors) t.close();
            ops.close();
        }

        String where(String what) { return ops.name() + ": " + what + " (seed " + seed + ")"; }
    }

    private static void run(String provider, java.util.function.Consumer<Ctx> body) {
        Ctx c = new Ctx(OpsProviders.create(provider));
        try {
            body.accept(c);
        } finally {
            c.close();
        }
    }

    /** |got_i - want_i| <= tol_i for all i; reports the worst element. */
    private static void assertWithin(String what, float[] got, double[] want, double[] tol) {
        assertEquals(want.length, got.length, what + ": length");
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < got.length; i++) {
            double e = Math.abs(got[i] - want[i]);
            if (!(e <= tol[i])) {
                double ratio = e / tol[i];
                if (worst < 0 || !(ratio <= worstRatio)) {
                    worst = i;
                    worstRatio = ratio;
                }
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + got[worst] + ", expected " + want[worst] + " within "
                    + tol[worst] + " (error " + Math.abs(got[worst] - want[worst]) + ")");
        }
    }

    private static double[] fill(int n, double v) {
        double[] a = new double[n];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** Checks a provider gradient against the finite difference of the float64 forward, plus a float32 bound. */
    private static void assertGradient(String what, float[] got, double[] x, ToDoubleFunction<double[]> f,
                                       double absF, double[] floatTol) {
        double[][] fd = OpsReference.finiteDifference(x, f, absF, FD_H);
        double[] tol = new double[got.length];
        for (int i = 0; i < tol.length; i++) tol[i] = floatTol[i] + fd[1][i];
        assertWithin(what, got, fd[0], tol);
    }

    // ------------------------------------------------------------------ gemm

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void gemmBatchedStridedTransposedAccumulating(String provider) {
        run(provider, c -> {
            int batch = 3, m = 4, n = 5, k = 6;
            for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++) for (float beta : new float[] {0f, 0.75f}) {
                boolean transA = ta == 1, transB = tb == 1;
                int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
                // padded rows and gaps between batch matrices, non-zero offsets: every stride argument matters
                int lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
                long aOff = 5, bOff = 2, cOff = 7;
                long sA = (long) aRows * lda + 3, sB = (long) bRows * ldb + 1, sC = (long) m * ldc + 2;
                float[] av = c.values((int) (aOff + batch * sA)), bv = c.values((int) (bOff + batch * sB));
                float[] cv = c.values((int) (cOff + batch * sC));
                // with beta = 0, C's old values must be ignored, NaN included
                if (beta == 0f) java.util.Arrays.fill(cv, Float.NaN);
                float alpha = 1.25f;
                Tensor a = c.put("A", av, av.length), b = c.put("B", bv, bv.length), cc = c.put("C", cv, cv.length);
                c.ops.gemm(transA, transB, batch, m, n, k, alpha, a, aOff, lda, sA, b, bOff, ldb, sB, beta, cc, cOff, ldc, sC);
                float[] got = c.get(cc);
                double[] want = new double[cv.length], tol = new double[cv.length];
                for (int i = 0; i < cv.length; i++) {
                    want[i] = cv[i];   // elements outside the C matrices stay as they were (bitwise, NaN too)
                }
                for (int bi = 0; bi < batch; bi++) {
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double s = 0, abs = 0;
                        for (int p = 0; p < k; p++) {
                            double x = av[(int) (aOff + bi * sA + (transA ? (long) p * lda + i : (long) i * lda + p))];
                            double y = bv[(int) (bOff + bi * sB + (transB ? (long) j * ldb + p : (long) p * ldb + j))];
                            s += x * y;
                            abs += Math.abs(x * y);
                        }
                        int ci = (int) (cOff + bi * sC + (long) i * ldc + j);
                        double old = beta == 0f ? 0 : beta * (double) cv[ci];
                        want[ci] = alpha * s + old;
                        // k products summed, times alpha, plus beta * c: at most k + 3 roundings of terms
                        // bounded by |alpha| sum |a b| + |beta c|
                        tol[ci] = gamma(k + 3) * (Math.abs(alpha) * abs + Math.abs(old));
                    }
                }
                String what = c.where("gemm transA=" + transA + " transB=" + transB + " beta=" + beta);
                for (int i = 0; i < got.length; i++) {
                    if (tol[i] == 0 && !(Float.isNaN(got[i]) && Double.isNaN(want[i]))) {
                        if (Double.isNaN(want[i]) || got[i] != (float) want[i]) {
                            fail(what + ": element " + i + " outside the C matrices changed to " + got[i]);
                        }
                    }
                }
                for (int i = 0; i < tol.length; i++) if (tol[i] == 0) { want[i] = 0; got[i] = 0; }
                assertWithin(what, got, want, tol);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void gemmBroadcastsAZeroStrideOperand(String provider) {
        run(provider, c -> {
            int batch = 2, m = 3, n = 2, k = 4;
            float[] av = c.values(batch * m * k), bv = c.values(k * n);
            Tensor a = c.put("A", av, batch * m, k), b = c.put("W", bv, k, n), cc = c.zeros("C", batch * m, n);
            c.ops.gemm(false, false, batch, m, n, k, 1f, a, 0, k, (long) m * k, b, 0, n, 0, 0f, cc, 0, n, (long) m * n);
            double[] want = new double[batch * m * n], tol = new double[want.length];
            for (int r = 0; r < batch * m; r++) for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) { s += (double) av[r * k + p] * bv[p * n + j]; abs += Math.abs((double) av[r * k + p] * bv[p * n + j]); }
                want[r * n + j] = s;
                tol[r * n + j] = gamma(k + 1) * abs;
            }
            assertWithin(c.where("gemm with B broadcast"), c.get(cc), want, tol);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void matmulTakesShapesFromTensors(String provider) {
        run(provider, c -> {
            int m = 3, k = 5, n = 4;
            float[] xv = c.values(m * k), wv = c.values(n * k);
            Tensor x = c.put("x", xv, m, k), w = c.put("W", wv, n, k), y = c.zeros("y", m, n);
            c.ops.matmul(false, true, 1f, x, w, 0f, y);   // y = x W^T, a linear layer
            double[] want = new double[m * n], tol = new double[m * n];
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double s = 0, abs = 0;
                for (int p = 0; p < k; p++) { s += (double) xv[i * k + p] * wv[j * k + p]; abs += Math.abs((double) xv[i * k + p] * wv[j * k + p]); }
                want[i * n + j] = s;
                tol[i * n + j] = gamma(k + 1) * abs;
            }
            assertWithin(c.where("matmul x W^T"), c.get(y), want, tol);
            Tensor bad = c.zeros("y wrong", m, n + 1);
            SculptException e = assertThrows(SculptException.class, () -> c.ops.matmul(false, true, 1f, x, w, 0f, bad));
            assertTrue(e.getMessage().contains("y wrong"), e.getMessage());
        });
    }

    // ------------------------------------------------------------------ RMSNorm / T5 layer norm

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void rmsNormForwardAndBackward(String provider) {
        run(provider, c -> {
            // LLaMA's eps and T5's (T5LayerNorm is the same formula)
            for (float eps : new float[] {1e-5f, 1e-6f}) {
                int n = 3, d = 8;
                float[] xv = c.values(n * d), wv = c.values(d), dyv = c.values(n * d), dw0 = c.values(d);
                Tensor x = c.put("x", xv, n, d), w = c.put("w", wv, d), y = c.zeros("y", n, d), rstd = c.zeros("rstd", n);
                c.ops.rmsNormForward(x, w, eps, y, rstd);
                double[] xd = toDouble(xv), wd = toDouble(wv), r = OpsReference.rstd(xd, eps, n, d);
                double[] want = OpsReference.rmsNorm(xd, wd, eps, n, d);
                double[] tol = new double[n * d], rtol = new double[n];
                for (int i = 0; i < n; i++) {
                    // sum of d squares (d roundings), /d, +eps, sqrt, 1/: about d + 4 roundings of r
                    rtol[i] = gamma(d + 4) * r[i];
                    // then x * r and * w: two more
                    for (int j = 0; j < d; j++) tol[i * d + j] = gamma(d + 6) * Math.abs(want[i * d + j]);
                }
                assertWithin(c.where("rmsnorm y eps=" + eps), c.get(y), want, tol);
                assertWithin(c.where("rmsnorm rstd eps=" + eps), c.get(rstd), r, rtol);

                Tensor dy = c.put("dy", dyv, n, d), dx = c.zeros("dx", n, d), dw = c.put("dw", dw0, d);
                c.ops.rmsNormBackward(x, w, rstd, dy, dx, dw);
                double[] dyd = toDouble(dyv);
                // dx_j = r w_j dy_j - r^3 x_j (sum_k w_k dy_k x_k) / d. The provider uses its float32 rstd (relative
                // error gamma(d + 4), cubed: 3 gamma(d + 4)); the row dot adds d roundings and the rest about 6:
                // at most gamma(4d + 22) times the sum of the absolute values of both terms.
                double[] dxTol = new double[n * d];
                for (int i = 0; i < n; i++) {
                    double absDot = 0;
                    for (int j = 0; j < d; j++) absDot += Math.abs(wd[j] * dyd[i * d + j] * xd[i * d + j]);
                    for (int j = 0; j < d; j++) {
                        double t1 = Math.abs(r[i] * wd[j] * dyd[i * d + j]);
                        double t2 = r[i] * r[i] * r[i] * Math.abs(xd[i * d + j]) * absDot / d;
                        dxTol[i * d + j] = gamma(4 * d + 22) * (t1 + t2);
                    }
                }
                double absL = OpsReference.absDot(want, dyd);
                final float e = eps;
                assertGradient(c.where("rmsnorm dx eps=" + eps), c.get(dx), xd,
                        xx -> OpsReference.dot(OpsReference.rmsNorm(xx, wd, e, n, d), dyd), absL, dxTol);
                // dw accumulates onto its old value: n terms dy x r, each with r's error gamma(d + 4) and 2 products
                double[] dwTol = new double[d];
                for (int j = 0; j < d; j++) {
                    double abs = Math.abs(dw0[j]);
                    for (int i = 0; i < n; i++) abs += Math.abs(dyd[i * d + j] * xd[i * d + j] * r[i]);
                    dwTol[j] = gamma(n + d + 8) * abs;
                }
                double[][] fd = OpsReference.finiteDifference(wd, ww -> OpsReference.dot(OpsReference.rmsNorm(xd, ww, e, n, d), dyd), absL, FD_H);
                double[] dwWant = new double[d];
                for (int j = 0; j < d; j++) { dwWant[j] = dw0[j] + fd[0][j]; dwTol[j] += fd[1][j]; }
                assertWithin(c.where("rmsnorm dw (accumulated) eps=" + eps), c.get(dw), dwWant, dwTol);
            }
        });
    }

    // ------------------------------------------------------------------ RoPE

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void ropeForwardAndBackward(String provider) {
        run(provider, c -> {
            int heads = 2, half = 4, hd = 2 * half, rows = 5;
            float[] invFreq = new float[half];
            for (int i = 0; i < half; i++) invFreq[i] = (float) (1.0 / Math.pow(10000, (double) (2 * i) / hd));
            int[] pos = {0, 1, 2, 0, 37};   // two packed sequences, positions restart; one far position
            float[] xv = c.values(rows * heads * hd);
            Tensor x = c.put("q", xv, rows, heads * hd);
            c.ops.ropeForward(x, heads, pos, invFreq);
            double[] xd = toDouble(xv);
            double[] want = OpsReference.rope(xd, heads, pos, invFreq, 1);
            // a cos - b sin: cos and sin within 2 ulp each (device libm), two products, one sum: at most 6
            // roundings of |a| + |b| (|cos|, |sin| <= 1)
            double[] tol = pairTol(xd, heads, half, rows);
            assertWithin(c.where("rope forward"), c.get(x), want, tol);

            float[] gv = c.values(rows * heads * hd);
            Tensor g = c.put("dq", gv, rows, heads * hd);
            c.ops.ropeBackward(g, heads, pos, invFreq);
            double[] gd = toDouble(gv);
            double absL = OpsReference.absDot(want, gd);
            assertGradient(c.where("rope backward"), c.get(g), xd,
                    xx -> OpsReference.dot(OpsReference.rope(xx, heads, pos, invFreq, 1), gd), absL, pairTol(gd, heads, half, rows));
        });
    }

    private static double[] pairTol(double[] x, int heads, int half, int rows) {
        int hd = 2 * half;
        double[] tol = new double[x.length];
        for (int r = 0; r < rows; r++) for (int h = 0; h < heads; h++) for (int i = 0; i < half; i++) {
            int ia = r * heads * hd + h * hd + i, ib = ia + half;
            double t = gamma(6) * (Math.abs(x[ia]) + Math.abs(x[ib]));
            tol[ia] = t;
            tol[ib] = t;
        }
        return tol;
    }

    // ------------------------------------------------------------------ attention

    /** One attention configuration. */
    private record Attn(String label, int heads, int kvHeads, int d, int tq, int tk, float scale, boolean causal,
                        int qStart, boolean bias) {}

    static Stream<Object[]> attentionCases() {
        List<Attn> cases = List.of(
                new Attn("causal self-attention with GQA (LLaMA)", 4, 2, 4, 5, 5, 0.5f, true, 0, false),
                new Attn("bidirectional with relative bias (T5 encoder)", 2, 2, 4, 4, 4, 1f, false, 0, true),
                new Attn("causal with relative bias (T5 decoder)", 2, 2, 3, 4, 4, 1f, true, 0, true),
                new Attn("cross-attention tq != tk (T5)", 2, 1, 4, 3, 6, 1f, false, 0, false),
                new Attn("causal decode against a cache (qStart 2)", 2, 1, 4, 3, 5, 0.5f, true, 2, false));
        List<Object[]> out = new ArrayList<>();
        for (String o : OpsProviders.present()) for (Attn a : cases) out.add(new Object[] {o, a});
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("attentionCases")
    void attentionForwardAndBackward(String provider, Attn a) {
        run(provider, c -> {
            int H = a.heads, Hk = a.kvHeads, d = a.d, tq = a.tq, tk = a.tk, group = H / Hk;
            float[] qv = c.values(tq * H * d), kv = c.values(tk * Hk * d), vv = c.values(tk * Hk * d);
            float[] bv = a.bias ? c.values(H * tq * tk) : null;
            Tensor q = c.put("q", qv, tq, H * d), k = c.put("k", kv, tk, Hk * d), v = c.put("v", vv, tk, Hk * d);
            Tensor bias = a.bias ? c.put("bias", bv, H, tq, tk) : null;
            Tensor probs = c.zeros("probs", H, tq, tk), out = c.zeros("out", tq, H * d);
            c.ops.attentionForward(q, k, v, H, Hk, a.scale, a.causal, a.qStart, bias, probs, out);

            double[] qd = toDouble(qv), kd = toDouble(kv), vd = toDouble(vv), bd = a.bias ? toDouble(bv) : null;
            double[] p = OpsReference.softmax(OpsReference.scores(qd, kd, bd, H, Hk, d, tq, tk, a.scale, a.causal, a.qStart), H * tq, tk);
            double[] want = OpsReference.attentionOut(p, vd, H, Hk, d, tq, tk);
            // Scores: d products, scale, bias: |error| <= ds = gamma(d + 2) (scale d + 1), since |q|, |k|, |bias| <= 1.
            // Softmax: a score error ds moves p relatively by at most 2 ds; exp within 2 ulp, the sum of tk terms
            // and the division add gamma(tk + 6): relative error of p at most ep = 2 ds + gamma(tk + 6).
            double ds = gamma(d + 2) * (a.scale * d + 1);
            double ep = 2 * ds + gamma(tk + 6);
            double[] pTol = new double[p.length];
            for (int i = 0; i < p.length; i++) pTol[i] = ep * p[i];
            assertWithin(c.where("attention probs " + a.label), c.get(probs), p, pTol);
            // out = sum_j p_j v_j: relative error ep of each p plus tk roundings of the sum: (ep + gamma(tk)) sum p |v|
            double[] outTol = new double[want.length];
            for (int h = 0; h < H; h++) for (int i = 0; i < tq; i++) for (int cc = 0; cc < d; cc++) {
                double abs = 0;
                for (int j = 0; j < tk; j++) abs += p[(h * tq + i) * tk + j] * Math.abs(vd[j * Hk * d + (h / group) * d + cc]);
                outTol[i * H * d + h * d + cc] = (ep + gamma(tk + 1)) * abs;
            }
            assertWithin(c.where("attention out " + a.label), c.get(out), want, outTol);

            float[] gv = c.values(tq * H * d);
            Tensor dOut = c.put("dout", gv, tq, H * d);
            Tensor dq = c.zeros("dq", tq, H * d), dk = c.zeros("dk", tk, Hk * d), dv = c.zeros("dv", tk, Hk * d);
            Tensor dBias = a.bias ? c.zeros("dbias", H, tq, tk) : null;
            // stale values in the outputs must be overwritten, not accumulated
            c.ops.copy(c.put("stale", c.values(tk * Hk * d), tk * Hk * d), dk);
            c.ops.attentionBackward(q, k, v, H, Hk, a.scale, probs, dOut, dq, dk, dv, dBias);

            double[] gd = toDouble(gv);
            double absL = OpsReference.absDot(want, gd);
            // Bounds with |q|, |k|, |v|, |dout| <= 1 (so |dP| <= d and |dP - sum p dP| <= 2d):
            // dS = p (dP - sum_j p dP) has error at most p * eS with eS = d (3 ep + 2 gamma(d) + gamma(tk + 3)).
            double eS = d * (3 * ep + 2 * gamma(d) + gamma(tk + 3));
            // dq = scale dS k: scale (eS + 2d gamma(tk + 1)), since sum_j p_j = 1.
            double dqTol = a.scale * (eS + 2 * d * gamma(tk + 1));
            // dk = scale sum over group heads and rows of dS q: each term's p <= 1, group * tq terms.
            double dkTol = a.scale * group * tq * (eS + 2 * d * gamma(group * tq + 1));
            // dv = sum over group heads and rows of p dout: group * tq terms with relative error ep, plus the sum.
            double dvTol = group * tq * (ep + gamma(group * tq + 1));
            ToDoubleFunction<double[]> fq = x -> OpsReference.dot(OpsReference.attentionOut(OpsReference.softmax(
                    OpsReference.scores(x, kd, bd, H, Hk, d, tq, tk, a.scale, a.causal, a.qStart), H * tq, tk), vd, H, Hk, d, tq, tk), gd);
            ToDoubleFunction<double[]> fk = x -> OpsReference.dot(OpsReference.attentionOut(OpsReference.softmax(
                    OpsReference.scores(qd, x, bd, H, Hk, d, tq, tk, a.scale, a.causal, a.qStart), H * tq, tk), vd, H, Hk, d, tq, tk), gd);
            ToDoubleFunction<double[]> fv = x -> OpsReference.dot(OpsReference.attentionOut(p, x, H, Hk, d, tq, tk), gd);
            assertGradient(c.where("attention dq " + a.label), c.get(dq), qd, fq, absL, fill(qd.length, dqTol));
            assertGradient(c.where("attention dk " + a.label), c.get(dk), kd, fk, absL, fill(kd.length, dkTol));
            assertGradient(c.where("attention dv " + a.label), c.get(dv), vd, fv, absL, fill(vd.length, dvTol));
            if (a.bias) {
                double[] bTol = new double[p.length];
                for (int i = 0; i < p.length; i++) bTol[i] = p[i] * (eS + 2 * d * U);
                ToDoubleFunction<double[]> fb = x -> OpsReference.dot(OpsReference.attentionOut(OpsReference.softmax(
                        OpsReference.scores(qd, kd, x, H, Hk, d, tq, tk, a.scale, a.causal, a.qStart), H * tq, tk), vd, H, Hk, d, tq, tk), gd);
                assertGradient(c.where("attention dbias " + a.label), c.get(dBias), bd, fb, absL, bTol);
            }
        });
    }

    // ------------------------------------------------------------------ activations

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void swigluForwardAndBackward(String provider) {
        run(provider, c -> {
            int n = 12;
            float[] gv = c.values(n), uv = c.values(n), dhv = c.values(n);
            Tensor g = c.put("gate", gv, 3, 4), u = c.put("up", uv, 3, 4), h = c.zeros("h", 3, 4);
            c.ops.swigluForward(g, u, h);
            double[] want = new double[n], tol = new double[n];
            for (int i = 0; i < n; i++) {
                want[i] = OpsReference.silu(gv[i]) * uv[i];
                // exp within 2 ulp, 1 + e, g / (1 + e), * u: at most 8 roundings of a product of positive factors
                tol[i] = gamma(8) * Math.abs(want[i]);
            }
            assertWithin(c.where("swiglu forward"), c.get(h), want, tol);

            Tensor dh = c.put("dh", dhv, 3, 4), dg = c.zeros("dgate", 3, 4), du = c.zeros("dup", 3, 4);
            c.ops.swigluBackward(g, u, dh, dg, du);
            double[] gd = toDouble(gv), ud = toDouble(uv), dhd = toDouble(dhv);
            double[] dgTol = new double[n], duTol = new double[n];
            for (int i = 0; i < n; i++) {
                double s = 1 / (1 + Math.exp(-gd[i]));
                // dh u s (1 + g (1 - s)): |g (1 - s)| < 0.75 for |g| <= 1, so the sum does not cancel; ~16 roundings
                dgTol[i] = gamma(16) * Math.abs(dhd[i] * ud[i]) * s * (1 + Math.abs(gd[i]) * (1 - s));
                duTol[i] = gamma(8) * Math.abs(dhd[i] * gd[i] * s);
            }
            double absL = OpsReference.absDot(want, dhd);
            assertGradient(c.where("swiglu dgate"), c.get(dg), gd, x -> {
                double L = 0;
                for (int i = 0; i < n; i++) L += OpsReference.silu(x[i]) * ud[i] * dhd[i];
                return L;
            }, absL, dgTol);
            assertGradient(c.where("swiglu dup"), c.get(du), ud, x -> {
                double L = 0;
                for (int i = 0; i < n; i++) L += OpsReference.silu(gd[i]) * x[i] * dhd[i];
                return L;
            }, absL, duTol);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void gatedGeluForwardAndBackward(String provider) {
        run(provider, c -> {
            int n = 12;
            float[] av = c.values(n), bv = c.values(n), dhv = c.values(n);
            Tensor a = c.put("a", av, n), b = c.put("b", bv, n), h = c.zeros("h", n);
            c.ops.gatedGeluForward(a, b, h);
            double[] ad = toDouble(av), bd = toDouble(bv), dhd = toDouble(dhv);
            double[] want = new double[n], tol = new double[n];
            double C = Math.sqrt(2 / Math.PI);
            for (int i = 0; i < n; i++) {
                want[i] = OpsReference.geluTanh(ad[i]) * bd[i];
                double t = Math.tanh(C * (ad[i] + 0.044715 * ad[i] * ad[i] * ad[i]));
                // ~6 roundings in tanh's argument, tanh within 2 ulp, 1 + t, two products: 20 roundings of
                // the terms' absolute values 0.5 |x| (1 + |t|) |b| (1 + t >= 0.3 for |x| <= 1: mild cancellation)
                tol[i] = gamma(20) * 0.5 * Math.abs(ad[i]) * (1 + Math.abs(t)) * Math.abs(bd[i]);
            }
            assertWithin(c.where("gated gelu forward"), c.get(h), want, tol);

            Tensor dh = c.put("dh", dhv, n), da = c.zeros("da", n), db = c.zeros("db", n);
            c.ops.gatedGeluBackward(a, b, dh, da, db);
            double[] daTol = new double[n], dbTol = new double[n];
            for (int i = 0; i < n; i++) {
                double x = ad[i], t = Math.tanh(C * (x + 0.044715 * x * x * x));
                double absGrad = 0.5 * (1 + Math.abs(t)) + 0.5 * Math.abs(x) * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x);
                // the derivative's ~12 operations plus tanh's, times dh b: 30 roundings of its terms' absolute values
                daTol[i] = gamma(30) * Math.abs(dhd[i] * bd[i]) * absGrad;
                dbTol[i] = gamma(20) * Math.abs(dhd[i]) * 0.5 * Math.abs(x) * (1 + Math.abs(t));
            }
            double absL = OpsReference.absDot(want, dhd);
            assertGradient(c.where("gated gelu da"), c.get(da), ad, x -> {
                double L = 0;
                for (int i = 0; i < n; i++) L += OpsReference.geluTanh(x[i]) * bd[i] * dhd[i];
                return L;
            }, absL, daTol);
            assertGradient(c.where("gated gelu db"), c.get(db), bd, x -> {
                double L = 0;
                for (int i = 0; i < n; i++) L += OpsReference.geluTanh(ad[i]) * x[i] * dhd[i];
                return L;
            }, absL, dbTol);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void reluForwardAndBackwardAreExact(String provider) {
        run(provider, c -> {
            int n = 16;
            float[] xv = c.values(n), gv = c.values(n);
            Tensor x = c.put("x", xv, 4, 4), y = c.zeros("y", 4, 4);
            c.ops.reluForward(x, y);
            float[] want = new float[n];
            for (int i = 0; i < n; i++) want[i] = Math.max(xv[i], 0f);
            assertArrayEquals(want, c.get(y), c.where("relu forward"));
            Tensor g = c.put("dy", gv, 4, 4), dx = c.zeros("dx", 4, 4);
            c.ops.reluBackward(x, g, dx);
            // |x| >= 0.1 > FD_H: the kink is never inside a difference; the gradient is exact (a copy or 0)
            double[][] fd = OpsReference.finiteDifference(toDouble(xv), xx -> {
                double L = 0;
                for (int i = 0; i < n; i++) L += Math.max(xx[i], 0) * gv[i];
                return L;
            }, OpsReference.absDot(toDouble(want), toDouble(gv)), FD_H);
            assertWithin(c.where("relu backward"), c.get(dx), fd[0], fd[1]);
        });
    }

    // ------------------------------------------------------------------ embedding

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void embeddingForwardAndScatterAddBackward(String provider) {
        run(provider, c -> {
            int vocab = 7, d = 3;
            int[] ids = {2, 5, 2, 0, 6, 2};   // id 2 repeats: its gradient rows must add up
            float[] tv = c.values(vocab * d), gv = c.values(ids.length * d), t0 = c.values(vocab * d);
            Tensor table = c.put("table", tv, vocab, d), out = c.zeros("out", ids.length, d);
            c.ops.embeddingForward(table, ids, out);
            float[] want = new float[ids.length * d];
            for (int i = 0; i < ids.length; i++) System.arraycopy(tv, ids[i] * d, want, i * d, d);
            assertArrayEquals(want, c.get(out), c.where("embedding forward (a copy: exact)"));

            Tensor dOut = c.put("dout", gv, ids.length, d), dTable = c.put("dtable", t0, vocab, d);
            c.ops.embeddingBackward(ids, dOut, dTable);
            double[] td = toDouble(tv), gd = toDouble(gv);
            double[][] fd = OpsReference.finiteDifference(td, x -> {
                double L = 0;
                for (int i = 0; i < ids.length; i++) for (int j = 0; j < d; j++) L += x[ids[i] * d + j] * gd[i * d + j];
                return L;
            }, OpsReference.absDot(toDouble(want), gd), FD_H);
            double[] wantT = new double[vocab * d], tol = new double[vocab * d];
            for (int i = 0; i < vocab * d; i++) {
                wantT[i] = t0[i] + fd[0][i];
                // the old value plus at most 3 rows: 3 roundings of the absolute sum
                double abs = Math.abs(t0[i]);
                for (int r = 0; r < ids.length; r++) if (ids[r] * d <= i && i < ids[r] * d + d) abs += Math.abs(gd[r * d + i - ids[r] * d]);
                tol[i] = gamma(3) * abs + fd[1][i];
            }
            assertWithin(c.where("embedding backward (accumulated)"), c.get(dTable), wantT, tol);
            SculptException e = assertThrows(SculptException.class, () -> c.ops.embeddingForward(table, new int[] {7}, c.zeros("one", 1, d)));
            assertTrue(e.getMessage().contains("table"), e.getMessage());
        });
    }

    // ------------------------------------------------------------------ cross-entropy

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void crossEntropyWithIgnoreIndex(String provider) {
        run(provider, c -> {
            int n = 5, vocab = 9;
            int[] targets = {3, Ops.IGNORE_INDEX, 0, 8, Ops.IGNORE_INDEX};
            float[] xv = c.values(n * vocab, 0.1, 3.0);
            Tensor logits = c.put("logits", xv, n, vocab), loss = c.zeros("loss", n), lse = c.zeros("lse", n);
            c.ops.crossEntropyForward(logits, targets, loss, lse);
            double[] xd = toDouble(xv);
            double[] want = OpsReference.crossEntropy(xd, targets, n, vocab);
            double[] lseWant = new double[n], lossTol = new double[n], lseTol = new double[n];
            for (int i = 0; i < n; i++) {
                lseWant[i] = OpsReference.logSumExp(xd, i * vocab, vocab);
                // max, vocab exps within 2 ulp each, their sum, log: lse within gamma(vocab + 6) (1 + |lse|);
                // the loss subtracts one logit: one more rounding
                lseTol[i] = gamma(vocab + 6) * (1 + Math.abs(lseWant[i]));
                lossTol[i] = targets[i] == Ops.IGNORE_INDEX ? 0 : gamma(vocab + 7) * (1 + Math.abs(lseWant[i]) + Math.abs(xd[i * vocab + targets[i]]));
            }
            assertWithin(c.where("cross-entropy loss (ignored rows exactly 0)"), c.get(loss), want, lossTol);
            assertWithin(c.where("cross-entropy lse"), c.get(lse), lseWant, lseTol);

            float scale = 1f / 3;   // mean over the 3 counted rows
            Tensor dLogits = c.zeros("dlogits", n, vocab);
            c.ops.crossEntropyBackward(logits, lse, targets, scale, dLogits);
            double[] tol = new double[n * vocab];
            for (int i = 0; i < n; i++) {
                if (targets[i] == Ops.IGNORE_INDEX) continue;   // exactly 0
                for (int j = 0; j < vocab; j++) {
                    double pij = Math.exp(xd[i * vocab + j] - lseWant[i]);
                    // p = exp(x - lse) with lse's error: relative lseTol + 4 roundings; minus the one-hot; times scale
                    tol[i * vocab + j] = scale * (pij * (lseTol[i] + gamma(4)) + gamma(2) * (pij + 1));
                }
            }
            double absL = 0;
            for (double w : want) absL += Math.abs(w);
            assertGradient(c.where("cross-entropy dlogits"), c.get(dLogits), xd, x -> {
                double L = 0;
                for (double l : OpsReference.crossEntropy(x, targets, n, vocab)) L += l;
                return scale * L;
            }, scale * absL, tol);

            // in place: the gradient may overwrite the logits
            c.ops.crossEntropyBackward(logits, lse, targets, scale, logits);
            assertArrayEquals(c.get(dLogits), c.get(logits), c.where("cross-entropy backward in place"));

            SculptException e = assertThrows(SculptException.class,
                    () -> c.ops.crossEntropyForward(logits, new int[] {3, 9, 0, 1, 2}, loss, lse));
            assertTrue(e.getMessage().contains("logits"), e.getMessage());
        });
    }

    // ------------------------------------------------------------------ AdamW

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void adamwDecoupledDecay(String provider) {
        run(provider, c -> {
            int n = 10;
            float[] wv = c.values(n), gv = c.values(n), mv = c.values(n, 0.01, 0.1);
            float[] vv = new float[n];
            for (int i = 0; i < n; i++) vv[i] = (float) (0.001 + 0.01 * c.rnd.nextDouble());
            AdamWStep step = new AdamWStep(1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 5);
            Tensor w = c.put("w", wv, n), g = c.put("g", gv, n), m = c.put("m", mv, n), v = c.put("v", vv, n), delta = c.zeros("delta", n);
            c.ops.adamwUpdate(w, g, m, v, delta, step);
            double b1 = step.beta1(), b2 = step.beta2(), c1 = (float) (1 - step.beta1()), c2 = (float) (1 - step.beta2());
            double ss = step.stepSize(), ib = step.invSqrtBiasCorrection2(), eps = step.eps(), wd = (float) (step.lr() * step.weightDecay());
            double[] mW = new double[n], vW = new double[n], dW = new double[n], mT = new double[n], vT = new double[n], dT = new double[n];
            for (int i = 0; i < n; i++) {
                mW[i] = b1 * mv[i] + c1 * gv[i];
                vW[i] = b2 * vv[i] + c2 * (double) gv[i] * gv[i];
                double den = Math.sqrt(vW[i]) * ib + eps;
                dW[i] = -ss * mW[i] / den - wd * wv[i];
                // m, v: two products and a sum (three roundings of the absolute terms; g g one more)
                mT[i] = gamma(3) * (b1 * Math.abs(mv[i]) + c1 * Math.abs(gv[i]));
                vT[i] = gamma(4) * (b2 * vv[i] + c2 * (double) gv[i] * gv[i]);
                // delta: m's error over den, den's error (sqrt halves v's relative error; * ib, + eps: 3 more) times
                // |m| / den^2, then * stepSize, /, - wd w: 5 more roundings of the terms
                double denErr = ib * (vT[i] / (2 * Math.sqrt(vW[i])) + gamma(3) * Math.sqrt(vW[i])) + U * den;
                dT[i] = ss * (mT[i] / den + Math.abs(mW[i]) * denErr / (den * den))
                        + gamma(5) * (ss * Math.abs(mW[i]) / den + wd * Math.abs(wv[i]));
            }
            assertWithin(c.where("adamw m"), c.get(m), mW, mT);
            assertWithin(c.where("adamw v"), c.get(v), vW, vT);
            assertWithin(c.where("adamw delta"), c.get(delta), dW, dT);
            assertArrayEquals(wv, c.get(w), c.where("adamw leaves the weights alone (the caller applies delta)"));
        });
    }

    // ------------------------------------------------------------------ OSFT projection

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void projectionEveryMode(String provider) {
        run(provider, c -> {
            int rows = 7, cols = 5, k = 2;
            double[] u = orthonormal(c.rnd, rows, k), v = orthonormal(c.rnd, cols, k);
            float[] uf = toFloat(u), vf = toFloat(v);
            double[] ud = toDouble(uf), vd = toDouble(vf);
            for (ProjectionMode mode : ProjectionMode.values()) {
                float[] dv = c.values(rows * cols);
                Tensor d = c.put("update", dv, rows, cols), ut = c.put("U", uf, rows, k), vt = c.put("V", vf, cols, k);
                c.ops.project(d, ut, vt, mode);
                double[] dd = toDouble(dv);
                double[] ud1 = mul(transpose(ud, rows, k), dd, k, rows, cols);           // U^T D  [k, cols]
                double[] dv1 = mul(dd, vd, rows, cols, k);                                // D V    [rows, k]
                double[] udv = mul(ud1, vd, k, cols, k);                                  // U^T D V [k, k]
                double[] left = mul(ud, ud1, rows, k, cols);                              // U U^T D
                double[] right = mul(dv1, transpose(vd, cols, k), rows, k, cols);         // D V V^T
                double[] both = mul(mul(ud, udv, rows, k, k), transpose(vd, cols, k), rows, k, cols);
                double[] want = new double[rows * cols];
                for (int i = 0; i < want.length; i++) {
                    want[i] = switch (mode) {
                        case LEFT -> dd[i] - left[i];
                        case RIGHT -> dd[i] - right[i];
                        case TWO_SIDED -> dd[i] - left[i] - right[i] + both[i];
                        case HIGH_BLOCK -> dd[i] - both[i];
                    };
                }
                // a chain of up to four products over rows, cols and k terms: every element is within
                // gamma(2 (rows + cols + k) + 8) of the sum of the absolute values of all terms it is made of,
                // bounded by |D| + |U||U|^T|D| + |D||V||V|^T + |U||U|^T|D||V||V|^T
                double[] au = abs(ud), av = abs(vd), ad = abs(dd);
                double[] aLeft = mul(au, mul(transpose(au, rows, k), ad, k, rows, cols), rows, k, cols);
                double[] aRight = mul(mul(ad, av, rows, cols, k), transpose(av, cols, k), rows, k, cols);
                double[] aBoth = mul(mul(au, mul(mul(transpose(au, rows, k), ad, k, rows, cols), av, k, cols, k), rows, k, k),
                        transpose(av, cols, k), rows, k, cols);
                double[] tol = new double[want.length];
                for (int i = 0; i < tol.length; i++) {
                    tol[i] = gamma(2 * (rows + cols + k) + 8) * (ad[i] + aLeft[i] + aRight[i] + aBoth[i]);
                }
                assertWithin(c.where("projection " + mode), c.get(d), want, tol);
            }
        });
    }

    // ------------------------------------------------------------------ element-wise helpers and reductions

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void copyZeroAxpy(String provider) {
        run(provider, c -> {
            int n = 9;
            float[] xv = c.values(n), yv = c.values(n);
            Tensor x = c.put("x", xv, 3, 3), y = c.put("y", yv, 9), z = c.zeros("z", 9);
            c.ops.copy(x, z);
            assertArrayEquals(xv, c.get(z), c.where("copy"));
            c.ops.axpy(-0.5f, x, y);
            double[] want = new double[n], tol = new double[n];
            for (int i = 0; i < n; i++) {
                want[i] = yv[i] - 0.5 * xv[i];
                tol[i] = gamma(2) * (Math.abs(yv[i]) + 0.5 * Math.abs(xv[i]));
            }
            assertWithin(c.where("axpy"), c.get(y), want, tol);
            c.ops.zero(z);
            assertArrayEquals(new float[n], c.get(z), c.where("zero"));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void reductions(String provider) {
        run(provider, c -> {
            int n = 1000;
            float[] xv = c.values(n, 0.1, 10);
            Tensor x = c.put("grad", xv, 10, 100);
            double sum = 0, abs = 0, sq = 0;
            for (float f : xv) { sum += f; abs += Math.abs(f); sq += (double) f * f; }
            // a device may sum in float32 in any order: gamma(n) of the absolute sum; squares one more rounding
            assertEquals(sum, c.ops.sum(x), gamma(n) * abs, c.where("sum"));
            assertEquals(sq, c.ops.sumOfSquares(x), gamma(n + 1) * sq, c.where("sum of squares"));
            assertEquals(0, c.ops.nonFiniteCount(x), c.where("finite tensor"));
            xv[3] = Float.NaN;
            xv[500] = Float.POSITIVE_INFINITY;
            xv[999] = Float.NEGATIVE_INFINITY;
            xv[10] = Float.MAX_VALUE;   // finite, however large
            Tensor bad = c.put("bad grad", xv, n);
            assertEquals(3, c.ops.nonFiniteCount(bad), c.where("non-finite count"));
            assertTrue(Double.isNaN(c.ops.sumOfSquares(bad)), c.where("sum of squares propagates NaN"));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void inPlaceWhereTheContractAllowsIt(String provider) {
        run(provider, c -> {
            int n = 3, d = 6;
            float[] xv = c.values(n * d), wv = c.values(d), gv = c.values(n * d);
            // out of place first, then the same op in place: the same float32 arithmetic, so the same bits
            Tensor x = c.put("x", xv, n, d), w = c.put("w", wv, d), y = c.zeros("y", n, d), r = c.zeros("rstd", n);
            c.ops.rmsNormForward(x, w, 1e-5f, y, r);
            Tensor xi = c.put("x in place", xv, n, d), ri = c.zeros("rstd in place", n);
            c.ops.rmsNormForward(xi, w, 1e-5f, xi, ri);
            assertArrayEquals(c.get(y), c.get(xi), c.where("rmsnorm forward with y = x"));

            Tensor dy = c.put("dy", gv, n, d), dx = c.zeros("dx", n, d), dw = c.zeros("dw", d);
            c.ops.rmsNormBackward(x, w, r, dy, dx, dw);
            Tensor dyi = c.put("dy in place", gv, n, d), dwi = c.zeros("dw in place", d);
            c.ops.rmsNormBackward(x, w, r, dyi, dyi, dwi);
            assertArrayEquals(c.get(dx), c.get(dyi), c.where("rmsnorm backward with dx = dy"));
            // dw reads dy too: overwriting dy with dx before dw is computed would change dw
            assertArrayEquals(c.get(dw), c.get(dwi), c.where("rmsnorm backward dweight with dx = dy"));

            Tensor relu = c.put("relu in place", xv, n, d);
            c.ops.reluForward(relu, relu);
            float[] want = new float[n * d];
            for (int i = 0; i < want.length; i++) want[i] = Math.max(xv[i], 0f);
            assertArrayEquals(want, c.get(relu), c.where("relu forward with y = x"));
            Tensor g = c.put("relu dy in place", gv, n, d);
            c.ops.reluBackward(x, g, g);
            for (int i = 0; i < want.length; i++) want[i] = xv[i] > 0 ? gv[i] : 0f;
            assertArrayEquals(want, c.get(g), c.where("relu backward with dx = dy"));
        });
    }

    // ------------------------------------------------------------------ bad input

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void wrongDeviceWrongShapeAndClosedTensorsAreNamedErrors(String provider) {
        run(provider, c -> {
            int n = 2, d = 4;
            Tensor x = c.put("x", c.values(n * d), n, d), w = c.put("w", c.values(d), d), rstd = c.zeros("rstd", n);
            // a tensor on the other device than the provider's
            Tensor elsewhere = c.ops.device() == Device.HOST
                    ? Tensor.wrapDevice("device y", 0x1000, null, n, d)
                    : Tensor.allocateHost("host y", n, d);
            c.tensors.add(elsewhere);
            SculptException e = assertThrows(SculptException.class, () -> c.ops.rmsNormForward(x, w, 1e-5f, elsewhere, rstd));
            assertTrue(e.getMessage().contains(elsewhere.name()), e.getMessage());

            float[] before = c.values(n * (d + 1));
            Tensor wrong = c.put("y too wide", before, n, d + 1);
            e = assertThrows(SculptException.class, () -> c.ops.rmsNormForward(x, w, 1e-5f, wrong, rstd));
            assertTrue(e.getMessage().contains("y too wide"), e.getMessage());
            assertArrayEquals(before, c.get(wrong), c.where("a refused output is not written"));

            Tensor closed = c.ops.allocate("closed y", n, d);
            closed.close();
            e = assertThrows(SculptException.class, () -> c.ops.rmsNormForward(x, w, 1e-5f, closed, rstd));
            assertTrue(e.getMessage().contains("closed y"), e.getMessage());

            Tensor small = c.zeros("small C", 3);
            e = assertThrows(SculptException.class,
                    () -> c.ops.gemm(false, false, 1, 2, 2, 2, 1f, x, 0, 2, 0, x, 0, 2, 0, 0f, small, 0, 2, 0));
            assertTrue(e.getMessage().contains("small C"), e.getMessage());

            Tensor q = c.zeros("q", 3, 8), k = c.zeros("k", 3, 8), v = c.zeros("v odd", 3, 6);
            e = assertThrows(SculptException.class, () -> c.ops.attentionForward(q, k, v, 2, 2, 1f, true, 0, null,
                    c.zeros("p", 2, 3, 3), c.zeros("o", 3, 8)));
            assertTrue(e.getMessage().contains("v odd"), e.getMessage());
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void viewsAddressPackedSequences(String provider) {
        run(provider, c -> {
            // two sequences packed in one [6, 4] activation; the second one's rows 3..5 as a view
            float[] xv = c.values(6 * 4), wv = c.values(4);
            Tensor x = c.put("packed", xv, 6, 4), w = c.put("w", wv, 4), y = c.zeros("y", 6, 4), r = c.zeros("r", 6);
            Tensor xs = x.view("packed seq 1", 12, 3, 4), ys = y.view("y seq 1", 12, 3, 4), rs = r.view("r seq 1", 3, 3);
            c.ops.rmsNormForward(xs, w, 1e-6f, ys, rs);
            float[] got = c.get(y);
            double[] want = OpsReference.rmsNorm(toDouble(java.util.Arrays.copyOfRange(xv, 12, 24)), toDouble(wv), 1e-6f, 3, 4);
            for (int i = 0; i < 12; i++) assertEquals(0f, got[i], c.where("rows outside the view stay untouched"));
            double[] tol = new double[12];
            for (int i = 0; i < 12; i++) tol[i] = gamma(4 + 6) * Math.abs(want[i]);
            assertWithin(c.where("rmsnorm through views"), java.util.Arrays.copyOfRange(got, 12, 24), want, tol);
            SculptException e = assertThrows(SculptException.class, () -> x.view("too far", 20, 2, 4));
            assertTrue(e.getMessage().contains("too far") && e.getMessage().contains("packed"), e.getMessage());
        });
    }
}
