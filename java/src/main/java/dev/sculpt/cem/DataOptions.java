package dev.sculpt.cem;

import dev.sculpt.SculptException;

/**
 * How much of each kind the data builder makes per retrieved passage, and the replay share.
 * {@code pointsPerPassage} caps the extractive and review items of one passage (one each per point);
 * {@code replayShare} r adds round(r * new items) items drawn from earlier rounds.
 */
public record DataOptions(int normativePerPassage, boolean extractive, boolean review, int pointsPerPassage,
                          int generalPerPassage, double replayShare, long seed) {
    public DataOptions {
        if (normativePerPassage < 0) throw new SculptException("--normative-per-passage must be >= 0");
        if (pointsPerPassage < 1) throw new SculptException("--points-per-passage must be >= 1");
        if (generalPerPassage < 0) throw new SculptException("--general-per-passage must be >= 0");
        if (!(replayShare >= 0 && replayShare <= 10)) throw new SculptException("--replay-share must be in [0, 10], got " + replayShare);
    }

    public static DataOptions defaults() {
        return new DataOptions(2, true, true, 3, 2, 2.0, 7L);
    }
}
