package dev.sculpt.osft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.Parameter;
import dev.sculpt.train.TinyModel;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SubspaceGuardTest {
    private static final ReferenceBackend REF = new ReferenceBackend();

    private static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** The README's plain-Java loop: least squares on a heap float[] matrix with momentum SGD and weight decay. */
    @Test
    void guardsAPlainJavaTrainingLoopOnHeapArrays() {
        Random rnd = new Random(7);
        int m = 24, n = 16, samples = 64;
        float[] w = gaussian(rnd, m * n);
        float[] w0 = w.clone();
        float[] target = gaussian(rnd, m * n);      // the loop pulls W towards this matrix
        float[] x = gaussian(rnd, n * samples);
        float lr = 0.05f, wd = 0.1f;
        double lossBefore = 0, lossAfter = 0;
        try (SubspaceGuard guard = SubspaceGuard.builder().backend(REF).checkEvery(10).build()) {
            guard.register("w", w, m, n, 8);
            guard.protect();
            float[] delta = new float[m * n];
            for (int step = 1; step <= 60; step++) {
                // gradient of 0.5/samples * ||(W - T) X||^2 is (W - T) X X^T / samples
                float[] g = new float[m * n];
                double loss = 0;
                for (int s = 0; s < samples; s++) {
                    for (int r = 0; r < m; r++) {
                        double e = 0;
                        for (int c = 0; c < n; c++) e += (w[r * n + c] - target[r * n + c]) * x[c * samples + s];
                        loss += 0.5 * e * e / samples;
                        for (int c = 0; c < n; c++) g[r * n + c] += (float) (e * x[c * samples + s] / samples);
                    }
                }
                if (step == 1) lossBefore = loss;
                lossAfter = loss;
                for (int i = 0; i < delta.length; i++) delta[i] = -lr * (g[i] + wd * w[i]);
                guard.project("w", delta);
                for (int i = 0; i < w.length; i++) w[i] += delta[i];
                guard.afterStep(step);
            }
            assertEquals(6, guard.residualHistory().size());
            InvariantResidual r = guard.residuals().get("w");
            double change = 0;
            for (int i = 0; i < w.length; i++) change += ((double) w[i] - w0[i]) * ((double) w[i] - w0[i]);
            assertTrue(Math.sqrt(change) > 1, "the loop must actually move W: " + Math.sqrt(change));
            assertTrue(r.relLeft() < 1e-5 && r.relRight() < 1e-5, "invariant broken: " + r);
            assertEquals(8, guard.ranks().get("w"));
        }
        assertTrue(lossAfter < 0.8 * lossBefore, "loss " + lossBefore + " -> " + lossAfter);
    }

    @Test
    void invariantHoldsAfterAdamWStepsWithWeightDecayAndFailsWithoutTheGuard() {
        List<Example> data = new ArrayList<>();
        Random r = new Random(3);
        for (int i = 0; i < 48; i++) data.add(new Example(new int[] {1 + r.nextInt(20)}, new int[] {1 + r.nextInt(20), 0}));
        TrainConfig cfg = TrainConfig.defaults().withLr(3e-2f).withWeightDecay(0.2f).withBatchSize(8).withEpochs(5).withWarmup(0f);
        double guarded;
        double[] changes = new double[1];
        java.util.Map<String, float[]> start = new java.util.LinkedHashMap<>();
        try (TinyModel model = new TinyModel(42, 12, 20, 2, 11);
             SubspaceGuard guard = SubspaceGuard.builder().backend(REF).checkEvery(5).build()) {
            for (String name : model.targetMatrixNames()) {
                Parameter p = find(model, name);
                guard.register(name, p.data(), p.rows(), p.cols(), RankPolicy.rankFor(0.5, p.rows(), p.cols()));
                start.put(name, p.toArray());
            }
            guard.protect();
            new Trainer(model, cfg).train(data, guard, null);
            guard.checkInvariant(999);
            guarded = guard.maxRelativeResidual();
            for (var e : start.entrySet()) {
                float[] now = find(model, e.getKey()).toArray(), before = e.getValue();
                double c = 0;
                for (int i = 0; i < now.length; i++) c += ((double) now[i] - before[i]) * ((double) now[i] - before[i]);
                changes[0] = Math.max(changes[0], Math.sqrt(c));
            }
        }
        assertTrue(changes[0] > 0.1, "weights barely moved: " + changes[0]);
        assertTrue(guarded < 1e-5, "relative residual " + guarded);

        // the same run unconstrained (the guard only observes) leaks into the protected subspace
        try (TinyModel model = new TinyModel(42, 12, 20, 2, 11);
             SubspaceGuard observer = SubspaceGuard.builder().backend(REF).checkEvery(1000).build()) {
            for (String name : model.targetMatrixNames()) {
                Parameter p = find(model, name);
                observer.register(name, p.data(), p.rows(), p.cols(), RankPolicy.rankFor(0.5, p.rows(), p.cols()));
            }
            observer.protect();
            new Trainer(model, cfg).train(data, UpdateConstraint.NONE, null);
            observer.checkInvariant(1);
            assertTrue(observer.maxRelativeResidual() > 0.1, "unconstrained residual " + observer.maxRelativeResidual());
        }
    }

    private static Parameter find(TinyModel m, String name) {
        for (Parameter p : m.parameters()) if (p.name().equals(name)) return p;
        throw new AssertionError(name);
    }

    @Test
    void everyModeRemovesWhatItPromisesAndIsIdempotent() {
        Random rnd = new Random(5);
        int m = 14, n = 10, k = 4;
        float[] w = gaussian(rnd, m * n);
        for (ProjectionMode mode : ProjectionMode.values()) {
            try (SubspaceGuard g = SubspaceGuard.builder().backend(REF).mode(mode).build()) {
                g.register("w", FloatBuffer.wrap(w.clone()), m, n, k);
                g.protect();
                ProtectedBasis b = g.basis("w");
                float[] d = gaussian(rnd, m * n);
                g.project("w", d);
                double[][] dd = toD(d, m, n), u = toD(b.u(), m, k), v = toD(b.v(), n, k);
                double left = fro(ReferenceBackend.mulTn(u, dd)), right = fro(ReferenceBackend.mul(dd, v));
                double block = fro(ReferenceBackend.mul(ReferenceBackend.mulTn(u, dd), v));
                // the reference backend projects in float64 and rounds to float32 (u |d| per element), and the bases
                // are float32-rounded (U^T U = I within ~k u): what U^T or V leaves is a few u ||D||_F ~ 1e-6 for
                // this 14 x 10 N(0, 1) update; 1e-5 holds it, and an unprojected direction leaves ~1
                switch (mode) {
                    case TWO_SIDED: assertTrue(left < 1e-5 && right < 1e-5, mode + " " + left + " " + right); break;
                    case LEFT: assertTrue(left < 1e-5 && right > 1e-2, mode + " " + left + " " + right); break;
                    case RIGHT: assertTrue(right < 1e-5 && left > 1e-2, mode + " " + left + " " + right); break;
                    default: assertTrue(block < 1e-5 && left > 1e-2, mode + " " + block + " " + left);
                }
                float[] again = d.clone();
                g.project("w", again);
                for (int i = 0; i < d.length; i++) assertEquals(d[i], again[i], 1e-5);
            }
        }
    }

    @Test
    void batchedProjectionMatchesOneAtATimeAndBasesAreTopSingularVectors() {
        Random rnd = new Random(9);
        int m = 12, n = 8;
        try (SubspaceGuard g = SubspaceGuard.builder().backend(REF).build()) {
            java.util.Map<String, dev.sculpt.ops.Tensor> ups = new java.util.LinkedHashMap<>();
            List<float[]> copies = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                g.register("w" + i, gaussian(rnd, m * n), m, n, i + 1);   // ranks 1, 2, 3: three groups
                float[] d = gaussian(rnd, m * n);
                copies.add(d.clone());
                ups.put("w" + i, dev.sculpt.ops.Tensor.ofHost("d" + i, d, m, n));
            }
            g.register("other", gaussian(rnd, 6 * 5), 6, 5, 2);
            g.protect();
            assertEquals(List.of(1, 2, 3, 2), new ArrayList<>(g.ranks().values()));
            g.project(ups);
            for (int i = 0; i < 3; i++) {
                float[] single = copies.get(i);
                g.project("w" + i, single);
                // the map and the single update go through the same provider projection of the same values
                float[] mapped = ups.get("w" + i).toArray();
                for (int j = 0; j < single.length; j++) assertEquals(single[j], mapped[j], 0f);
            }
            for (dev.sculpt.ops.Tensor t : ups.values()) t.close();
        }
    }

    @Test
    void accumulatedBasesContainTheEarlierOnes() {
        Random rnd = new Random(13);
        int m = 16, n = 12;
        float[] w = gaussian(rnd, m * n);
        try (SubspaceGuard g = SubspaceGuard.builder().backend(REF).accumulate(true).build()) {
            g.register("w", w, m, n, 3);
            g.protect();
            ProtectedBasis first = g.basis("w");
            // change W so that its top subspace moves
            float[] bump = gaussian(rnd, m * n);
            for (int i = 0; i < w.length; i++) w[i] += 3 * bump[i];
            g.protect();
            ProtectedBasis second = g.basis("w");
            assertTrue(second.leftRank() > 3 && second.leftRank() <= 6, "united rank " + second.leftRank());
            double[][] u1 = toD(first.u(), m, 3), u2 = toD(second.u(), m, second.leftRank());
            // every old column is in the span of the new basis, and the new basis is orthonormal
            double[][] coef = ReferenceBackend.mulTn(u2, u1);
            double[][] back = ReferenceBackend.mul(u2, coef);
            assertTrue(fro(ReferenceBackend.sub(back, u1)) < 1e-5);
            double[][] gram = ReferenceBackend.mulTn(u2, u2);
            for (int i = 0; i < gram.length; i++) for (int j = 0; j < gram.length; j++) assertEquals(i == j ? 1 : 0, gram[i][j], 1e-5);
        }
    }

    @Test
    void badInputNamesTheMatrix() {
        try (SubspaceGuard g = SubspaceGuard.builder().backend(REF).build()) {
            SculptException e = assertThrows(SculptException.class, () -> g.register("q", new float[20], 4, 5, 4));
            assertTrue(e.getMessage().contains("q") && e.getMessage().contains("[0, 3]"), e.getMessage());
            assertThrows(SculptException.class, () -> g.register("short", new float[10], 4, 5, 1));
            g.register("ok", new float[20], 4, 5, 1);
            e = assertThrows(SculptException.class, () -> g.project("ok", new float[20]));
            assertTrue(e.getMessage().contains("protect()"), e.getMessage());
            e = assertThrows(SculptException.class, () -> g.project("missing", new float[20]));
            assertTrue(e.getMessage().contains("missing"), e.getMessage());
            assertThrows(SculptException.class, () -> g.register("ok", new float[20], 4, 5, 1));
        }
    }

    static double[][] toD(float[] a, int rows, int cols) {
        double[][] d = new double[rows][cols];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) d[r][c] = a[r * cols + c];
        return d;
    }

    static double fro(double[][] a) {
        double s = 0;
        for (double[] row : a) for (double x : row) s += x * x;
        return Math.sqrt(s);
    }
}
