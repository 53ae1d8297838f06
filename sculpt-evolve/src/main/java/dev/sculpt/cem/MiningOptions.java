package dev.sculpt.cem;

import dev.sculpt.SculptException;

/**
 * Uncertainty thresholds of the mistake miner. A correct greedy answer still counts as a mistake when the
 * agreement of {@code samples} sampled answers is below {@code tau} ({@code samples} = 0 turns this off), or
 * when the first-answer-token probability margin is below {@code delta} ({@code delta} <= 0 turns it off).
 */
public record MiningOptions(int samples, float temperature, float topP, double tau, double delta, long seed) {
    public MiningOptions {
        if (samples < 0) throw new SculptException("--samples must be >= 0, got " + samples);
        if (samples > 0 && !(temperature > 0)) throw new SculptException("--sample-temperature must be > 0, got " + temperature);
        if (samples > 0 && !(topP > 0 && topP <= 1)) throw new SculptException("--sample-top-p must be in (0, 1], got " + topP);
        if (!(tau >= 0 && tau <= 1)) throw new SculptException("--tau must be in [0, 1], got " + tau);
        if (!(delta <= 1)) throw new SculptException("--delta must be <= 1, got " + delta);
    }

    public static MiningOptions defaults() {
        return new MiningOptions(4, 0.7f, 0.95f, 0.75, 0.1, 1234L);
    }

    public static MiningOptions wrongOnly() {
        return new MiningOptions(0, 1f, 1f, 0, 0, 0L);
    }
}
