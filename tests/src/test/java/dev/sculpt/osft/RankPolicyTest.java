package dev.sculpt.osft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import org.junit.jupiter.api.Test;

class RankPolicyTest {
    @Test
    void importanceIsMinMaxNormalisedAndMappedBetweenMrrAndTrr() {
        double[] raw = {0.2, 0.5, 0.8, 0.65};
        double[] norm = RankPolicy.normalise(raw);
        assertArrayEquals(new double[] {0, 0.5, 1, 0.75}, norm, 1e-12);
        RankPolicy p = RankPolicy.importance(0.1, 0.8);
        // 64 x 256: min(m, n) = 64
        assertEquals(Math.round(0.1 * 64), p.rank(64, 256, norm[0], 2, 4));            // 6
        assertEquals(Math.round((0.1 + 0.5 * 0.7) * 64), p.rank(64, 256, norm[1], 2, 4)); // 0.45*64 = 28.8 -> 29
        assertEquals(29, p.rank(64, 256, norm[1], 2, 4));
        assertEquals(Math.round(0.8 * 64), p.rank(256, 64, norm[2], 2, 4));            // 51
        assertEquals(Math.round((0.1 + 0.75 * 0.7) * 64), p.rank(64, 64, norm[3], 2, 4)); // 0.625*64 = 40
        assertEquals(40, p.rank(64, 64, norm[3], 2, 4));
    }

    @Test
    void equalImportancesCountAsOne() {
        assertArrayEquals(new double[] {1, 1, 1}, RankPolicy.normalise(new double[] {0.3, 0.3, 0.3}));
    }

    @Test
    void ranksAreClampedBelowFullRank() {
        assertEquals(9, RankPolicy.ratio(1.0).rank(10, 30, Double.NaN, 1, 1));
        assertEquals(0, RankPolicy.ratio(0.0).rank(10, 30, Double.NaN, 1, 1));
        assertEquals(9, RankPolicy.importance(0.9, 1.0).rank(10, 10, 1.0, 3, 5));
        assertEquals(3, RankPolicy.rankFor(0.25, 12, 100));
    }

    @Test
    void fixedScheduleIsFloorOfMinTimesTaskShare() {
        RankPolicy s = RankPolicy.schedule();
        // min(m, n) = 100, T = 3: t=1 -> 0, t=2 -> floor(33.3) = 33, t=3 -> floor(66.6) = 66
        assertEquals(0, s.rank(100, 300, Double.NaN, 1, 3));
        assertEquals(33, s.rank(100, 300, Double.NaN, 2, 3));
        assertEquals(66, s.rank(300, 100, Double.NaN, 3, 3));
        assertThrows(SculptException.class, () -> s.rank(100, 100, Double.NaN, 4, 3));
    }

    @Test
    void aProtectedBaseKeepsOneShareAtTheFirstTask() {
        RankPolicy s = RankPolicy.schedule();
        // T = 4, min(m, n) = 64: max(t - 1, 1) / 4 -> 16, 16, 32, 48; unprotected 0, 16, 32, 48
        int[] want = {16, 16, 32, 48};
        for (int t = 1; t <= 4; t++) {
            assertEquals(want[t - 1], s.rank(64, 96, Double.NaN, t, 4, true), "task " + t);
            assertEquals((t - 1) * 16, s.rank(96, 64, Double.NaN, t, 4, false), "task " + t);
        }
        // the other policies ignore it
        assertEquals(RankPolicy.ratio(0.5).rank(64, 96, Double.NaN, 1, 4), RankPolicy.ratio(0.5).rank(64, 96, Double.NaN, 1, 4, true));
    }

    @Test
    void badRatiosFailWithTheFlagName() {
        SculptException e = assertThrows(SculptException.class, () -> RankPolicy.parse("1.5", 0.1, 0.8));
        assertTrue(e.getMessage().contains("--rank-ratio"), e.getMessage());
        assertThrows(SculptException.class, () -> RankPolicy.importance(0.9, 0.2));
        assertThrows(SculptException.class, () -> RankPolicy.importance(-0.1, 0.8));
        assertThrows(SculptException.class, () -> RankPolicy.parse("sometimes", 0.1, 0.8));
        assertEquals(RankPolicy.Kind.SCHEDULE, RankPolicy.parse("schedule", 0.1, 0.8).kind());
        assertEquals(0.3, RankPolicy.parse("0.3", 0.1, 0.8).ratio(), 0);
    }
}
