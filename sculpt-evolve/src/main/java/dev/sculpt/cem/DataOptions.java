package dev.sculpt.cem;

import dev.sculpt.SculptException;

/**
 * How much of each kind the data builder makes per retrieved passage, and the replay share.
 * {@code pointsPerPassage} caps the extractive and review items of one passage (one each per point);
 * {@code replayShare} r adds round(r * new items) items drawn from earlier rounds. {@code grounded} (the default)
 * builds items only from what a passage says and retrieves per mistake; false is for ablation only and restores the
 * behaviour before issue 17 (see {@link DataBuilder}, {@link KnowledgePoints}, {@link PassageRetrieval#retrieve}).
 */
public record DataOptions(int normativePerPassage, boolean extractive, boolean review, int pointsPerPassage,
                          int generalPerPassage, double replayShare, long seed, boolean grounded) {
    public DataOptions {
        if (normativePerPassage < 0) throw new SculptException("--normative-per-passage must be >= 0");
        if (pointsPerPassage < 1) throw new SculptException("--points-per-passage must be >= 1");
        if (generalPerPassage < 0) throw new SculptException("--general-per-passage must be >= 0");
        if (!(replayShare >= 0 && replayShare <= 10)) throw new SculptException("--replay-share must be in [0, 10], got " + replayShare);
    }

    /** Grounded options (the default). */
    public DataOptions(int normativePerPassage, boolean extractive, boolean review, int pointsPerPassage,
                       int generalPerPassage, double replayShare, long seed) {
        this(normativePerPassage, extractive, review, pointsPerPassage, generalPerPassage, replayShare, seed, true);
    }

    public static DataOptions defaults() {
        return new DataOptions(2, true, true, 3, 2, 2.0, 7L);
    }

    /** The same options with grounding on or off (off for ablation only). */
    public DataOptions withGrounded(boolean g) {
        return new DataOptions(normativePerPassage, extractive, review, pointsPerPassage, generalPerPassage, replayShare, seed, g);
    }
}
