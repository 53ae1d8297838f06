package dev.sculpt.train;

import dev.sculpt.SculptException;

/**
 * Learning rate per optimizer step: linear warmup from 0 to the peak over {@code warmupSteps}, then cosine or
 * linear decay to {@code minFactor * peak} at {@code totalSteps}, or constant.
 */
public record LrSchedule(Kind kind, float peak, int warmupSteps, int totalSteps, float minFactor) {
    public enum Kind {
        COSINE, LINEAR, CONSTANT;

        public static Kind parse(String s) {
            for (Kind k : values()) if (k.name().equalsIgnoreCase(s.trim())) return k;
            throw new SculptException("unknown learning-rate schedule '" + s + "' (expected cosine, linear or constant)");
        }
    }

    public LrSchedule {
        if (!(peak > 0) || !Float.isFinite(peak)) throw new SculptException("learning rate must be > 0, got " + peak);
        if (warmupSteps < 0) throw new SculptException("warmup steps must be >= 0, got " + warmupSteps);
        if (totalSteps < 1) throw new SculptException("total steps must be >= 1, got " + totalSteps);
        if (!(minFactor >= 0 && minFactor <= 1)) throw new SculptException("minimum lr factor must be in [0, 1], got " + minFactor);
    }

    /** The learning rate of optimizer step {@code step} (0-based). */
    public float at(int step) {
        if (step < warmupSteps) return peak * (step + 1) / (warmupSteps + 1);
        if (kind == Kind.CONSTANT) return peak;
        int decaySteps = Math.max(1, totalSteps - warmupSteps);
        double progress = Math.min(1.0, (double) (step - warmupSteps) / decaySteps);
        double f = kind == Kind.COSINE ? 0.5 * (1 + Math.cos(Math.PI * progress)) : 1 - progress;
        return (float) (peak * (minFactor + (1 - minFactor) * f));
    }
}
