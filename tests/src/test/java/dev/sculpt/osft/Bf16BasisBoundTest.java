package dev.sculpt.osft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.ops.DType;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import dev.sculpt.tensor.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bf16 protected bases ({@link SubspaceGuard.Builder#basisPrecision}) on every provider present: the stored bases'
 * measured departure from orthonormality is within the a-priori {@code 2 u_b sqrt(k) + u_b^2 k} (u_b = 2^-8) on top of
 * the float32 decomposition's own, every recorded invariant check stays within its recorded bound (the class comment
 * of {@link SubspaceGuard}), the bound is bf16's (larger than the float32 guard's, yet far below 1), and the leak is
 * really larger with bf16 bases (so they are used). Random dense updates of fixed size play AdamW's; W, D fresh random.
 */
class Bf16BasisBoundTest {
    static Stream<String> providers() {
        return OpsProviders.present().stream();
    }

    private record Result(List<InvariantResidual> checks, double[] defects, double expected) {}

    private static Tensor put(Ops ops, String name, float[] v, int r, int c) {
        Tensor h = Tensor.ofHost(name, v, r, c);
        if (ops.device() == Device.HOST) return h;
        try (h) {
            return ops.upload(h, name);
        }
    }

    private static Result run(Ops ops, DType basis, long seed, int m, int n, int k, int steps) {
        Random rnd = new Random(seed);
        float[] w0 = new float[m * n];
        for (int i = 0; i < w0.length; i++) w0[i] = (float) rnd.nextGaussian();
        List<InvariantResidual> checks = new ArrayList<>();
        try (Tensor w = put(ops, "W", w0, m, n);
             SubspaceGuard g = SubspaceGuard.builder().ops(ops).basisPrecision(basis).checkEvery(1).build()) {
            g.register("W", w, k);
            g.protect();
            double[] defects = g.orthonormalityDefects("W");
            for (int s = 1; s <= steps; s++) {
                float[] d = new float[m * n];
                for (int i = 0; i < d.length; i++) d[i] = (float) (1e-2 * rnd.nextGaussian());
                try (Tensor dt = put(ops, "D", d, m, n)) {
                    g.project("W", dt);
                    ops.axpy(1f, dt, w);
                }
                g.afterStep(s);
            }
            checks.addAll(g.residualHistory());
            return new Result(checks, defects, g.expectedOrthonormalityDefect(k));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providers")
    void bf16BasesLeakWithinTheRecordedBound(String provider) {
        long seed = System.nanoTime();
        int m = 48, n = 40, k = 12, steps = 15;
        Result f, b;
        try (Ops ops = OpsProviders.create(provider)) {
            f = run(ops, DType.FLOAT32, seed, m, n, k, steps);
            b = run(ops, DType.BF16, seed, m, n, k, steps);
        }
        String where = provider + " (seed " + seed + ")";
        assertEquals(steps, b.checks().size(), where);
        // measured defect: the float32 basis's own plus the a-priori bf16 rounding term (to first order)
        for (int side = 0; side < 2; side++) {
            double allowed = f.defects()[side] + b.expected() * (1 + f.defects()[side]);
            assertTrue(b.defects()[side] <= allowed, where + ": bf16 basis defect " + b.defects()[side] + " > " + allowed);
            assertTrue(b.defects()[side] > 10 * f.defects()[side], where + ": the stored basis is not bf16-rounded ("
                    + b.defects()[side] + " vs float32 " + f.defects()[side] + ")");
        }
        double worstF = 0, worstB = 0;
        for (Result r : List.of(f, b)) {
            for (InvariantResidual x : r.checks()) {
                double promised = Math.max(x.left(), x.right());
                assertTrue(promised <= x.bound(), where + ": " + x + " exceeds its bound");
                assertTrue(x.relBound() < 0.1, where + ": the bound is vacuous: " + x);
            }
        }
        for (int i = 0; i < steps; i++) {
            assertTrue(f.checks().get(i).bound() < b.checks().get(i).bound(), where + ": bf16's bound is the larger");
            worstF = Math.max(worstF, f.checks().get(i).relLeft());
            worstB = Math.max(worstB, b.checks().get(i).relLeft());
        }
        assertTrue(worstB > 10 * worstF, where + ": bf16 bases leak more than float32 ones (" + worstB + " vs " + worstF + ")");
        System.out.printf("%s: defects f32 %s bf16 %s (a priori %.3g); worst rel. left residual f32 %.3g bf16 %.3g; last bound %.3g / %.3g%n",
                provider, java.util.Arrays.toString(f.defects()), java.util.Arrays.toString(b.defects()), b.expected(), worstF, worstB,
                f.checks().get(steps - 1).relBound(), b.checks().get(steps - 1).relBound());
    }
}
