package dev.sculpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.Parameter;
import dev.sculpt.osft.UpdateConstraint;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainerTest {
    @Test
    void adamWMatchesAnIndependentDoubleReference() {
        Random r = new Random(1);
        int n = 7;
        float lr = 0.01f, b1 = 0.9f, b2 = 0.99f, eps = 1e-6f, wd = 0.1f;
        AdamW adam = new AdamW(b1, b2, eps, wd);
        float[] w = new float[n];
        double[] wr = new double[n], m = new double[n], v = new double[n];
        for (int i = 0; i < n; i++) wr[i] = w[i] = (float) r.nextGaussian();
        FloatBuffer wb = FloatBuffer.wrap(w), gb = FloatBuffer.allocate(n), db = FloatBuffer.allocate(n);
        for (int t = 1; t <= 5; t++) {
            for (int i = 0; i < n; i++) gb.put(i, (float) r.nextGaussian());
            adam.update("p", wb, gb, db, n, lr, true);
            for (int i = 0; i < n; i++) {
                double g = gb.get(i);
                m[i] = b1 * m[i] + (1 - b1) * g;
                v[i] = b2 * v[i] + (1 - b2) * g * g;
                double mh = m[i] / (1 - Math.pow(b1, t)), vh = v[i] / (1 - Math.pow(b2, t));
                double delta = -lr * (mh / (Math.sqrt(vh) + eps) + wd * wr[i]);
                // float32 AdamW: m, v and the step each carry a few roundings per step (5 steps: ~40 u relative), on
                // a step of size lr * |m / sqrt(v)| <= lr * 3 = 0.03, and the weights drift by u |w| per step
                // (times lr * wd): ~1e-7 absolute at most, against 1e-6
                assertEquals(delta, db.get(i), 1e-6 * Math.max(1, Math.abs(delta)), "step " + t + " element " + i);
                wr[i] += delta;
                w[i] += db.get(i);
            }
        }
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        LrSchedule s = new LrSchedule(LrSchedule.Kind.COSINE, 1f, 4, 14, 0f);
        assertEquals(0.2f, s.at(0), 1e-6);
        assertEquals(0.8f, s.at(3), 1e-6);
        assertEquals(1f, s.at(4), 1e-6);
        assertEquals(0.5f, s.at(9), 1e-6);      // half way through the 10 decay steps: cos(pi/2)
        assertEquals(0f, s.at(14), 1e-6);
        LrSchedule l = new LrSchedule(LrSchedule.Kind.LINEAR, 2f, 0, 10, 0.1f);
        assertEquals(2f, l.at(0), 1e-6);
        assertEquals(2f * (0.1f + 0.9f * 0.5f), l.at(5), 1e-6);
        assertThrows(SculptException.class, () -> new LrSchedule(LrSchedule.Kind.LINEAR, 0f, 0, 10, 0f));
    }

    @Test
    void clippingScalesToTheGlobalNorm() {
        FloatBuffer a = FloatBuffer.wrap(new float[] {3, 0}), b = FloatBuffer.wrap(new float[] {4});
        double norm = GradientClipping.clip(List.of(a, b), List.of(2, 1), 1.0);
        assertEquals(5, norm, 1e-9);
        assertEquals(0.6f, a.get(0), 1e-5);
        assertEquals(0.8f, b.get(0), 1e-5);
        assertEquals(1.0, GradientClipping.globalNorm(List.of(a, b), List.of(2, 1)), 1e-5);
    }

    static List<Example> data(int count, long seed) {
        Random r = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(new Example(new int[] {1 + r.nextInt(10)}, new int[] {11 + r.nextInt(10), 0}));
        return out;
    }

    @Test
    void trainingIsDeterministicForASeedAndLowersTheLoss() {
        List<Example> d = data(40, 2);
        TrainConfig cfg = TrainConfig.defaults().withLr(2e-2f).withBatchSize(4).withEpochs(4);
        float[][] a, b;
        TrainResult ra, rb;
        try (TinyModel m1 = new TinyModel(42, 10, 16, 2, 5); TinyModel m2 = new TinyModel(42, 10, 16, 2, 5)) {
            ra = new Trainer(m1, cfg).train(d, UpdateConstraint.NONE, null);
            rb = new Trainer(m2, cfg).train(d, UpdateConstraint.NONE, null);
            a = weights(m1);
            b = weights(m2);
        }
        assertEquals(ra.stepLosses(), rb.stepLosses());
        for (int i = 0; i < a.length; i++) assertArrayEquals(a[i], b[i]);
        assertEquals(40, ra.stepLosses().size());
        double first = ra.stepLosses().get(0), last = ra.stepLosses().get(ra.stepLosses().size() - 1);
        assertTrue(last < 0.5 * first, first + " -> " + last);
    }

    @Test
    void gradientAccumulationEqualsTheLargerBatch() {
        List<Example> d = data(16, 4);
        TrainConfig big = TrainConfig.defaults().withLr(1e-2f).withBatchSize(8).withGradAccum(1).withClipNorm(0f);
        TrainConfig acc = big.withBatchSize(2).withGradAccum(4);
        try (TinyModel m1 = new TinyModel(42, 8, 12, 1, 6); TinyModel m2 = new TinyModel(42, 8, 12, 1, 6)) {
            TrainResult r1 = new Trainer(m1, big).train(d, UpdateConstraint.NONE, null);
            TrainResult r2 = new Trainer(m2, acc).train(d, UpdateConstraint.NONE, null);
            assertEquals(2, r1.stepLosses().size());
            // TinyModel works in double and adds each example's gradient into float32: the two runs differ by the
            // order of 8 float additions (gamma(8) ~ 5e-7 of the gradient's scale) and AdamW's first steps are
            // lr g / (|g| + eps) ~ lr sign(g), insensitive to that unless an element's |g| were near eps (1e-8);
            // the weights then move by lr = 1e-2 per step, so 1e-5 is 1e-3 of a step, and a lost micro-batch
            // changes the loss and the weights by O(lr)
            for (int i = 0; i < 2; i++) assertEquals(r1.stepLosses().get(i), r2.stepLosses().get(i), 1e-5);
            float[][] a = weights(m1), b = weights(m2);
            for (int i = 0; i < a.length; i++) assertArrayEquals(a[i], b[i], 1e-5f);
        }
    }

    @Test
    void loraKeepsTheChangeWithinRankR() {
        List<Example> d = data(24, 8);
        TrainConfig cfg = TrainConfig.defaults().withLr(2e-2f).withBatchSize(4).withEpochs(3);
        try (TinyModel m = new TinyModel(42, 10, 16, 1, 9)) {
            List<Parameter> targets = new ArrayList<>();
            for (Parameter p : m.parameters()) if (m.targetMatrixNames().contains(p.name())) targets.add(p);
            float[][] before = weights(m);
            double loss0 = Trainer.meanLoss(m, d, 8);
            try (LoraUpdater lora = new LoraUpdater(targets, 2, 4f, cfg.newOptimizer(), 1f, 3)) {
                new Trainer(m, cfg).train(d, lora, null);
            }
            assertTrue(Trainer.meanLoss(m, d, 8) < loss0);
            float[][] after = weights(m);
            for (int i = 0; i < m.parameters().size(); i++) {
                Parameter p = m.parameters().get(i);
                if (!targets.contains(p)) {
                    assertArrayEquals(before[i], after[i], p.name() + " must stay frozen");
                    continue;
                }
                double[][] diff = new double[p.rows()][p.cols()];
                for (int r = 0; r < p.rows(); r++) for (int c = 0; c < p.cols(); c++) diff[r][c] = after[i][r * p.cols() + c] - before[i][r * p.cols() + c];
                double[] sv = singularValues(diff);
                assertTrue(sv[0] > 1e-3, "LoRA must change " + p.name());
                assertTrue(sv[2] < 1e-5 * sv[0], p.name() + ": third singular value " + sv[2] + " vs " + sv[0]);
            }
        }
    }

    private static double[] singularValues(double[][] a) {
        int m = a.length, n = a[0].length, mn = Math.min(m, n);
        double[] flat = new double[m * n];
        for (int r = 0; r < m; r++) System.arraycopy(a[r], 0, flat, r * n, n);
        double[] s = new double[mn];
        int info = org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd(org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR,
                (byte) 'N', m, n, flat, n, s, new double[1], 1, new double[1], 1);
        assertEquals(0, info);
        return s;
    }

    static float[][] weights(TinyModel m) {
        float[][] out = new float[m.parameters().size()][];
        for (int i = 0; i < out.length; i++) out[i] = m.parameters().get(i).toArray();
        return out;
    }
}
