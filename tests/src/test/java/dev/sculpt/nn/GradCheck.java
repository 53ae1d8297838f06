package dev.sculpt.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.Parameter;
import java.util.Random;
import java.util.function.ToDoubleFunction;

/**
 * Test helpers: random float32 inputs, central finite differences in float64 on an independent float64 reference,
 * and a mixed absolute/relative comparison.
 *
 * <p>Tolerances of the layer tests. The inputs are float32 values, so the float64 reference sees them exactly;
 * central differences with h = 1e-5 on smooth float64 functions of O(1) values are exact to ~1e-10 (truncation
 * h^2 f^(3) / 6, cancellation 1e-16 / h). The error is then the layer's float32 rounding. Each output here is a
 * chain of at most three inner products (scores, softmax sum, weighted sum; or the backward's two) over at most
 * 8 terms: at most ~24 roundings, within gamma(24) ~ 1.4e-6 of its absolute-value scale. With N(0, <= 2)
 * inputs that scale is a few units and, for one output in hundreds, tens: the forward tolerance
 * 1e-5 (1 + |y|) holds it with a factor of about 7 at a scale of 10, and the gradients get 1e-4 (1 + |g|),
 * since a backward pass chains the forward's rounding with its own. Where the scale is cheap to compute exactly
 * (the linear layer) the test uses it. A bug (a wrong index, a missing term, a wrong scale factor) is an error
 * of the order of the terms themselves, 1e4 times these tolerances.
 */
final class GradCheck {
    private GradCheck() {}

    static float[] randn(Random rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextGaussian() * std);
        return a;
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    static Parameter param(String name, float[] values, int... shape) {
        Parameter p = new Parameter(name, shape);
        p.copyFrom(values);
        return p;
    }

    static float[] grad(Parameter p) {
        float[] g = new float[p.size()];
        p.grad().get(0, g);
        return g;
    }

    /** d f / d x[i] by central differences (x is restored). */
    static double central(ToDoubleFunction<double[]> f, double[] x, int i, double h) {
        double keep = x[i];
        x[i] = keep + h;
        double up = f.applyAsDouble(x);
        x[i] = keep - h;
        double down = f.applyAsDouble(x);
        x[i] = keep;
        return (up - down) / (2 * h);
    }

    /** Checks every element of an analytic float32 gradient against central differences of f at x. */
    static void checkAll(String what, ToDoubleFunction<double[]> f, double[] x, float[] analytic, double tol) {
        int step = Math.max(1, x.length / 60); // cap the cost on the larger tensors
        int worst = -1;
        double worstErr = 0;
        for (int i = 0; i < x.length; i += step) {
            double num = central(f, x, i, 1e-5);
            double err = Math.abs(num - analytic[i]) / (tol + tol * Math.abs(num));
            if (err > worstErr) {
                worstErr = err;
                worst = i;
            }
            assertTrue(err <= 1, what + "[" + i + "]: analytic " + analytic[i] + " vs numeric " + num);
        }
        assertTrue(x.length > 0 && worst >= -1);
    }

    static void assertClose(String what, double expected, double actual, double tol) {
        assertTrue(Math.abs(expected - actual) <= tol * (1 + Math.abs(expected)),
                what + ": expected " + expected + ", got " + actual);
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
