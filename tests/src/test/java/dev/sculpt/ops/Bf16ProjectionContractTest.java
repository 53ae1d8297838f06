package dev.sculpt.ops;

import static dev.sculpt.FloatBounds.gamma;
import static dev.sculpt.ops.OpsReference.abs;
import static dev.sculpt.ops.OpsReference.mul;
import static dev.sculpt.ops.OpsReference.orthonormal;
import static dev.sculpt.ops.OpsReference.toDouble;
import static dev.sculpt.ops.OpsReference.toFloat;
import static dev.sculpt.ops.OpsReference.transpose;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#project} with both bases bf16, on every provider present: each product on bf16 operands (the update, or
 * the intermediate a product reads, rounded to bf16 just before it), float32 accumulation. Against the float64
 * projection of the unrounded update with the stored (bf16-exact) bases, element by element:
 * <ul>
 *   <li>each rounding q(x) = x + e, |e| <= u_b |x| (u_b = 2^-8), reaches the result through the products after it,
 *   whose absolute values bound it: a left removal {@code D - U q(U^T q(D))} is off by at most
 *   {@code u_b (2 + u_b) |U| |U|^T |D|}; a right removal likewise with {@code |D1| |V| |V|^T}, where
 *   {@code |D1| <= |D| + (1 + u_b)^2 |U| |U|^T |D|} is the left removal's result; the left removal's error passes
 *   through the right removal's {@code I - V V^T}, at most {@code |.| (I + |V| |V|^T)}; the high block's four
 *   roundings each at most {@code u_b (1 + u_b)^3 |U| |U|^T |D| |V| |V|^T};</li>
 *   <li>plus the float32 accumulation of the products, as {@code OpsContractTest.projectionEveryMode} bounds it, on
 *   operands up to (1 + u_b) times larger and a left result up to |D| + (1 + u_b)^2 |U| |U|^T |D| (hence the factor
 *   1 + (1 + u_b)^2 on the products' terms).</li>
 * </ul>
 * And the products really read bf16 operands: the result differs from the float32 projection with the same
 * (widened) bases by far more than float32 rounding, since the random update is not bf16-exact.
 */
class Bf16ProjectionContractTest {
    private static final double UB = Bf16.UNIT_ROUNDOFF;

    static Stream<String> providers() {
        return OpsProviders.present().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void everyModeIsWithinItsRoundingBoundsOfTheExactProjection(String provider) {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int rows = 24, cols = 20, k = 6;
        List<Tensor> owned = new ArrayList<>();
        try (Ops ops = OpsProviders.create(provider)) {
            try {
                float[] uf = toFloat(orthonormal(rnd, rows, k)), vf = toFloat(orthonormal(rnd, cols, k));
                float[] ub = new float[uf.length], vb = new float[vf.length];
                for (int i = 0; i < uf.length; i++) ub[i] = Bf16.round(uf[i]);
                for (int i = 0; i < vf.length; i++) vb[i] = Bf16.round(vf[i]);
                Tensor uq = bf16(ops, owned, "U", uf, rows, k), vq = bf16(ops, owned, "V", vf, cols, k);
                Tensor uw = put(ops, owned, "U widened", ub, rows, k), vw = put(ops, owned, "V widened", vb, cols, k);
                double[] u = toDouble(ub), v = toDouble(vb), au = abs(u), av = abs(v);
                double[] aut = transpose(au, rows, k), avt = transpose(av, cols, k);
                for (ProjectionMode mode : ProjectionMode.values()) {
                    float[] dv = new float[rows * cols];
                    for (int i = 0; i < dv.length; i++) dv[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * (0.1 + rnd.nextDouble()));
                    Tensor d = put(ops, owned, "update", dv, rows, cols), d32 = put(ops, owned, "update (float32 path)", dv, rows, cols);
                    ops.project(d, uq, vq, mode);
                    ops.project(d32, uw, vw, mode);   // the same bases as float32 tensors: the float32 products
                    float[] got = get(ops, d), got32 = get(ops, d32);
                    double[] dd = toDouble(dv), ad = abs(dd);
                    double[] ud1 = mul(transpose(u, rows, k), dd, k, rows, cols);
                    double[] left = mul(u, ud1, rows, k, cols);
                    double[] right = mul(mul(dd, v, rows, cols, k), transpose(v, cols, k), rows, k, cols);
                    double[] both = mul(mul(u, mul(ud1, v, k, cols, k), rows, k, k), transpose(v, cols, k), rows, k, cols);
                    double[] aL = mul(au, mul(aut, ad, k, rows, cols), rows, k, cols);           // |U||U|^T|D|
                    double[] aR = mul(mul(ad, av, rows, cols, k), avt, rows, k, cols);           // |D||V||V|^T
                    double[] aLR = mul(mul(aL, av, rows, cols, k), avt, rows, k, cols);          // |U||U|^T|D||V||V|^T
                    double leftErr = UB * (2 + UB), d1 = (1 + UB) * (1 + UB);
                    String what = provider + ": bf16 projection " + mode + " (seed " + seed + ")";
                    double worstVsFloat32 = 0;
                    for (int i = 0; i < dd.length; i++) {
                        double want = switch (mode) {
                            case LEFT -> dd[i] - left[i];
                            case RIGHT -> dd[i] - right[i];
                            case TWO_SIDED -> dd[i] - left[i] - right[i] + both[i];
                            case HIGH_BLOCK -> dd[i] - both[i];
                        };
                        double rounding = switch (mode) {
                            case LEFT -> leftErr * aL[i];
                            case RIGHT -> leftErr * aR[i];
                            // the left removal's error through I - V V^T, then the right removal's on |D1| <= |D| + d1 |U||U|^T|D|
                            case TWO_SIDED -> leftErr * (aL[i] + aLR[i]) + leftErr * (aR[i] + d1 * aLR[i]);
                            case HIGH_BLOCK -> 4 * UB * Math.pow(1 + UB, 3) * aLR[i];
                        };
                        double float32 = gamma(2 * (rows + cols + k) + 8) * (ad[i] + (1 + d1) * (aL[i] + aR[i] + aLR[i]));
                        double tol = rounding + float32;
                        if (!(Math.abs(got[i] - want) <= tol)) fail(what + ": element " + i + " = " + got[i] + ", expected " + want + " within " + tol);
                        worstVsFloat32 = Math.max(worstVsFloat32, Math.abs(got[i] - got32[i]) / float32);
                    }
                    assertTrue(worstVsFloat32 > 1, what + ": indistinguishable from the float32 products (" + worstVsFloat32
                            + " of float32's bound): the operands were not rounded to bf16");
                }
            } finally {
                for (Tensor t : owned) t.close();
            }
        }
    }

    private static Tensor put(Ops ops, List<Tensor> owned, String name, float[] values, int rows, int cols) {
        Tensor host = Tensor.ofHost(name, values, rows, cols);
        if (ops.device() == Device.HOST) {
            owned.add(host);
            return host;
        }
        try (host) {
            Tensor t = ops.upload(host, name);
            owned.add(t);
            return t;
        }
    }

    private static Tensor bf16(Ops ops, List<Tensor> owned, String name, float[] values, int rows, int cols) {
        Tensor f = put(ops, owned, name + " (float32)", values, rows, cols);
        Tensor b = ops.allocate(name, DType.BF16, rows, cols);
        owned.add(b);
        ops.convert(f, b);
        return b;
    }

    private static float[] get(Ops ops, Tensor t) {
        if (t.isHost()) return t.toArray();
        try (Tensor h = ops.download(t, t.name() + " (host)")) {
            return h.toArray();
        }
    }
}
