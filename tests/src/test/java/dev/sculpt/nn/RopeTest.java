package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class RopeTest {
    /** HF reference: x*cos + rotate_half(x)*sin with rotate_half(x) = cat(-x2, x1), angles pos * theta^(-2i/d). */
    static double[] ref(double[] x, int n, int heads, int d, int start, double theta) {
        double[] y = new double[x.length];
        int half = d / 2;
        for (int r = 0; r < n; r++) for (int h = 0; h < heads; h++) for (int j = 0; j < d; j++) {
            int i = j % half;
            double ang = (start + r) * Math.pow(theta, -2.0 * i / d);
            int base = r * heads * d + h * d;
            double rot = j < half ? -x[base + j + half] : x[base + j - half];
            y[base + j] = x[base + j] * Math.cos(ang) + rot * Math.sin(ang);
        }
        return y;
    }

    @Test
    void rotationAndItsBackwardMatchFloat64FiniteDifferences() {
        Random rnd = new Random(41);
        int n = 3, heads = 2, d = 8, start = 5;
        double theta = 10000;
        float[] xv = randn(rnd, n * heads * d, 1), rv = randn(rnd, n * heads * d, 1);
        Rope rope = Rope.standard(d, theta);
        try (FloatArray x = FloatArray.of(xv); FloatArray dy = FloatArray.of(rv)) {
            rope.forward(x, 0, n, heads, start);
            double[] yRef = ref(toDouble(xv), n, heads, d, start, theta);
            for (int i = 0; i < yRef.length; i++) assertClose("y", yRef[i], x.get(i), 1e-5);
            rope.backward(dy, 0, n, heads, start);
            double[] r = toDouble(rv);
            checkAll("dx", xx -> dot(ref(xx, n, heads, d, start, theta), r), toDouble(xv), dy.toArray(0, xv.length), 1e-4);
        }
    }
}
