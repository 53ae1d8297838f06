package dev.sculpt.osft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.SculptException;
import dev.sculpt.backend.Backends;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The guard's W0-free invariant check on every ops provider present, against a float64 reference computed from W0
 * itself: {@code ||U_h^T (W - W0)||_F}, {@code ||(W - W0) V_h||_F} and {@code ||U_h^T (W - W0) V_h||_F} with D
 * formed in double from the float32 W and W0 and the guard's own float32 bases.
 *
 * <p>Tolerances are the cancellation floor derived in {@link SubspaceGuard}'s comment: each entry of the computed
 * {@code U_h^T W - (U_h^T W0)} is within {@code gamma_{m+1} (||W_{:,c}|| + ||W0_{:,c}||)} of the exact one
 * (Cauchy-Schwarz with a unit column of U_h, two float32 sums of m products and one subtraction), so the Frobenius
 * norm is within {@code gamma_{m+1} sqrt(k) (||W||_F + ||W0||_F)}; right side with gamma_{n+1}; the block adds
 * {@code gamma_n sqrt(k)} times the computed left residual. Columns of the float32-rounded bases have norms within
 * {@code sqrt(m) u} of 1, covered by the factor {@link #BASIS}.
 */
class GuardInvariantOnProviderTest {
    private static final double U = FloatBounds.U;
    /** 1 + the largest deviation of a float32-rounded unit column's norm (sqrt(64) u), with room for ||V||_2. */
    private static final double BASIS = 1 + 8 * 8 * U;

    private static float[] gaussian(Random r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * sd);
        return v;
    }

    /** One test per provider present here, named by the provider. */
    @TestFactory
    Stream<DynamicTest> residualsMatchAFloat64ReferenceWithinTheDerivedFloorAndALeakShows() {
        return OpsProviders.present().stream().map(provider -> DynamicTest.dynamicTest(provider, () -> {
            try (Ops ops = OpsProviders.create(provider)) {
                check(ops);
            }
        }));
    }

    private static void check(Ops ops) {
        Random rnd = new Random(31);
        int m = 40, n = 24, k = 9;
        float[] w0 = gaussian(rnd, m * n, 1);
        String where = "provider " + ops.name();
        try (Tensor host = Tensor.ofHost("w host", w0, m, n);
             Tensor w = ops.upload(host, "w");
             SubspaceGuard guard = SubspaceGuard.builder().backend(Backends.cpu()).ops(ops).checkEvery(1).build()) {
            guard.register("w", w, k);
            guard.protect();
            ProtectedBasis basis = guard.basis("w");
            assertEquals(k, basis.leftRank(), where);

            // projected training-like updates: the invariant is at the floor
            double deltaNorms = 0;
            for (int step = 1; step <= 4; step++) {
                float[] delta = gaussian(rnd, m * n, 0.1);
                for (float e : delta) deltaNorms += e * e;
                try (Tensor dh = Tensor.ofHost("delta host", delta, m, n);
                     Tensor d = ops.upload(dh, "delta")) {
                    guard.project("w", d);
                    ops.axpy(1f, d, w);
                }
                guard.afterStep(step);
                compare(guard.residuals().get("w"), download(ops, w), w0, basis, m, n, k, where + ", step " + step);
            }
            double floor = 2 * Math.sqrt(k) * FloatBounds.gamma(m + 1) * BASIS;
            InvariantResidual projected = guard.residuals().get("w");
            // plus what the float32 projections themselves leave: per update at most about 2 gamma_{m+k} k ||delta||_F
            // (two products of m and k terms per side, k basis columns), and over T = 4 steps
            // sum_t ||delta_t|| <= sqrt(T) sqrt(sum_t ||delta_t||^2) (Cauchy-Schwarz)
            double projection = 2 * FloatBounds.gamma(m + k) * k * 2 * Math.sqrt(deltaNorms) / projected.weightNorm();
            assertTrue(projected.relLeft() <= floor + projection && projected.relRight() <= floor + projection,
                    where + ": projected updates leave " + projected + " (bound " + (floor + projection) + ")");

            // a deliberate leak into the protected subspace, applied without projection: W += s u_1 x^T
            float[] leak = new float[m * n];
            float[] x = gaussian(rnd, n, 1);
            double xn = 0;
            for (float xi : x) xn += xi * xi;
            double s = 0.05 * projected.weightNorm() / Math.sqrt(xn);
            float[] u = basis.u();
            for (int r = 0; r < m; r++) for (int c = 0; c < n; c++) leak[r * n + c] = (float) (s * u[r * k] * x[c]);
            try (Tensor lh = Tensor.ofHost("leak host", leak, m, n); Tensor l = ops.upload(lh, "leak")) {
                ops.axpy(1f, l, w);
            }
            InvariantResidual leaked = guard.checkInvariant(5).get(0);
            compare(leaked, download(ops, w), w0, basis, m, n, k, where + ", leak");
            // the leak is 5% of ||W|| along u_1: about 0.05 relative, far above the floor (< 1e-4 here)
            assertTrue(leaked.relLeft() > 0.04 && leaked.relLeft() > 100 * floor, where + ": leak not seen: " + leaked);
        }
    }

    private static void compare(InvariantResidual got, float[] w, float[] w0, ProtectedBasis b, int m, int n, int k, String where) {
        double[][] d = new double[m][n];
        double wn = 0, w0n = 0;
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                d[r][c] = (double) w[r * n + c] - w0[r * n + c];
                wn += (double) w[r * n + c] * w[r * n + c];
                w0n += (double) w0[r * n + c] * w0[r * n + c];
            }
        }
        wn = Math.sqrt(wn);
        w0n = Math.sqrt(w0n);
        double[][] u = SubspaceGuardTest.toD(b.u(), m, k), v = SubspaceGuardTest.toD(b.v(), n, k);
        double[][] left = ReferenceBackend.mulTn(u, d);
        double[][] right = ReferenceBackend.mul(d, v);
        double[][] block = ReferenceBackend.mul(left, v);
        double leftRef = SubspaceGuardTest.fro(left), rightRef = SubspaceGuardTest.fro(right), blockRef = SubspaceGuardTest.fro(block);
        double scale = (wn + w0n) * Math.sqrt(k) * BASIS;
        double leftTol = FloatBounds.gamma(m + 1) * scale;
        double rightTol = FloatBounds.gamma(n + 1) * scale;
        double blockTol = leftTol * BASIS + FloatBounds.gamma(n) * Math.sqrt(k) * got.left() * BASIS;
        assertEquals(leftRef, got.left(), leftTol, where + ": ||U^T (W - W0)||");
        assertEquals(rightRef, got.right(), rightTol, where + ": ||(W - W0) V||");
        assertEquals(blockRef, got.block(), blockTol, where + ": ||U^T (W - W0) V||");
        // ||W||_F: float32 values squared and summed in double (relative error below m n 2^-53)
        assertEquals(wn, got.weightNorm(), 1e-12 * wn, where + ": ||W||");
    }

    private static float[] download(Ops ops, Tensor t) {
        try (Tensor h = ops.download(t, t.name() + " (check)")) {
            return h.toArray();
        }
    }

    @Test
    void weightsOffTheGuardsProviderAreRefusedByName() {
        List<String> present = OpsProviders.present();
        try (Ops ops = OpsProviders.create(present.get(present.size() - 1));
             SubspaceGuard guard = SubspaceGuard.builder().ops(ops).build();
             Tensor vector = ops.allocate("bias", 8)) {
            SculptException e = assertThrows(SculptException.class, () -> guard.register("b", vector, 1));
            assertTrue(e.getMessage().contains("bias") && e.getMessage().contains("not a matrix"), e.getMessage());
            if (ops.device() != dev.sculpt.tensor.Device.HOST) {
                try (Tensor host = Tensor.allocateHost("host weights", 4, 3)) {
                    e = assertThrows(SculptException.class, () -> guard.register("h", host, 1));
                    assertTrue(e.getMessage().contains("host weights") && e.getMessage().contains(ops.name()), e.getMessage());
                }
            }
        }
    }
}
