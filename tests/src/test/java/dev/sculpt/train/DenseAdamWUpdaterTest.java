package dev.sculpt.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.cpu.CpuOps;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The optimizer step through the ops provider against the host arithmetic it replaced: {@link GradientClipping} and
 * {@link AdamW} on heap arrays, then {@code w += delta}. On the cpu provider the weights must agree bit for bit.
 * Two shapes appear twice, so that parameters of one shape share one delta tensor, as a model's layers do.
 */
class DenseAdamWUpdaterTest {
    private static final int[][] SHAPES = {{12, 7}, {7}, {5, 9}, {9, 5}, {12, 7}, {7}};
    private static final int DISTINCT_SHAPES = 4;

    private static List<Parameter> parameters(Random rnd) {
        List<Parameter> ps = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Parameter p = new Parameter("p" + i, SHAPES[i]);
            float[] v = new float[p.size()];
            for (int j = 0; j < v.length; j++) v[j] = (float) rnd.nextGaussian();
            p.copyFrom(v);
            ps.add(p);
        }
        return ps;
    }

    @Test
    void cpuStepsEqualTheHostAdamWArithmeticBitForBit() {
        Random rnd = new Random(17);
        List<Parameter> ps = parameters(rnd);
        float clip = 6f;
        AdamW hyper = new AdamW(0.9f, 0.999f, 1e-8f, 0.1f);
        AdamW host = new AdamW(0.9f, 0.999f, 1e-8f, 0.1f);
        List<float[]> w = new ArrayList<>();
        for (Parameter p : ps) w.add(p.toArray());
        try (Ops ops = new CpuOps(); DenseAdamWUpdater updater = new DenseAdamWUpdater(ops, ps, hyper, clip, null)) {
            assertEquals(DISTINCT_SHAPES, updater.deltaTensors(), "one delta tensor per distinct shape");
            int clipped = 0;
            for (int step = 0; step < 8; step++) {
                // odd steps: small gradients (no clipping); even steps: large ones (clipped)
                double sd = step % 2 == 0 ? 1.0 : 0.05;
                List<FloatBuffer> grads = new ArrayList<>();
                List<Integer> sizes = new ArrayList<>();
                for (Parameter p : ps) {
                    float[] g = new float[p.size()];
                    for (int j = 0; j < g.length; j++) g[j] = (float) (rnd.nextGaussian() * sd);
                    p.grad().put(0, g);
                    grads.add(FloatBuffer.wrap(g));
                    sizes.add(p.size());
                }
                float lr = 1e-2f * (step + 1);
                double normRef = GradientClipping.clip(grads, sizes, clip);
                if (normRef > clip) clipped++;
                for (int i = 0; i < ps.size(); i++) {
                    Parameter p = ps.get(i);
                    float[] d = new float[p.size()];
                    host.update(p.name(), FloatBuffer.wrap(w.get(i)), grads.get(i), FloatBuffer.wrap(d), p.size(), lr, p.isMatrix());
                    for (int j = 0; j < d.length; j++) w.get(i)[j] += d[j];
                }
                double norm = updater.step(lr, step);
                // the norm is summed per tensor, then over tensors, in double: it differs from one running sum by
                // at most about (terms) * 2^-53 relative (here 272 terms)
                assertEquals(normRef, norm, 1e-13 * normRef, "gradient norm at step " + step);
                for (int i = 0; i < ps.size(); i++) {
                    assertArrayEquals(bits(w.get(i)), bits(ps.get(i).toArray()), ps.get(i).name() + " after step " + step);
                }
            }
            assertEquals(4, clipped, "even steps clip, odd steps do not");
        } finally {
            for (Parameter p : ps) p.close();
        }
    }

    @Test
    void savedStateContinuesBitForBitAndNonFiniteGradientsStopBeforeAnyChange() {
        Random rnd = new Random(23);
        List<Parameter> a = parameters(new Random(5)), b = parameters(new Random(5));
        try (Ops ops = new CpuOps();
             DenseAdamWUpdater ua = new DenseAdamWUpdater(ops, a, AdamW.defaults(0.01f), 1f, null)) {
            List<float[][]> grads = new ArrayList<>();
            for (int step = 0; step < 4; step++) {
                float[][] g = new float[a.size()][];
                for (int i = 0; i < a.size(); i++) {
                    g[i] = new float[a.get(i).size()];
                    for (int j = 0; j < g[i].length; j++) g[i][j] = (float) rnd.nextGaussian();
                }
                grads.add(g);
            }
            UpdaterState mid = null;
            for (int step = 0; step < 4; step++) {
                for (int i = 0; i < a.size(); i++) a.get(i).grad().put(0, grads.get(step)[i]);
                ua.step(1e-2f, step);
                if (step == 1) {
                    mid = ua.saveState();
                    for (int i = 0; i < a.size(); i++) b.get(i).copyFrom(a.get(i).toArray());
                }
            }
            try (DenseAdamWUpdater ub = new DenseAdamWUpdater(ops, b, AdamW.defaults(0.01f), 1f, null)) {
                ub.restoreState(mid);
                for (int step = 2; step < 4; step++) {
                    for (int i = 0; i < b.size(); i++) b.get(i).grad().put(0, grads.get(step)[i]);
                    ub.step(1e-2f, step);
                }
                for (int i = 0; i < a.size(); i++) assertArrayEquals(bits(a.get(i).toArray()), bits(b.get(i).toArray()), a.get(i).name());

                float[] before = b.get(2).toArray();
                b.get(2).grad().put(3, Float.NaN);
                SculptException e = assertThrows(SculptException.class, () -> ub.step(1e-2f, 4));
                assertTrue(e.getMessage().contains("p2") && e.getMessage().contains("step 5"), e.getMessage());
                assertArrayEquals(bits(before), bits(b.get(2).toArray()), "weights untouched by the refused step");
            }
        } finally {
            for (Parameter p : a) p.close();
            for (Parameter p : b) p.close();
        }
    }

    private static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Float.floatToRawIntBits(a[i]);
        return out;
    }
}
