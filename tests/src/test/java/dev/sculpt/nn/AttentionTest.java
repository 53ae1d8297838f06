package dev.sculpt.nn;

import static dev.sculpt.nn.GradCheck.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class AttentionTest {
    /** Float64 reference attention: straightforward loops, masked keys excluded from the softmax. */
    static double[] ref(double[] q, double[] k, double[] v, double[] bias, int heads, int kvHeads, int d,
                        int tq, int tk, int qStart, boolean causal, double scale) {
        double[] out = new double[tq * heads * d];
        int group = heads / kvHeads;
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            for (int i = 0; i < tq; i++) {
                int limit = causal ? Math.min(tk, qStart + i + 1) : tk;
                double[] s = new double[limit];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < limit; j++) {
                    double dot = 0;
                    for (int c = 0; c < d; c++) dot += q[i * heads * d + h * d + c] * k[j * kvHeads * d + g * d + c];
                    s[j] = scale * dot + (bias == null ? 0 : bias[h * tq * tk + i * tk + j]);
                    max = Math.max(max, s[j]);
                }
                double z = 0;
                for (int j = 0; j < limit; j++) z += Math.exp(s[j] - max);
                for (int j = 0; j < limit; j++) {
                    double p = Math.exp(s[j] - max) / z;
                    for (int c = 0; c < d; c++) out[i * heads * d + h * d + c] += p * v[j * kvHeads * d + g * d + c];
                }
            }
        }
        return out;
    }

    private void check(int heads, int kvHeads, int d, int tq, int tk, int qStart, boolean causal, float scale, boolean withBias, long seed) {
        Random rnd = new Random(seed);
        float[] qv = randn(rnd, tq * heads * d, 1), kv = randn(rnd, tk * kvHeads * d, 1), vv = randn(rnd, tk * kvHeads * d, 1);
        float[] bv = withBias ? randn(rnd, heads * tq * tk, 1) : null;
        float[] rv = randn(rnd, tq * heads * d, 1);
        float[] db0 = randn(rnd, heads * tq * tk, 1);
        Attention att = new Attention(heads, kvHeads, d, scale, causal);
        // offsets inside larger arrays, as for the second sequence of a packed batch
        int off = 2 * heads * d, koff = 3 * kvHeads * d;
        try (FloatArray q = new FloatArray(off + qv.length); FloatArray k = new FloatArray(koff + kv.length);
             FloatArray v = new FloatArray(koff + vv.length); FloatArray bias = withBias ? FloatArray.of(bv) : null;
             FloatArray probs = new FloatArray(att.probsSize(tq, tk)); FloatArray out = new FloatArray(off + qv.length);
             FloatArray dOut = new FloatArray(off + rv.length); FloatArray dq = new FloatArray(off + qv.length);
             FloatArray dk = new FloatArray(koff + kv.length); FloatArray dv = new FloatArray(koff + vv.length);
             FloatArray dBias = FloatArray.of(db0)) {
            q.put(off, qv);
            k.put(koff, kv);
            v.put(koff, vv);
            dOut.put(off, rv);
            dk.put(koff, randn(rnd, kv.length, 1)); // garbage that the backward must overwrite
            att.forward(q, off, k, koff, v, koff, tq, tk, qStart, bias, 0, probs, 0, out, off);
            double[] qd = toDouble(qv), kd = toDouble(kv), vd = toDouble(vv), bd = withBias ? toDouble(bv) : null, r = toDouble(rv);
            double[] oRef = ref(qd, kd, vd, bd, heads, kvHeads, d, tq, tk, qStart, causal, scale);
            for (int i = 0; i < oRef.length; i++) assertClose("out", oRef[i], out.get(off + i), 1e-5);
            att.backward(q, off, k, koff, v, koff, tq, tk, probs, 0, dOut, off, dq, off, dk, koff, dv, koff,
                    withBias ? dBias : null, 0);
            checkAll("dq", x -> dot(ref(x, kd, vd, bd, heads, kvHeads, d, tq, tk, qStart, causal, scale), r), qd, dq.toArray(off, qv.length), 1e-4);
            checkAll("dk", x -> dot(ref(qd, x, vd, bd, heads, kvHeads, d, tq, tk, qStart, causal, scale), r), kd, dk.toArray(koff, kv.length), 1e-4);
            checkAll("dv", x -> dot(ref(qd, kd, x, bd, heads, kvHeads, d, tq, tk, qStart, causal, scale), r), vd, dv.toArray(koff, vv.length), 1e-4);
            if (withBias) {
                float[] db = dBias.toArray(0, db0.length);
                for (int i = 0; i < db.length; i++) db[i] -= db0[i];
                checkAll("dBias", x -> dot(ref(qd, kd, vd, x, heads, kvHeads, d, tq, tk, qStart, causal, scale), r), bd, db, 1e-4);
            }
        } finally {
            att.release();
        }
    }

    @Test
    void causalGroupedQuery() {
        check(4, 2, 3, 5, 5, 0, true, (float) (1 / Math.sqrt(3)), false, 71);
    }

    @Test
    void causalDecodeAgainstLongerCache() {
        check(2, 1, 4, 2, 6, 4, true, 0.5f, false, 72);
    }

    @Test
    void unscaledBidirectionalCrossAttentionWithBias() {
        check(3, 3, 2, 3, 4, 0, false, 1f, true, 73);
    }

    @Test
    void causalWithBias() {
        check(2, 2, 3, 4, 4, 0, true, 1f, true, 74);
    }
}
