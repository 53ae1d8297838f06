package dev.sculpt.osft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link RankPolicy#largestRatio}, what a run's memory plan sizes the protected bases with: the rank
 * {@link RankPolicy#rankFor} gives for it is at least every rank the policy gives a matrix at any task and importance,
 * and the policy reaches it (the bound is not loose by more than rounding).
 */
class LargestRatioTest {
    private final long seed = new SplittableRandom().nextLong();
    private final SplittableRandom rnd = new SplittableRandom(seed);

    @Test
    void rankForTheLargestRatioBoundsEveryRankThePolicyGives() {
        List<RankPolicy> policies = List.of(RankPolicy.schedule(), RankPolicy.ratio(rnd.nextDouble()),
                RankPolicy.importance(0.1 * rnd.nextDouble(), 0.2 + 0.8 * rnd.nextDouble()));
        for (int trial = 0; trial < 200; trial++) {
            int rows = 1 + rnd.nextInt(300), cols = 1 + rnd.nextInt(300), tasks = 1 + rnd.nextInt(8);
            boolean base = rnd.nextBoolean();
            for (RankPolicy p : policies) {
                int bound = RankPolicy.rankFor(p.largestRatio(tasks, base), rows, cols);
                int most = 0;
                for (int t = 1; t <= tasks; t++) {
                    for (double imp : new double[] {0, rnd.nextDouble(), 1, Double.NaN}) most = Math.max(most, p.rank(rows, cols, imp, t, tasks, base));
                }
                assertTrue(most <= bound, p + " " + rows + "x" + cols + " T=" + tasks + ": rank " + most + " > bound " + bound + " (seed " + seed + ")");
                // the schedule's floor against rankFor's rounding: at most one column apart; the others exact
                assertTrue(bound - most <= 1, p + " " + rows + "x" + cols + " T=" + tasks + ": bound " + bound + " vs " + most + " (seed " + seed + ")");
            }
        }
        assertEquals(0.75, RankPolicy.schedule().largestRatio(4, false));
        assertEquals(1.0, RankPolicy.schedule().largestRatio(1, true));
        assertEquals(0.0, RankPolicy.schedule().largestRatio(1, false));
    }
}
