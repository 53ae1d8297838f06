package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;

import dev.sculpt.model.Parameter;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RmsNormTest {
    static double[] ref(double[] x, double[] w, int n, int dim, double eps) {
        double[] y = new double[n * dim];
        for (int r = 0; r < n; r++) {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += x[r * dim + j] * x[r * dim + j];
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int j = 0; j < dim; j++) y[r * dim + j] = w[j] * x[r * dim + j] * inv;
        }
        return y;
    }

    @Test
    void forwardAndBackwardMatchFloat64FiniteDifferences() {
        Random rnd = new Random(31);
        int n = 4, dim = 6;
        float eps = 1e-5f;
        float[] xv = randn(rnd, n * dim, 1.5), wv = randn(rnd, dim, 1), rv = randn(rnd, n * dim, 1), d0 = randn(rnd, n * dim, 1);
        try (Parameter w = param("norm", wv, dim); FloatArray x = FloatArray.of(xv); FloatArray y = new FloatArray(n * dim);
             FloatArray rstd = new FloatArray(n); FloatArray dy = FloatArray.of(rv); FloatArray dx = FloatArray.of(d0)) {
            RmsNorm norm = new RmsNorm(w, eps);
            norm.forward(x, 0, y, 0, rstd, 0, n);
            double[] xd = toDouble(xv), wd = toDouble(wv), r = toDouble(rv);
            double[] yRef = ref(xd, wd, n, dim, eps);
            for (int i = 0; i < yRef.length; i++) assertClose("y", yRef[i], y.get(i), 1e-5);
            norm.backward(x, 0, rstd, 0, dy, 0, dx, 0, n, true);
            float[] dxv = dx.toArray(0, n * dim);
            for (int i = 0; i < dxv.length; i++) dxv[i] -= d0[i];
            checkAll("dx", xx -> dot(ref(xx, wd, n, dim, eps), r), xd, dxv, 1e-4);
            checkAll("dw", ww -> dot(ref(xd, ww, n, dim, eps), r), wd, grad(w), 1e-4);
        }
    }
}
