package dev.sculpt.engine;

import static dev.sculpt.FloatBounds.gamma;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Bf16;
import dev.sculpt.ops.HostCopy;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A {@link Linear} in bf16 compute mode on every provider present: y = round(x) round(W)^T, dW += round(dy)^T round(x)
 * and dx = round(dy) round(W), each against a float64 product of the bf16-rounded operands. The products of bf16 values
 * are exact in float32, so the tolerance is the float32 accumulation's, {@code gamma(k + 2) sum |terms|} (plus the old
 * dW for the accumulating one), as in {@code Bf16OpsContractTest}. The compute copy follows the master: after the
 * master weight changes, the next forward uses the new rounding.
 */
class Bf16LinearTest {
    static Stream<String> providers() {
        return OpsProviders.present().stream();
    }

    private static float[] random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * (0.1 + 0.9 * rnd.nextDouble()));
        return a;
    }

    private static float[] r(float[] a) {
        float[] o = new float[a.length];
        for (int i = 0; i < a.length; i++) o[i] = Bf16.round(a[i]);
        return o;
    }

    /** C [m, n] = A [m, k] B^T ([n, k]) in float64 with tolerance gamma(k + 2) sum |a b| (+ |old|). */
    private static void check(String what, float[] got, float[] a, float[] b, float[] old, int m, int n, int k, boolean bT,
                              boolean aT) {
        for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
            double s = old == null ? 0 : old[i * n + j], abs = old == null ? 0 : Math.abs(old[i * n + j]);
            for (int p = 0; p < k; p++) {
                double x = aT ? a[p * m + i] : a[i * k + p], y = bT ? b[j * k + p] : b[p * n + j];
                s += x * y;
                abs += Math.abs(x * y);
            }
            double tol = gamma(k + 2) * abs;
            assertTrue(Math.abs(got[i * n + j] - s) <= tol, what + ": [" + i + ", " + j + "] = " + got[i * n + j] + ", expected "
                    + s + " within " + tol);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void productsRunOnRoundedOperandsWithFloat32Accumulation(String provider) {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int n = 5, in = 19, out = 7;
        try (Ops ops = OpsProviders.create(provider); Parameter w = new Parameter(ops, "w", out, in);
             Bf16Compute buffers = new Bf16Compute(ops, "test")) {
            String where = provider + " (seed " + seed + ")";
            float[] wv = random(rnd, out * in), xv = random(rnd, n * in), dyv = random(rnd, n * out), g0 = random(rnd, out * in);
            w.copyFrom(wv);
            HostCopy.fromArray(ops, g0, w.gradient());
            Linear lin = new Linear(ops, w);
            lin.computeInBf16(buffers);
            try (Tensor x = ops.allocate("x", n, in); Tensor y = ops.allocate("y", n, out); Tensor dy = ops.allocate("dy", n, out);
                 Tensor dx = ops.allocate("dx", n, in)) {
                HostCopy.fromArray(ops, xv, x);
                HostCopy.fromArray(ops, dyv, dy);
                lin.forward(x, y, false);
                check(where + ": y", HostCopy.toArray(ops, y), r(xv), r(wv), null, n, out, in, true, false);
                lin.backward(x, dy, dx, false);
                // dW [out, in] = g0 + dy^T [out, n] x [n, in]
                check(where + ": dW", w.gradientToArray(), r(dyv), r(xv), g0, out, in, n, false, true);
                check(where + ": dx", HostCopy.toArray(ops, dx), r(dyv), r(wv), null, n, in, out, false, false);
                // the master changes (an optimizer step): the next forward rounds the new values
                float[] w2 = random(rnd, out * in);
                w.copyFrom(w2);
                lin.forward(x, y, false);
                check(where + ": y after the master changed", HostCopy.toArray(ops, y), r(xv), r(w2), null, n, out, in, true, false);
            } finally {
                lin.close();
            }
        }
    }
}
