package dev.sculpt.linalg;

import dev.sculpt.SculptException;

/**
 * Parameters of a top-k decomposition.
 *
 * @param method     randomized, exact or auto
 * @param oversample p, extra sketch columns beyond k (default 10)
 * @param powerIters q, power iterations, each re-orthonormalised (default 2)
 * @param seed       seed of the Philox Gaussian sketch; equal seeds give bit-identical sketches on every backend
 */
public record SvdOptions(SvdMethod method, int oversample, int powerIters, long seed) {
    public static final int DEFAULT_OVERSAMPLE = 10;
    public static final int DEFAULT_POWER_ITERS = 2;

    public SvdOptions {
        if (method == null) throw new SculptException("SVD method must not be null");
        if (oversample < 0) throw new SculptException("oversample must be >= 0, got " + oversample);
        if (powerIters < 0) throw new SculptException("power iterations must be >= 0, got " + powerIters);
    }

    public static SvdOptions defaults() {
        return new SvdOptions(SvdMethod.AUTO, DEFAULT_OVERSAMPLE, DEFAULT_POWER_ITERS, 0L);
    }

    public SvdOptions withMethod(SvdMethod m) { return new SvdOptions(m, oversample, powerIters, seed); }
    public SvdOptions withOversample(int p) { return new SvdOptions(method, p, powerIters, seed); }
    public SvdOptions withPowerIters(int q) { return new SvdOptions(method, oversample, q, seed); }
    public SvdOptions withSeed(long s) { return new SvdOptions(method, oversample, powerIters, s); }
}
