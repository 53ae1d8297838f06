package dev.sculpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

/**
 * The gradient bound of bf16 saves (engine.AttentionBlock#saveInBf16) against bf16 with recomputation, where the
 * backward reads float32 activations. Each saved factor carries a relative error of at most u_b = 2^-8, and a gradient
 * is a sum of products of at most four saved factors along its path (q, k, the probabilities and v in attention; gate
 * and up, then h, in the feed-forward), so to first order its error is below 4 u_b times the sum of its terms'
 * magnitudes. Each gradient's difference is bounded in norm by 16 u_b of its norm: a condition allowance of 4 (sum of
 * magnitudes over magnitude of sum) on top of the four factors. (Measured on the tiny LLaMA: at most 2.3 u_b.) A
 * backward that read the wrong sequence, a stale buffer or an unrounded copy would differ by O(1), or not at all; so
 * at least one gradient must differ, or the saves are not in force.
 */
public final class Bf16SavesBound {

    private static final double UB = Math.scalb(1.0, -8);

    private Bf16SavesBound() {}

    public static void assertGradientsWithinBound(List<Parameter> saves, List<Parameter> reference, String where) {
        boolean anyDiffers = false;
        for (int i = 0; i < saves.size(); i++) {
            Parameter p = saves.get(i), q = reference.get(i);
            assertEquals(q.name(), p.name());
            float[] g = p.gradientToArray(), r = q.gradientToArray();
            double diff = 0, norm = 0;
            for (int j = 0; j < g.length; j++) {
                diff += ((double) g[j] - r[j]) * ((double) g[j] - r[j]);
                norm += (double) r[j] * r[j];
            }
            diff = Math.sqrt(diff);
            norm = Math.sqrt(norm);
            assertTrue(norm > 0, where + ": gradient of " + p.name() + " is zero");
            assertTrue(diff <= 16 * UB * norm, where + ": gradient of " + p.name() + " differs by " + diff / norm + " of its norm (bound 16 u_b = " + 16 * UB + ")");
            anyDiffers |= diff > 0;
        }
        assertTrue(anyDiffers, where + ": no gradient differs from the recomputed run, so the bf16 saves are not in force");
    }
}
