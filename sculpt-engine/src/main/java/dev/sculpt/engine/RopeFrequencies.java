package dev.sculpt.engine;

import dev.sculpt.SculptException;

/** RoPE's inverse frequencies, as Hugging Face's default rotary embedding computes them in float32. */
public final class RopeFrequencies {
    private RopeFrequencies() {}

    /** {@code inv_freq[i] = 1 / theta^(2i / headDim)} for i in [0, headDim / 2), each step rounded to float32. */
    public static float[] standard(int headDim, double theta) {
        if (!(theta > 0)) throw new SculptException("rope_theta must be > 0, got " + theta);
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            f[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        return f;
    }
}
