package dev.sculpt.ops.cpu;

import java.util.Arrays;

/**
 * The cpu provider's cache of the rotary angles' cosines and sines: {@code cos((float) p * invFreq[i])} and the sine,
 * in float32, for positions {@code p} in [0, size), exactly the values the rotation computed per row before (so the
 * results are bit-identical), but each computed once instead of once per row and call. A step of the 25M LLaMA calls
 * RoPE 32 times over 2048 rows of 32 frequencies; {@link Math#sin} and {@link Math#cos} were most of its 75 ms.
 *
 * <p>Rebuilt when the frequencies change, grown (doubling) when a position passes its end. Not thread-safe: the
 * provider fills it before its threads read it.
 */
final class RopeTable {
    private float[] invFreq = new float[0];
    private int size;
    /** [position * half + i]. */
    private float[] cos = new float[0], sin = new float[0];

    /** Makes the table cover every position in {@code positions} for these frequencies. */
    void cover(float[] frequencies, int[] positions) {
        int max = -1;
        for (int p : positions) max = Math.max(max, p);
        if (!Arrays.equals(invFreq, frequencies)) {
            invFreq = frequencies.clone();
            size = 0;
        }
        if (max < size) return;
        int half = invFreq.length, newSize = Math.max(max + 1, 2 * size);
        float[] c = Arrays.copyOf(cos, Math.multiplyExact(newSize, half)), s = Arrays.copyOf(sin, newSize * half);
        for (int p = size; p < newSize; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invFreq[i];
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        }
        cos = c;
        sin = s;
        size = newSize;
    }

    float cos(int position, int i) {
        return cos[position * invFreq.length + i];
    }

    float sin(int position, int i) {
        return sin[position * invFreq.length + i];
    }
}
