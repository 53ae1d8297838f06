package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sculpt.FloatBounds;
import dev.sculpt.model.Parameter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinearTest {
    /** Reference y = x W^T in float64. */
    static double[] ref(double[] x, double[] w, int n, int in, int out) {
        double[] y = new double[n * out];
        for (int r = 0; r < n; r++) for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += x[r * in + i] * w[o * in + i];
            y[r * out + o] = s;
        }
        return y;
    }

    static double[] abs(double[] a) {
        double[] b = new double[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Math.abs(a[i]);
        return b;
    }

    @Test
    void forwardAndBackwardMatchFloat64FiniteDifferences() {
        Random rnd = new Random(11);
        int n = 5, in = 7, out = 4;
        float[] xv = randn(rnd, n * in, 1), wv = randn(rnd, out * in, 0.5), rv = randn(rnd, n * out, 1);
        float[] gw0 = randn(rnd, out * in, 1);   // gradient already there: the layer must add to it
        try (Parameter w = param("w", wv, out, in); FloatArray x = FloatArray.of(xv); FloatArray y = new FloatArray(n * out);
             FloatArray dy = FloatArray.of(rv); FloatArray dx = new FloatArray(n * in)) {
            w.grad().put(0, gw0);
            Linear lin = new Linear(w);
            lin.forward(x, 0, y, 0, n);
            double[] yRef = ref(toDouble(xv), toDouble(wv), n, in, out);
            // y_i sums `in` products in any order: within gamma(in) sum |x w| (FloatBounds)
            double[] yAbs = ref(abs(toDouble(xv)), abs(toDouble(wv)), n, in, out);
            for (int i = 0; i < yRef.length; i++) {
                assertEquals(yRef[i], y.get(i), FloatBounds.sum(in, yAbs[i]) + FloatBounds.U * Math.abs(yRef[i]), "y[" + i + "]");
            }
            lin.backward(x, 0, dy, 0, dx, 0, n, false);
            double[] r = toDouble(rv);
            double[] wd = toDouble(wv), xd = toDouble(xv);
            checkAll("dx", xx -> dot(ref(xx, wd, n, in, out), r), xd, dx.toArray(0, n * in), 1e-4);
            float[] dw = grad(w);
            for (int i = 0; i < dw.length; i++) dw[i] -= gw0[i];
            checkAll("dW", ww -> dot(ref(xd, ww, n, in, out), r), wd, dw, 1e-4);
        }
    }

    @Test
    void accumulatesIntoDxWhenAsked() {
        Random rnd = new Random(12);
        int n = 3, in = 4, out = 2;
        float[] xv = randn(rnd, n * in, 1), wv = randn(rnd, out * in, 1), rv = randn(rnd, n * out, 1), d0 = randn(rnd, n * in, 1);
        try (Parameter w = param("w", wv, out, in); FloatArray x = FloatArray.of(xv); FloatArray dy = FloatArray.of(rv);
             FloatArray dxFresh = new FloatArray(n * in); FloatArray dxAcc = FloatArray.of(d0)) {
            Linear lin = new Linear(w);
            lin.backward(x, 0, dy, 0, dxFresh, 0, n, false);
            lin.backward(x, 0, dy, 0, dxAcc, 0, n, true);
            // dx_i = d0_i + sum_o dy_o W_oi: out + 1 terms, in any order (the add may sit inside the GEMM, beta = 1);
            // d0 + fresh rounds the fresh sum and the add. Each side is within gamma(out + 1) of the terms' absolute
            // sum, so they differ by at most twice that. Not accumulating is off by |d0_i| ~ 1.
            double[] dyW = new double[n * in];
            for (int r = 0; r < n; r++) for (int i = 0; i < in; i++) {
                for (int o = 0; o < out; o++) dyW[r * in + i] += Math.abs((double) rv[r * out + o] * wv[o * in + i]);
            }
            for (int i = 0; i < n * in; i++) {
                double bound = 2 * FloatBounds.sum(out + 1, Math.abs(d0[i]) + dyW[i]);
                assertEquals(d0[i] + dxFresh.get(i), dxAcc.get(i), bound, "dx acc [" + i + "]");
            }
        }
    }
}
