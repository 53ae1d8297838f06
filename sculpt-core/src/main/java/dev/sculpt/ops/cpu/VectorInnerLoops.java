package dev.sculpt.ops.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link InnerLoops} on the JDK's vector API ({@code jdk.incubator.vector}, loaded with
 * {@code --add-modules jdk.incubator.vector}; {@link InnerLoops#best()} links this class only then), over the
 * preferred species (L = 16 float lanes with AVX-512, 8 with AVX2).
 *
 * <p><b>Deterministic.</b> Only lane operations that IEEE 754 defines exactly are used (add, sub, mul, div, fma,
 * compare, blend, integer shifts and reinterpretation), so the interpreter's fallback and the JIT's SIMD code give the
 * same bits, and a run resumed in a fresh JVM repeats the uninterrupted one bit for bit. Two vector API operations
 * are avoided for that reason: {@code lanewise(EXP)} (SVML in compiled code, {@link Math#exp} per lane before: they
 * differ in the last bit) and {@code reduceLanes(ADD)} (order unspecified); the exponential is {@link #exp} below
 * and the lanes of a sum are added in lane order by {@link #sumLanes}.
 *
 * <p>Speed, single thread, thread CPU time, on the 2-core dev machine (AMD EPYC, AVX-512, JDK 17, 2026-12-05): SwiGLU
 * forward 0.42 ns per element with the SVML EXP against 5.1 for {@link ScalarInnerLoops}.
 *
 * <p>Rounding, against the bounds {@code OpsContractTest} and {@code InnerLoopsTest} check (u = 2^-24):
 * <ul>
 *   <li>{@link #exp}: relative error below 3u (the reduction's and the polynomial's roundings and its truncation,
 *       see there): counted as three float roundings.
 *   <li>softmax: the argument {@code x - max} is formed in float, one rounding of it, which adds |x - max| u to the
 *       exponential's relative error (the scalar loops form it exactly in double); each lane sums at most ceil(n/L)
 *       exponentials in float, the L lanes are then added in order (L - 1 additions) and the scalar tail adds at most
 *       L - 1 more: at most n/L + 2L roundings of the sum of positive terms; then one division and one product. For
 *       n >= 4L that is at most n + 6 roundings with the exponential's three, within the tk + 6 the attention
 *       contract counts. Shorter rows take the scalar loops.
 *   <li>softmax backward: the row dot is a sum of fused multiply-adds (one rounding per term) over the same lane
 *       split: at most n/L + 2L roundings of sum |p ds|, within tk + 3 for n >= 4L; then the scalar form's two.
 *   <li>RMSNorm's sum of squares and dot: fused multiply-adds over the lanes (the dot's w a product one more
 *       rounding), then the lanes in order (L - 1) and the tail in double: at most n/L + L + 1 roundings of the sum
 *       of absolute terms, within the n + 4 the RMSNorm contract counts for n >= 4L.
 *   <li>SwiGLU: e = exp(-g) (3), 1 + e (1), 1 / (1 + e) (1), g * sig (1), * u (1): 7 roundings of a product of
 *       positive factors, within the forward's gamma(8). The backward's dg takes sig's 5 roundings through
 *       sig (1 + g (1 - sig)) with 4 more and dh u with 2; where g (1 - sig) cancels against 1, sig's error enters
 *       as |g| sig times it (the term {@code InnerLoopsTest} adds); du: 7 roundings.
 * </ul>
 * exp(-g) overflows float for g below -88.7: then 1 + e = +Infinity and sig = 0, the limit; NaN propagates through
 * every lane operation as in the scalar loops.
 */
final class VectorInnerLoops implements InnerLoops {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Rows shorter than this take the scalar loops (see the rounding count in the class comment). */
    private static final int MIN_ROW = 4 * L;
    private final ScalarInnerLoops scalar = new ScalarInnerLoops();

    @Override public String describe() {
        return "vector loops (" + L + " float lanes)";
    }

    @Override public void softmax(float[] row, int n) {
        if (n < MIN_ROW) {
            scalar.softmax(row, n);
            return;
        }
        int full = S.loopBound(n);
        FloatVector vmax = FloatVector.fromArray(S, row, 0);
        for (int i = L; i < full; i += L) vmax = vmax.max(FloatVector.fromArray(S, row, i));
        float max = vmax.reduceLanes(VectorOperators.MAX); // a max is exact in any order
        for (int j = full; j < n; j++) max = Math.max(max, row[j]);
        FloatVector m = FloatVector.broadcast(S, max), vsum = FloatVector.zero(S);
        for (int i = 0; i < full; i += L) {
            FloatVector e = exp(FloatVector.fromArray(S, row, i).sub(m));
            e.intoArray(row, i);
            vsum = vsum.add(e);
        }
        float sum = sumLanes(vsum);
        for (int j = full; j < n; j++) {
            float e = (float) Math.exp(row[j] - max);
            row[j] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (int i = 0; i < full; i += L) FloatVector.fromArray(S, row, i).mul(inv).intoArray(row, i);
        for (int j = full; j < n; j++) row[j] *= inv;
    }

    @Override public void softmaxBackward(float[] p, float[] ds, int n) {
        if (n < MIN_ROW) {
            scalar.softmaxBackward(p, ds, n);
            return;
        }
        int full = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < full; i += L) acc = FloatVector.fromArray(S, p, i).fma(FloatVector.fromArray(S, ds, i), acc);
        float dot = sumLanes(acc);
        for (int j = full; j < n; j++) dot = Math.fma(p[j], ds[j], dot);
        FloatVector d = FloatVector.broadcast(S, dot);
        for (int i = 0; i < full; i += L) {
            FloatVector.fromArray(S, p, i).mul(FloatVector.fromArray(S, ds, i).sub(d)).intoArray(ds, i);
        }
        for (int j = full; j < n; j++) ds[j] = p[j] * (ds[j] - dot);
    }

    @Override public double sumOfSquares(float[] x, int n) {
        if (n < MIN_ROW) return scalar.sumOfSquares(x, n);
        int full = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < full; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, i);
            acc = v.fma(v, acc);
        }
        double sum = sumLanes(acc);
        for (int j = full; j < n; j++) sum += (double) x[j] * x[j];
        return sum;
    }

    @Override public double dot(float[] w, float[] a, float[] b, int n) {
        if (n < MIN_ROW) return scalar.dot(w, a, b, n);
        int full = S.loopBound(n);
        FloatVector acc = FloatVector.zero(S);
        for (int i = 0; i < full; i += L) {
            acc = FloatVector.fromArray(S, w, i).mul(FloatVector.fromArray(S, a, i)).fma(FloatVector.fromArray(S, b, i), acc);
        }
        double sum = sumLanes(acc);
        for (int j = full; j < n; j++) sum += w[j] * (double) a[j] * b[j];
        return sum;
    }

    /**
     * A lane-wise select: the scalar loop's branch on the sign of x mispredicts half the time on activations (5 ns
     * per element measured in a T5 step, against 0.6 for its forward).
     */
    @Override public void reluBackward(float[] x, float[] dy, float[] dx, int n) {
        int full = S.loopBound(n);
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < full; i += L) {
            FloatVector xv = FloatVector.fromArray(S, x, i);
            zero.blend(FloatVector.fromArray(S, dy, i), xv.compare(VectorOperators.GT, 0f)).intoArray(dx, i);
        }
        scalar.reluBackward(x, dy, dx, full, n);
    }

    @Override public void swiglu(float[] g, float[] u, float[] h, int n) {
        int full = S.loopBound(n);
        for (int i = 0; i < full; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, i);
            FloatVector sig = sigmoid(gv);
            gv.mul(sig).mul(FloatVector.fromArray(S, u, i)).intoArray(h, i);
        }
        scalar.swiglu(g, u, h, full, n);
    }

    @Override public void swigluBackward(float[] g, float[] u, float[] dh, float[] dg, float[] du, int n) {
        int full = S.loopBound(n);
        for (int i = 0; i < full; i += L) {
            FloatVector gv = FloatVector.fromArray(S, g, i), uv = FloatVector.fromArray(S, u, i), dv = FloatVector.fromArray(S, dh, i);
            FloatVector sig = sigmoid(gv);
            // sig (1 + g (1 - sig)), as the scalar loops
            FloatVector dsilu = sig.mul(gv.mul(sig.neg().add(1f)).add(1f));
            dv.mul(uv).mul(dsilu).intoArray(dg, i);
            dv.mul(gv.mul(sig)).intoArray(du, i);
        }
        scalar.swigluBackward(g, u, dh, dg, du, full, n);
    }

    /** The lanes of v added in lane order, in float (L - 1 roundings; the same bits compiled or interpreted). */
    private static float sumLanes(FloatVector v) {
        float[] lanes = v.toArray();
        float s = lanes[0];
        for (int i = 1; i < lanes.length; i++) s += lanes[i];
        return s;
    }

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split for Cody-Waite: C1 has 9 significant bits, so n C1 is exact for |n| < 2^15; C1 + C2 = ln 2 to 2^-32. */
    private static final float LN2_C1 = 0.693359375f, LN2_C2 = -2.12194440e-4f;
    /** 1.5 * 2^23: adding it rounds a float in (-2^22, 2^22) to an integer in its low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    /** Cephes' expf minimax polynomial: e^r = 1 + r + r^2 P(r) on |r| <= ln2 / 2. */
    private static final float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f,
            P3 = 4.1665795894e-2f, P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;

    /**
     * e^x lane-wise from exactly rounded operations only (deterministic; see the class comment): n = rint(x log2 e)
     * by the 1.5 * 2^23 rounding trick, r = x - n ln2 by two fused Cody-Waite steps, e^r by Cephes' degree-5 minimax
     * expf polynomial (relative error about 1.2e-7 on |r| <= ln2 / 2 as published), then times 2^n, formed as
     * 2^(n/2) 2^(n - n/2) so that each factor is a normal float and only a subnormal result rounds. In all, below
     * 3u = 1.8e-7 relative ({@code InnerLoopsTest} checks it against {@link Math#exp} over the whole float range).
     * x above 88.72 gives +Infinity, below -103.98 (e^x under half the smallest subnormal) 0; NaN stays NaN.
     */
    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(LOG2E, ROUNDER);            // x log2 e + 1.5 * 2^23, one rounding: rint in the low bits
        FloatVector n = t.sub(ROUNDER);                    // exact
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_C1), x); // x - n C1, exact
        r = n.fma(FloatVector.broadcast(S, -LN2_C2), r);  // - n C2: |r| <= ln2 / 2 plus a rounding
        FloatVector y = r.fma(P0, P1);
        y = y.fma(r, FloatVector.broadcast(S, P2));
        y = y.fma(r, FloatVector.broadcast(S, P3));
        y = y.fma(r, FloatVector.broadcast(S, P4));
        y = y.fma(r, FloatVector.broadcast(S, P5));
        FloatVector er = y.fma(r.mul(r), r.add(1f));      // 1 + r + r^2 P(r)
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector e = er.mul(s1).mul(s2);
        e = e.blend(Float.POSITIVE_INFINITY, x.compare(VectorOperators.GT, EXP_MAX_ARG));
        return e.blend(0f, x.compare(VectorOperators.LT, EXP_MIN_ARG));
    }

    /** e^x overflows float above this (ln of Float.MAX_VALUE) and rounds to 0 below that (ln 2^-150). */
    private static final float EXP_MAX_ARG = 88.72283f, EXP_MIN_ARG = -103.97208f;

    /** 1 / (1 + e^-g) lane-wise: 5 roundings (see the class comment). */
    private static FloatVector sigmoid(FloatVector g) {
        FloatVector onePlusE = exp(g.neg()).add(1f);
        return FloatVector.broadcast(S, 1f).div(onePlusE);
    }
}
