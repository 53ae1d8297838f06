package dev.sculpt.cem;

import dev.sculpt.SculptException;

/**
 * Loop settings. Stops after {@code rounds} rounds, when no mistakes are left, or when the probe accuracy gained
 * in a round is below {@code minGain} (the round is still recorded; {@link #NO_MIN_GAIN} = off). {@code topK} passages per knowledge point,
 * at most {@code maxPassages} per round; {@code maxTokens} caps an encoded training example.
 */
public record EvolveOptions(int rounds, int topK, int maxPassages, int maxPointsPerMistake, double minGain,
                            int maxTokens, MiningOptions mining, DataOptions data) {
    /** A gain is never below -1, so this turns the gain test off. */
    public static final double NO_MIN_GAIN = -1.0;

    public EvolveOptions {
        if (rounds < 1) throw new SculptException("--rounds must be >= 1, got " + rounds);
        if (topK < 1) throw new SculptException("--top-k must be >= 1, got " + topK);
        if (maxPassages < 1) throw new SculptException("--max-passages must be >= 1, got " + maxPassages);
        if (maxPointsPerMistake < 1) throw new SculptException("--max-points must be >= 1, got " + maxPointsPerMistake);
        if (maxTokens < 8) throw new SculptException("--max-tokens must be >= 8, got " + maxTokens);
    }

    public static EvolveOptions defaults(int rounds) {
        return new EvolveOptions(rounds, 3, 256, 6, NO_MIN_GAIN, 512, MiningOptions.defaults(), DataOptions.defaults());
    }
}
