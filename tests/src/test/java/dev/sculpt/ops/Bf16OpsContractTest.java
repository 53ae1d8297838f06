package dev.sculpt.ops;

import static dev.sculpt.FloatBounds.gamma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bf16 part of the {@link Ops} contract on every provider present: {@link Ops#convert} bit for bit against
 * {@link Bf16} (round to nearest even, NaN kept, overflow to Inf, exact widening), and {@link Ops#gemm} with bf16
 * operands against a float64 product of the rounded inputs.
 *
 * <p>Why the gemm tolerance is float32's and not bf16's: a bf16 value has 8 significant bits, so the product of two
 * is exact in float32 (16 <= 24 bits) and widening is exact; the only error left is the float32 accumulation of k
 * exact products, times alpha, plus beta c: at most k + 3 roundings, {@code gamma(k + 3) (|alpha| sum |a b| + |beta c|)}
 * (Higham, ch. 3), against a reference computed from the bf16-rounded operands. A product of the unrounded float32
 * operands would differ by about {@code 2 * 2^-8 sum |a b|} instead, which the test also checks is not what it gets
 * when the inputs are not bf16-exact (so a provider that ignored the dtype would fail).
 */
class Bf16OpsContractTest {
    static Stream<String> providers() {
        return OpsProviders.present().stream();
    }

    private static final class Ctx implements AutoCloseable {
        final Ops ops;
        final long seed = System.nanoTime();
        final Random rnd = new Random(seed);
        final List<Tensor> tensors = new ArrayList<>();

        Ctx(String provider) { ops = OpsProviders.create(provider); }

        float[] values(int n) {
            float[] a = new float[n];
            for (int i = 0; i < n; i++) {
                double m = 0.1 + 0.9 * rnd.nextDouble();
                a[i] = (float) (rnd.nextBoolean() ? m : -m);
            }
            return a;
        }

        Tensor put(String name, float[] values) {
            Tensor host = Tensor.ofHost(name, values, values.length);
            if (ops.device() == Device.HOST) {
                tensors.add(host);
                return host;
            }
            Tensor t = ops.upload(host, name);
            host.close();
            tensors.add(t);
            return t;
        }

        /** A bf16 tensor of the provider holding {@code values} rounded (converted on the provider). */
        Tensor putBf16(String name, float[] values) {
            Tensor f = put(name + " (float32)", values);
            Tensor b = ops.allocate(name, DType.BF16, values.length);
            tensors.add(b);
            ops.convert(f, b);
            return b;
        }

        float[] get(Tensor t) {
            if (t.isHost()) return t.toArray();
            try (Tensor h = ops.download(t, t.name() + " (host)")) {
                return h.toArray();
            }
        }

        /** A bf16 tensor's values widened to float32 on the provider, then read. */
        float[] getBf16(Tensor t) {
            try (Tensor f = ops.allocate(t.name() + " (widened)", (int) t.size())) {
                ops.convert(t, f);
                return get(f);
            }
        }

        String where(String what) { return ops.name() + ": " + what + " (seed " + seed + ")"; }

        @Override public void close() {
            for (Tensor t : tensors) t.close();
            ops.close();
        }
    }

    // ------------------------------------------------------------------ convert

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void convertRoundsToNearestEvenBitForBitAndWidensExactly(String provider) {
        try (Ctx c = new Ctx(provider)) {
            List<Float> v = new ArrayList<>();
            // special values: zeros, infinities, NaNs (quiet, and one whose top 7 mantissa bits are zero), the largest
            // float (rounds to Inf), the largest finite bf16, ties to even both ways, subnormals
            for (float f : new float[] {0f, -0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
                    Float.intBitsToFloat(0x7f800001), Float.intBitsToFloat(0xffc12345), Float.MAX_VALUE,
                    Float.intBitsToFloat(0x7f7f0000), Float.intBitsToFloat(0x3f808000), Float.intBitsToFloat(0x3f818000),
                    Float.intBitsToFloat(0x3f807fff), Float.MIN_VALUE, Float.intBitsToFloat(0x00018000), 1f, -1f}) {
                v.add(f);
            }
            // random bit patterns over the whole float32 range (exponents of every size), and ordinary values
            for (int i = 0; i < 3000; i++) v.add(Float.intBitsToFloat(c.rnd.nextInt()));
            for (float f : c.values(1000)) v.add(f);
            float[] x = new float[v.size()];
            for (int i = 0; i < x.length; i++) x[i] = v.get(i);
            Tensor b = c.putBf16("x bf16", x);
            float[] got = c.getBf16(b);
            for (int i = 0; i < x.length; i++) {
                float want = Bf16.round(x[i]);
                int gotBits = Float.floatToRawIntBits(got[i]), wantBits = Float.floatToRawIntBits(want);
                if (gotBits != wantBits) {
                    fail(c.where("convert of " + x[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x[i]))
                            + ") gave 0x" + Integer.toHexString(gotBits) + ", expected 0x" + Integer.toHexString(wantBits)));
                }
                if (Float.isNaN(x[i])) assertTrue(Float.isNaN(got[i]), c.where("NaN must stay NaN at " + i));
                // the analysis the rest of bf16 mode leans on: relative rounding error <= 2^-8 in the normal range
                if (Float.isFinite(got[i]) && Math.abs(x[i]) >= 0x1p-126f) {
                    assertTrue(Math.abs((double) got[i] - x[i]) <= Bf16.UNIT_ROUNDOFF * Math.abs((double) x[i]),
                            c.where("rounding of " + x[i] + " to " + got[i] + " exceeds 2^-8 relative"));
                }
            }
            // widening is exact: bf16 -> float32 -> bf16 is the identity on every value
            Tensor again = c.ops.allocate("x bf16 again", DType.BF16, x.length);
            c.tensors.add(again);
            Tensor wide = c.put("x widened", got);
            c.ops.convert(wide, again);
            float[] twice = c.getBf16(again);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(got[i]), Float.floatToRawIntBits(twice[i]), c.where("round trip at " + i));
            }
        }
    }

    // ------------------------------------------------------------------ gemm

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void gemmWithBf16OperandsAccumulatesInFloat32(String provider) {
        try (Ctx c = new Ctx(provider)) {
            int batch = 3, m = 4, n = 5, k = 37;
            for (int types = 1; types < 4; types++) for (int ta = 0; ta < 2; ta++) for (int tb = 0; tb < 2; tb++)
                for (float beta : new float[] {0f, 0.75f}) {
                boolean aBf16 = (types & 1) != 0, bBf16 = (types & 2) != 0, transA = ta == 1, transB = tb == 1;
                int aRows = transA ? k : m, aCols = transA ? m : k, bRows = transB ? n : k, bCols = transB ? k : n;
                int lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
                long aOff = 5, bOff = 2, cOff = 7;
                long sA = (long) aRows * lda + 3, sB = (long) bRows * ldb + 1, sC = (long) m * ldc + 2;
                float[] av = c.values((int) (aOff + batch * sA)), bv = c.values((int) (bOff + batch * sB));
                float[] cv = c.values((int) (cOff + batch * sC));
                if (beta == 0f) java.util.Arrays.fill(cv, Float.NaN);
                float alpha = 1.25f;
                Tensor a = aBf16 ? c.putBf16("A", av) : c.put("A", av);
                Tensor b = bBf16 ? c.putBf16("B", bv) : c.put("B", bv);
                Tensor cc = c.put("C", cv);
                c.ops.gemm(transA, transB, batch, m, n, k, alpha, a, aOff, lda, sA, b, bOff, ldb, sB, beta, cc, cOff, ldc, sC);
                float[] got = c.get(cc);
                String what = c.where("gemm A " + a.dtype() + " B " + b.dtype() + " transA=" + transA + " transB=" + transB
                        + " beta=" + beta);
                boolean[] inside = new boolean[cv.length];
                double worstVsUnrounded = 0;
                for (int bi = 0; bi < batch; bi++) {
                    for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                        double s = 0, abs = 0, unrounded = 0;
                        for (int p = 0; p < k; p++) {
                            float xa = av[(int) (aOff + bi * sA + (transA ? (long) p * lda + i : (long) i * lda + p))];
                            float xb = bv[(int) (bOff + bi * sB + (transB ? (long) j * ldb + p : (long) p * ldb + j))];
                            double x = aBf16 ? Bf16.round(xa) : xa, y = bBf16 ? Bf16.round(xb) : xb;
                            s += x * y;
                            abs += Math.abs(x * y);
                            unrounded += (double) xa * xb;
                        }
                        int ci = (int) (cOff + bi * sC + (long) i * ldc + j);
                        inside[ci] = true;
                        double old = beta == 0f ? 0 : beta * (double) cv[ci];
                        double want = alpha * s + old;
                        double tol = gamma(k + 3) * (Math.abs(alpha) * abs + Math.abs(old));
                        double err = Math.abs(got[ci] - want);
                        if (!(err <= tol)) fail(what + ": C[" + ci + "] = " + got[ci] + ", expected " + want + " within " + tol);
                        worstVsUnrounded = Math.max(worstVsUnrounded, Math.abs(got[ci] - (alpha * unrounded + old)) / tol);
                    }
                }
                for (int i = 0; i < cv.length; i++) {
                    if (!inside[i] && Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(cv[i])) {
                        fail(what + ": element " + i + " outside the C matrices changed to " + got[i]);
                    }
                }
                // the random inputs are not bf16-exact: ignoring the dtype (multiplying unrounded values) would show
                assertTrue(worstVsUnrounded > 1, what + ": the product matches the unrounded operands too closely ("
                        + worstVsUnrounded + " of the tolerance)");
            }
        }
    }

    // ------------------------------------------------------------------ refusals

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void everyOtherOpRefusesABf16TensorNamingIt(String provider) {
        try (Ctx c = new Ctx(provider)) {
            Tensor f = c.put("plain", c.values(4));
            Tensor b = c.putBf16("compute copy", c.values(4));
            SculptException e = assertThrows(SculptException.class, () -> c.ops.axpy(1f, b, f));
            assertTrue(e.getMessage().contains("compute copy") && e.getMessage().contains("bf16"), e.getMessage());
            e = assertThrows(SculptException.class, () -> c.ops.sumOfSquares(b));
            assertTrue(e.getMessage().contains("compute copy"), e.getMessage());
            e = assertThrows(SculptException.class, () -> c.ops.copy(f, b));
            assertTrue(e.getMessage().contains("compute copy"), e.getMessage());
            // gemm's C must be float32
            e = assertThrows(SculptException.class,
                    () -> c.ops.gemm(false, false, 1, 2, 2, 2, 1f, f, 0, 2, 0, f, 0, 2, 0, 0f, b, 0, 2, 0));
            assertTrue(e.getMessage().contains("compute copy"), e.getMessage());
            // convert needs different dtypes and equal sizes
            e = assertThrows(SculptException.class, () -> c.ops.convert(f, c.put("other", c.values(4))));
            assertTrue(e.getMessage().contains("plain"), e.getMessage());
            Tensor small = c.ops.allocate("too small", DType.BF16, 3);
            c.tensors.add(small);
            e = assertThrows(SculptException.class, () -> c.ops.convert(f, small));
            assertTrue(e.getMessage().contains("too small"), e.getMessage());
        }
    }

    @org.junit.jupiter.api.Test
    void hostFloatAccessorsRefuseABf16Tensor() {
        try (Tensor t = Tensor.allocateHost("weights bf16", DType.BF16, 2, 3)) {
            assertEquals(12, t.bytes());
            SculptException e = assertThrows(SculptException.class, t::toArray);
            assertTrue(e.getMessage().contains("weights bf16"), e.getMessage());
            assertEquals(6, t.hostBf16Buffer().capacity());
            try (Tensor v = t.view("row 1", 3, 3)) {
                assertEquals(DType.BF16, v.dtype());
                assertEquals(t.hostAddress(3), v.hostAddress(0));
            }
        }
    }
}
