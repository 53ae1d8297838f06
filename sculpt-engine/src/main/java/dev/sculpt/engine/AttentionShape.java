package dev.sculpt.engine;

import dev.sculpt.SculptException;

/**
 * The fixed options of an attention block: {@code heads} query heads of {@code headDim}, {@code kvHeads} key/value
 * heads (GQA: query head h reads kv head {@code h / (heads / kvHeads)}), the score scale (1/sqrt(headDim) for
 * LLaMA, 1 for T5), causal or bidirectional, and RoPE's inverse frequencies ({@code headDim / 2} of them) or null
 * for none (T5).
 */
public record AttentionShape(int heads, int kvHeads, int headDim, float scale, boolean causal, float[] ropeInverseFrequencies) {
    public AttentionShape {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0 || heads % kvHeads != 0) {
            throw new SculptException("attention needs heads a positive multiple of kv heads and a positive head dim, got "
                    + heads + "/" + kvHeads + "/" + headDim);
        }
        if (ropeInverseFrequencies != null && ropeInverseFrequencies.length * 2 != headDim) {
            throw new SculptException("RoPE needs headDim/2 = " + headDim / 2 + " inverse frequencies, got " + ropeInverseFrequencies.length);
        }
        if (ropeInverseFrequencies != null) ropeInverseFrequencies = ropeInverseFrequencies.clone();
    }

    /** Width of the query rows (heads * headDim). */
    public int qWidth() { return heads * headDim; }

    /** Width of the key/value rows (kvHeads * headDim). */
    public int kvWidth() { return kvHeads * headDim; }

    public boolean rope() { return ropeInverseFrequencies != null; }
}
