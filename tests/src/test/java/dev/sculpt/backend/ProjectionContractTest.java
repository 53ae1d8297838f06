package dev.sculpt.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.tensor.MatrixBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The projection contract of every backend: equality with a float64 dense reference of each mode's
 * formula (written out term by term, independent of how a backend factors it), idempotence, and the
 * annihilation each mode promises (U^T P(D) = 0, P(D) V = 0, U^T P(D) V = 0). Batches of three matrices
 * with random orthonormal bases (rounded to float) and Gaussian updates, fresh each run.
 */
class ProjectionContractTest {
    /**
     * Each element of P(D) in float32 chains the products U^T D, D V, U^T D V and their expansions: at most
     * N = m + n + 2k roundings, so it is within FloatBounds.probable(N) (~1e-5 for N = 250) of the same formula
     * evaluated on absolute values (the scale of the terms summed, {@link #termScale}). A projection that misses
     * a term is off by that term, O(1) of the update.
     */
    static double elementBound(int m, int n, int k) {
        return FloatBounds.probable(m + n + 2 * k);
    }

    static Stream<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (Backend b : Backends.available()) {
            for (ProjectionMode mode : ProjectionMode.values()) {
                l.add(Arguments.of(Named.of(b.name(), b), mode, 120, 90, 15));
                l.add(Arguments.of(Named.of(b.name(), b), mode, 70, 130, 20));
            }
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}x{3} k={4}")
    @MethodSource("cases")
    void projectionMatchesFloat64Reference(Backend backend, ProjectionMode mode, int m, int n, int k) {
        long seed = new SplittableRandom().nextLong();
        String ctx = mode + " " + m + "x" + n + " k=" + k + " on " + backend.name() + " (seed " + seed + ")";
        SplittableRandom rnd = new SplittableRandom(seed);
        int count = 3;
        DenseF64[] d = new DenseF64[count];
        DenseF64[] u = new DenseF64[count];
        DenseF64[] v = new DenseF64[count];
        try (MatrixBatch dh = MatrixBatch.allocateHost(count, m, n).withNames("w0", "w1", "w2");
             MatrixBatch uh = MatrixBatch.allocateHost(count, m, k);
             MatrixBatch vh = MatrixBatch.allocateHost(count, n, k)) {
            for (int b = 0; b < count; b++) {
                d[b] = DenseF64.gaussian(m, n, rnd).roundedToFloat();
                u[b] = DenseF64.randomOrthonormal(m, k, rnd).roundedToFloat();
                v[b] = DenseF64.randomOrthonormal(n, k, rnd).roundedToFloat();
                d[b].into(dh, b);
                u[b].into(uh, b);
                v[b].into(vh, b);
            }
            try (MatrixBatch dd = backend.upload(dh); MatrixBatch ud = backend.upload(uh); MatrixBatch vd = backend.upload(vh)) {
                backend.project(dd, ud, vd, mode);
                DenseF64[] once = new DenseF64[count];
                try (MatrixBatch p1 = backend.download(dd)) {
                    for (int b = 0; b < count; b++) once[b] = DenseF64.of(p1, b);
                }
                backend.project(dd, ud, vd, mode);
                try (MatrixBatch p2 = backend.download(dd)) {
                    double rel = elementBound(m, n, k);
                    for (int b = 0; b < count; b++) {
                        DenseF64 ref = reference(mode, d[b], u[b], v[b]);
                        DenseF64 bound = termScale(mode, d[b], u[b], v[b]).times(rel);
                        assertWithin(once[b], ref, bound, "matrix " + b + ": P(D) vs the float64 reference: " + ctx);
                        // P(P(D)) = P(D) exactly; in float32 the second pass rounds on the scale of P(D)'s terms
                        DenseF64 bound2 = termScale(mode, once[b], u[b], v[b]).times(rel);
                        assertWithin(DenseF64.of(p2, b), once[b], bound2, "matrix " + b + ": P(P(D)) vs P(D): " + ctx);
                        double fro = d[b].frobenius();
                        // what U^T or V leaves of P(D): its own rounding error (||bound||_F, U and V orthonormal) plus
                        // U^T U - I of the float-rounded basis (gamma(m) per entry) times ||D||_F
                        double residual = bound.frobenius() + FloatBounds.gamma(Math.max(m, n)) * k * fro;
                        DenseF64 p = once[b];
                        if (mode == ProjectionMode.LEFT || mode == ProjectionMode.TWO_SIDED) {
                            double x = u[b].transpose().times(p).frobenius();
                            assertTrue(x <= residual, "matrix " + b + ": ||U^T P(D)||_F = " + x + ": " + ctx);
                        }
                        if (mode == ProjectionMode.RIGHT || mode == ProjectionMode.TWO_SIDED) {
                            double x = p.times(v[b]).frobenius();
                            assertTrue(x <= residual, "matrix " + b + ": ||P(D) V||_F = " + x + ": " + ctx);
                        }
                        double hh = u[b].transpose().times(p).times(v[b]).frobenius();
                        assertTrue(hh <= residual, "matrix " + b + ": ||U^T P(D) V||_F = " + hh + ": " + ctx);
                        if (mode != ProjectionMode.HIGH_BLOCK) {
                            // the removed part is not zero: the test would pass on an identity "projection" otherwise
                            assertTrue(p.minus(d[b]).frobenius() > 0.05 * fro, "projection removed nothing: " + ctx);
                        }
                    }
                }
            }
        }
    }

    /** |got - want| <= bound, element by element. */
    static void assertWithin(DenseF64 got, DenseF64 want, DenseF64 bound, String what) {
        for (int i = 0; i < got.a.length; i++) {
            double err = Math.abs(got.a[i] - want.a[i]);
            assertTrue(err <= bound.a[i], what + ": element " + i + " off by " + err + " > bound " + bound.a[i]);
        }
    }

    static DenseF64 abs(DenseF64 x) {
        DenseF64 y = new DenseF64(x.rows, x.cols);
        for (int i = 0; i < x.a.length; i++) y.a[i] = Math.abs(x.a[i]);
        return y;
    }

    /** The four-term formula on absolute values, every term added: the scale of what each element sums. */
    static DenseF64 termScale(ProjectionMode mode, DenseF64 d, DenseF64 u, DenseF64 v) {
        DenseF64 ad = abs(d), au = abs(u), av = abs(v);
        DenseF64 left = au.times(au.transpose().times(ad));
        DenseF64 right = ad.times(av).times(av.transpose());
        DenseF64 block = au.times(au.transpose().times(ad).times(av)).times(av.transpose());
        return switch (mode) {
            case LEFT -> ad.minus(left.times(-1));
            case RIGHT -> ad.minus(right.times(-1));
            case TWO_SIDED -> ad.minus(left.times(-1)).minus(right.times(-1)).minus(block.times(-1));
            case HIGH_BLOCK -> ad.minus(block.times(-1));
        };
    }

    /** The four-term formulas in float64. */
    static DenseF64 reference(ProjectionMode mode, DenseF64 d, DenseF64 u, DenseF64 v) {
        DenseF64 ut = u.transpose();
        DenseF64 vt = v.transpose();
        DenseF64 left = u.times(ut.times(d));
        DenseF64 right = d.times(v).times(vt);
        DenseF64 block = u.times(ut.times(d).times(v)).times(vt);
        return switch (mode) {
            case LEFT -> d.minus(left);
            case RIGHT -> d.minus(right);
            case TWO_SIDED -> d.minus(left).minus(right).minus(block.times(-1));
            case HIGH_BLOCK -> d.minus(block);
        };
    }

    static Stream<Arguments> backends() {
        return Backends.available().stream().map(b -> Arguments.of(Named.of(b.name(), b)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void zeroProtectedDirectionsLeaveTheUpdateAlone(Backend backend) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        try (MatrixBatch dh = MatrixBatch.allocateHost(2, 30, 20);
             MatrixBatch uh = MatrixBatch.allocateHost(2, 30, 0);
             MatrixBatch vh = MatrixBatch.allocateHost(2, 20, 0)) {
            for (int b = 0; b < 2; b++) DenseF64.gaussian(30, 20, rnd).into(dh, b);
            float[] before = dh.toArray();
            try (MatrixBatch dd = backend.upload(dh); MatrixBatch ud = backend.upload(uh); MatrixBatch vd = backend.upload(vh)) {
                backend.project(dd, ud, vd, ProjectionMode.TWO_SIDED);
                try (MatrixBatch after = backend.download(dd)) {
                    assertTrue(Arrays.equals(before, after.toArray()), "k = 0 changed the update (seed " + seed + ")");
                }
            }
        }
    }
}
