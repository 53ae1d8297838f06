package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * T5-specific pieces against hand-computed values and against central finite differences of an independent float64
 * reference, on tiny shapes with fresh random inputs. The attention core with a bias, the gated GELU and ReLU are
 * ops and are checked on every provider by {@code OpsContractTest}.
 */
class T5LayersTest {
    private final long seed = System.nanoTime();
    private final Random rnd = new Random(seed);

    static Stream<String> providers() {
        return OpsProviders.present().stream();
    }

    private double[] gaussian(int n, double std) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextGaussian() * std;
        return x;
    }

    private static float[] floats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) f[i] = (float) x[i];
        return f;
    }

    private static double centralDifference(double[] x, int i, DoubleSupplier f) {
        double keep = x[i];
        double h = 1e-6 * Math.max(1, Math.abs(keep));
        x[i] = keep + h;
        double up = f.getAsDouble();
        x[i] = keep - h;
        double down = f.getAsDouble();
        x[i] = keep;
        return (up - down) / (2 * h);
    }

    @Test
    void bucketsMatchHandComputedValues() {
        // bidirectional, 32 buckets, max distance 128: 16 per direction, exact below 8, then
        // 8 + floor(ln(|rp|/8) / ln(16) * 8), capped at 15; keys after the query add 16.
        assertEquals(0, RelativePositionBias.bucket(0, true, 32, 128));
        assertEquals(3, RelativePositionBias.bucket(-3, true, 32, 128));
        assertEquals(19, RelativePositionBias.bucket(3, true, 32, 128));
        assertEquals(8, RelativePositionBias.bucket(-8, true, 32, 128));
        assertEquals(10, RelativePositionBias.bucket(-16, true, 32, 128));      // ln2/ln16*8 = 2 exactly
        assertEquals(10, RelativePositionBias.bucket(-20, true, 32, 128));      // ln2.5/ln16*8 = 2.64
        assertEquals(26, RelativePositionBias.bucket(20, true, 32, 128));
        assertEquals(11, RelativePositionBias.bucket(-23, true, 32, 128));      // ln2.875/ln16*8 = 3.05
        assertEquals(15, RelativePositionBias.bucket(-128, true, 32, 128));     // 8 + 8 capped at 15
        assertEquals(31, RelativePositionBias.bucket(1000, true, 32, 128));
        // causal: later keys share bucket 0; exact below 16, then 16 + floor(ln(rp/16) / ln(8) * 16), cap 31
        assertEquals(0, RelativePositionBias.bucket(5, false, 32, 128));
        assertEquals(5, RelativePositionBias.bucket(-5, false, 32, 128));
        assertEquals(17, RelativePositionBias.bucket(-20, false, 32, 128));     // ln1.25/ln8*16 = 1.72
        assertEquals(31, RelativePositionBias.bucket(-200, false, 32, 128));    // 16 + 19 capped at 31
        for (int rp = -300; rp <= 300; rp++) {
            assertEquals(T5Reference.bucket(rp, true, 32, 128), RelativePositionBias.bucket(rp, true, 32, 128), "rp " + rp);
            assertEquals(T5Reference.bucket(rp, false, 32, 128), RelativePositionBias.bucket(rp, false, 32, 128), "rp " + rp);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void relativeBiasForwardAndBackward(String provider) {
        int buckets = 8, heads = 3, nq = 4, nk = 7, qStart = 2;
        for (boolean bidirectional : new boolean[] {true, false}) {
            try (Ops ops = OpsProviders.create(provider);
                 Parameter table = new Parameter(ops, "bias", buckets, heads)) {
                double[] t = gaussian(buckets * heads, 1);
                table.copyFrom(floats(t));
                RelativePositionBias layer = new RelativePositionBias(table, bidirectional, 10);
                double[] g = gaussian(heads * nq * nk, 1);
                try (Tensor out = ops.allocate("bias out", heads, nq, nk);
                     Tensor hostG = Tensor.ofHost("dbias", floats(g), heads, nq, nk);
                     Tensor dOut = ops.upload(hostG, "dbias")) {
                    layer.forward(ops, qStart, nq, nk, out);
                    float[] got;
                    try (Tensor h = ops.download(out, "bias out (host)")) {
                        got = h.toArray();
                    }
                    // the forward is a gather: exact
                    for (int h = 0; h < heads; h++) for (int i = 0; i < nq; i++) for (int j = 0; j < nk; j++) {
                        int b = T5Reference.bucket(j - (qStart + i), bidirectional, buckets, 10);
                        assertEquals((float) t[b * heads + h], got[(h * nq + i) * nk + j], "seed " + seed);
                    }
                    DoubleSupplier loss = () -> {
                        double s = 0;
                        for (int h = 0; h < heads; h++) for (int i = 0; i < nq; i++) for (int j = 0; j < nk; j++) {
                            int b = T5Reference.bucket(j - (qStart + i), bidirectional, buckets, 10);
                            s += g[(h * nq + i) * nk + j] * t[b * heads + h];
                        }
                        return s;
                    };
                    // twice: the backward adds into the table's gradient
                    layer.backward(ops, qStart, nq, nk, dOut);
                    layer.backward(ops, qStart, nq, nk, dOut);
                    float[] grad = table.gradientToArray();
                    int touched = 0;
                    for (int i = 0; i < t.length; i++) {
                        // d loss / d table[i] sums the g of its bucket (twice); float32 adds them in some order, so
                        // the error is within gamma(2 nq nk) of the sum of their absolute values (FloatBounds);
                        // central differences of this linear function are exact to ~1e-9: 1e-6 |fd| + 1e-8 covers it
                        double fd = 2 * centralDifference(t, i, loss);
                        double sumAbs = 0;
                        for (int h = 0; h < heads; h++) for (int q = 0; q < nq; q++) for (int j = 0; j < nk; j++) {
                            int b = T5Reference.bucket(j - (qStart + q), bidirectional, buckets, 10);
                            if (b * heads + h == i) sumAbs += 2 * Math.abs(g[(h * nq + q) * nk + j]);
                        }
                        double tol = dev.sculpt.FloatBounds.gamma(2 * nq * nk) * sumAbs + 1e-8;
                        assertTrue(Math.abs(fd - grad[i]) <= tol + 1e-6 * Math.abs(fd),
                                "d table[" + i + "]: expected " + fd + ", got " + grad[i] + " (seed " + seed + ")");
                        if (sumAbs > 0) touched++;
                    }
                    assertTrue(touched >= heads * 3, "only " + touched + " table entries reached");
                }
            }
        }
    }
}
