package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SwiGluTest {
    static double[] ref(double[] g, double[] u) {
        double[] y = new double[g.length];
        for (int i = 0; i < g.length; i++) y[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        return y;
    }

    @Test
    void gateAndItsBackwardMatchFloat64FiniteDifferences() {
        Random rnd = new Random(51);
        int n = 40;
        float[] gv = randn(rnd, n, 2), uv = randn(rnd, n, 1), rv = randn(rnd, n, 1);
        try (FloatArray g = FloatArray.of(gv); FloatArray u = FloatArray.of(uv); FloatArray y = new FloatArray(n);
             FloatArray dy = FloatArray.of(rv)) {
            SwiGlu.forward(g, 0, u, 0, y, 0, n);
            double[] gd = toDouble(gv), ud = toDouble(uv), r = toDouble(rv);
            double[] yRef = ref(gd, ud);
            for (int i = 0; i < n; i++) assertClose("y", yRef[i], y.get(i), 1e-5);
            try (FloatArray h = new FloatArray(n)) {
                SwiGlu.backward(g, 0, u, 0, dy, 0, g, 0, u, 0, h, 0, n); // in place, as the model uses it
                for (int i = 0; i < n; i++) assertClose("recomputed h", yRef[i], h.get(i), 1e-5);
            }
            checkAll("dGate", gg -> dot(ref(gg, ud), r), gd, g.toArray(0, n), 1e-4);
            checkAll("dUp", uu -> dot(ref(gd, uu), r), ud, u.toArray(0, n), 1e-4);
        }
    }
}
