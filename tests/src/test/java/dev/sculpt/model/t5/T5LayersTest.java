package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.Parameter;
import dev.sculpt.nn.FloatArray;
import dev.sculpt.nn.GatedGelu;
import dev.sculpt.nn.T5Attention;
import dev.sculpt.nn.T5RelativeBias;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;

/**
 * T5-specific layers against hand-computed values and against central finite differences of independent float64
 * reference forwards, on tiny shapes with fresh random inputs.
 */
class T5LayersTest {
    private final Random rnd = new Random(20261122);

    private double[] gaussian(int n, double std) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = rnd.nextGaussian() * std;
        return x;
    }

    private static FloatArray toArray(double[] x) {
        FloatArray a = new FloatArray(x.length);
        for (int i = 0; i < x.length; i++) a.set(i, (float) x[i]);
        return a;
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

    private static void assertClose(double expected, double actual, double rtol, double atol, String what) {
        assertTrue(Math.abs(expected - actual) <= atol + rtol * Math.abs(expected),
                what + ": expected " + expected + ", got " + actual);
    }

    @Test
    void bucketsMatchHandComputedValues() {
        // bidirectional, 32 buckets, max distance 128: 16 per direction, exact below 8, then
        // 8 + floor(ln(|rp|/8) / ln(16) * 8), capped at 15; keys after the query add 16.
        assertEquals(0, T5RelativeBias.bucket(0, true, 32, 128));
        assertEquals(3, T5RelativeBias.bucket(-3, true, 32, 128));
        assertEquals(19, T5RelativeBias.bucket(3, true, 32, 128));
        assertEquals(8, T5RelativeBias.bucket(-8, true, 32, 128));
        assertEquals(10, T5RelativeBias.bucket(-16, true, 32, 128));      // ln2/ln16*8 = 2 exactly
        assertEquals(10, T5RelativeBias.bucket(-20, true, 32, 128));      // ln2.5/ln16*8 = 2.64
        assertEquals(26, T5RelativeBias.bucket(20, true, 32, 128));
        assertEquals(11, T5RelativeBias.bucket(-23, true, 32, 128));      // ln2.875/ln16*8 = 3.05
        assertEquals(15, T5RelativeBias.bucket(-128, true, 32, 128));     // 8 + 8 capped at 15
        assertEquals(31, T5RelativeBias.bucket(1000, true, 32, 128));
        // causal: later keys share bucket 0; exact below 16, then 16 + floor(ln(rp/16) / ln(8) * 16), cap 31
        assertEquals(0, T5RelativeBias.bucket(5, false, 32, 128));
        assertEquals(5, T5RelativeBias.bucket(-5, false, 32, 128));
        assertEquals(17, T5RelativeBias.bucket(-20, false, 32, 128));     // ln1.25/ln8*16 = 1.72
        assertEquals(31, T5RelativeBias.bucket(-200, false, 32, 128));    // 16 + 19 capped at 31
        for (int rp = -300; rp <= 300; rp++) {
            assertEquals(T5Reference.bucket(rp, true, 32, 128), T5RelativeBias.bucket(rp, true, 32, 128), "rp " + rp);
            assertEquals(T5Reference.bucket(rp, false, 32, 128), T5RelativeBias.bucket(rp, false, 32, 128), "rp " + rp);
        }
    }

    @Test
    void relativeBiasForwardAndBackward() {
        int buckets = 8, heads = 3, nq = 4, nk = 7, qStart = 2;
        for (boolean bidirectional : new boolean[] {true, false}) {
            try (Parameter table = new Parameter("bias", buckets, heads)) {
                double[] t = gaussian(buckets * heads, 1);
                for (int i = 0; i < t.length; i++) table.data().put(i, (float) t[i]);
                T5RelativeBias layer = new T5RelativeBias(table, bidirectional, 10);
                double[] g = gaussian(heads * nq * nk, 1);
                try (FloatArray out = new FloatArray(heads * nq * nk); FloatArray dOut = toArray(g)) {
                    layer.forward(qStart, nq, nk, out, 0);
                    DoubleSupplier loss = () -> {
                        double s = 0;
                        for (int h = 0; h < heads; h++) for (int i = 0; i < nq; i++) for (int j = 0; j < nk; j++) {
                            int b = T5Reference.bucket(j - (qStart + i), bidirectional, buckets, 10);
                            s += g[(h * nq + i) * nk + j] * t[b * heads + h];
                        }
                        return s;
                    };
                    for (int h = 0; h < heads; h++) for (int i = 0; i < nq; i++) for (int j = 0; j < nk; j++) {
                        int b = T5Reference.bucket(j - (qStart + i), bidirectional, buckets, 10);
                        assertEquals((float) t[b * heads + h], out.get((h * nq + i) * nk + j));
                    }
                    layer.backward(qStart, nq, nk, dOut, 0);
                    for (int i = 0; i < t.length; i++) {
                        assertClose(centralDifference(t, i, loss), table.grad().get(i), 1e-4, 1e-5, "d table[" + i + "]");
                    }
                }
            }
        }
    }

    @Test
    void gatedGeluForwardAndBackward() {
        int n = 64;
        double[] a = gaussian(n, 2), b = gaussian(n, 1), g = gaussian(n, 1);
        // independent reference: gelu_new(x) = x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))
        DoubleSupplier loss = () -> {
            double s = 0;
            for (int i = 0; i < n; i++) {
                double z = 2 * Math.sqrt(2 / Math.PI) * (a[i] + 0.044715 * Math.pow(a[i], 3));
                s += g[i] * a[i] / (1 + Math.exp(-z)) * b[i];
            }
            return s;
        };
        try (FloatArray fa = toArray(a); FloatArray fb = toArray(b); FloatArray fg = toArray(g);
             FloatArray h = new FloatArray(n); FloatArray da = new FloatArray(n); FloatArray db = new FloatArray(n)) {
            GatedGelu.forward(fa, 0, fb, 0, h, 0, n);
            for (int i = 0; i < n; i++) {
                double z = 2 * Math.sqrt(2 / Math.PI) * (a[i] + 0.044715 * Math.pow(a[i], 3));
                assertClose(a[i] / (1 + Math.exp(-z)) * b[i], h.get(i), 1e-5, 1e-6, "h[" + i + "]");
            }
            GatedGelu.backward(fa, 0, fb, 0, fg, 0, da, 0, db, 0, n);
            for (int i = 0; i < n; i++) {
                assertClose(centralDifference(a, i, loss), da.get(i), 1e-4, 1e-5, "da[" + i + "]");
                assertClose(centralDifference(b, i, loss), db.get(i), 1e-4, 1e-5, "db[" + i + "]");
            }
        }
    }

    @Test
    void attentionForwardAndBackward() {
        int heads = 2, dk = 3, width = heads * dk;
        for (boolean causal : new boolean[] {false, true}) {
            int nq = 4, nk = causal ? 6 : 5, qStart = causal ? 2 : 0;
            double[] q = gaussian(nq * width, 1), k = gaussian(nk * width, 1), v = gaussian(nk * width, 1);
            double[] bias = gaussian(heads * nq * nk, 1), g = gaussian(nq * width, 1);
            final int fq = nq, fk = nk, fs = qStart;
            // reference: softmax(q k^T + bias) v per head, no scaling, causal mask j <= qStart + i
            java.util.function.Supplier<double[]> ref = () -> {
                double[] ctx = new double[fq * width];
                for (int h = 0; h < heads; h++) for (int i = 0; i < fq; i++) {
                    int visible = causal ? fs + i + 1 : fk;
                    double[] p = new double[visible];
                    double sum = 0;
                    for (int j = 0; j < visible; j++) {
                        double s = bias[(h * fq + i) * fk + j];
                        for (int t = 0; t < dk; t++) s += q[i * width + h * dk + t] * k[j * width + h * dk + t];
                        p[j] = Math.exp(s);
                        sum += p[j];
                    }
                    for (int j = 0; j < visible; j++) for (int t = 0; t < dk; t++) {
                        ctx[i * width + h * dk + t] += p[j] / sum * v[j * width + h * dk + t];
                    }
                }
                return ctx;
            };
            DoubleSupplier loss = () -> {
                double[] ctx = ref.get();
                double s = 0;
                for (int i = 0; i < ctx.length; i++) s += g[i] * ctx[i];
                return s;
            };
            T5Attention attn = new T5Attention(heads, dk);
            try (FloatArray fq2 = toArray(q); FloatArray fk2 = toArray(k); FloatArray fv = toArray(v);
                 FloatArray fb = toArray(bias); FloatArray probs = new FloatArray(heads * nq * nk);
                 FloatArray ctx = new FloatArray(nq * width); FloatArray dctx = toArray(g);
                 FloatArray dq = new FloatArray(nq * width); FloatArray dkk = new FloatArray(nk * width);
                 FloatArray dv = new FloatArray(nk * width); FloatArray dBias = new FloatArray(heads * nq * nk);
                 FloatArray scratch = new FloatArray(1)) {
                attn.forward(fq2, 0, fk2, 0, fv, 0, nq, nk, fb, 0, causal, qStart, probs, 0, ctx, 0);
                double[] expected = ref.get();
                // ctx = sum_j p_j v_j can cancel to near 0, so the absolute part is relative to the terms' scale
                // sum_j p_j |v_j| ~ 1 (v ~ N(0, 1)): gamma(nk) of it plus the scores' rounding (gamma(dk) of
                // sum |q k| ~ dk) carried through the softmax, a few 1e-6 at most; 1e-5 holds it
                for (int i = 0; i < expected.length; i++) assertClose(expected[i], ctx.get(i), 1e-5, 1e-5, "ctx[" + i + "]");
                attn.backward(fq2, 0, fk2, 0, fv, 0, nq, nk, probs, 0, dctx, 0, dq, 0, dkk, 0, dv, 0, dBias, 0, scratch);
                for (int i = 0; i < q.length; i++) assertClose(centralDifference(q, i, loss), dq.get(i), 1e-4, 1e-5, "dq[" + i + "]");
                for (int i = 0; i < k.length; i++) assertClose(centralDifference(k, i, loss), dkk.get(i), 1e-4, 1e-5, "dk[" + i + "]");
                for (int i = 0; i < v.length; i++) assertClose(centralDifference(v, i, loss), dv.get(i), 1e-4, 1e-5, "dv[" + i + "]");
                for (int i = 0; i < bias.length; i++) {
                    assertClose(centralDifference(bias, i, loss), dBias.get(i), 1e-4, 1e-5, "dbias[" + i + "]");
                }
            }
        }
    }
}
