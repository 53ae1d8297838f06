package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;

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
            for (int i = 0; i < yRef.length; i++) assertClose("y", yRef[i], y.get(i), 1e-5);
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
            for (int i = 0; i < n * in; i++) assertClose("dx acc", d0[i] + dxFresh.get(i), dxAcc.get(i), 1e-6);
        }
    }
}
