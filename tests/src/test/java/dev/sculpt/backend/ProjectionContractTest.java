package dev.sculpt.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

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
    /** Relative tolerance (to the update's scale) for float32 arithmetic on these sizes. */
    static final double TOL = 2e-5;

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
                    for (int b = 0; b < count; b++) {
                        double scale = d[b].maxAbs();
                        DenseF64 ref = reference(mode, d[b], u[b], v[b]);
                        double err = once[b].minus(ref).maxAbs();
                        assertTrue(err <= TOL * scale, "matrix " + b + ": max |P(D) - reference| = " + err + ": " + ctx);
                        double idem = DenseF64.of(p2, b).minus(once[b]).maxAbs();
                        assertTrue(idem <= TOL * scale, "matrix " + b + ": max |P(P(D)) - P(D)| = " + idem + ": " + ctx);
                        double fro = d[b].frobenius();
                        DenseF64 p = once[b];
                        if (mode == ProjectionMode.LEFT || mode == ProjectionMode.TWO_SIDED) {
                            double x = u[b].transpose().times(p).frobenius();
                            assertTrue(x <= TOL * fro, "matrix " + b + ": ||U^T P(D)||_F = " + x + ": " + ctx);
                        }
                        if (mode == ProjectionMode.RIGHT || mode == ProjectionMode.TWO_SIDED) {
                            double x = p.times(v[b]).frobenius();
                            assertTrue(x <= TOL * fro, "matrix " + b + ": ||P(D) V||_F = " + x + ": " + ctx);
                        }
                        double hh = u[b].transpose().times(p).times(v[b]).frobenius();
                        assertTrue(hh <= TOL * fro, "matrix " + b + ": ||U^T P(D) V||_F = " + hh + ": " + ctx);
                        if (mode != ProjectionMode.HIGH_BLOCK) {
                            // the removed part is not zero: the test would pass on an identity "projection" otherwise
                            assertTrue(p.minus(d[b]).frobenius() > 0.05 * fro, "projection removed nothing: " + ctx);
                        }
                    }
                }
            }
        }
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
