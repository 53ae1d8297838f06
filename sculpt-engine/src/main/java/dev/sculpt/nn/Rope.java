package dev.sculpt.nn;

import dev.sculpt.SculptException;

/**
 * Rotary position embedding with Hugging Face's rotate-half convention: within each head of size d, element i
 * (i &lt; d/2) pairs with element i + d/2 and the pair rotates by angle {@code pos * invFreq[i]}:
 * {@code (a, b) -> (a cos - b sin, b cos + a sin)}. Applied in place to rows of {@code heads * d} floats; the
 * backward is the inverse rotation of the gradient. cos/sin tables grow on demand with the largest position.
 */
public final class Rope {
    private final int headDim;
    private final int half;
    private final float[] invFreq;
    private float[] cos = new float[0];
    private float[] sin = new float[0];
    private int positions;

    /** A rope over heads of {@code headDim} with the given inverse frequencies (length headDim/2). */
    public Rope(int headDim, float[] invFreq) {
        if (headDim <= 0 || headDim % 2 != 0) throw new SculptException("rotary head dimension must be even and > 0, got " + headDim);
        if (invFreq.length != headDim / 2) throw new SculptException("rotary inverse frequencies: expected " + headDim / 2 + ", got " + invFreq.length);
        this.headDim = headDim;
        this.half = headDim / 2;
        this.invFreq = invFreq.clone();
    }

    /** HF's default inverse frequencies {@code 1 / theta^(2i/d)}, computed in float32 as transformers does. */
    public static float[] defaultInvFreq(int headDim, double theta) {
        if (!(theta > 0)) throw new SculptException("rope_theta must be > 0, got " + theta);
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            float exponent = (float) (2 * i) / headDim;
            f[i] = (float) (1.0 / (float) Math.pow(theta, exponent));
        }
        return f;
    }

    public static Rope standard(int headDim, double theta) {
        return new Rope(headDim, defaultInvFreq(headDim, theta));
    }

    public int headDim() { return headDim; }

    public float[] invFreq() { return invFreq.clone(); }

    private void ensurePositions(int n) {
        if (n <= positions) return;
        int cap = Math.max(n, Math.max(64, positions * 2));
        float[] c = new float[cap * half];
        float[] s = new float[cap * half];
        for (int p = 0; p < cap; p++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) p * invFreq[i];
                c[p * half + i] = (float) Math.cos(angle);
                s[p * half + i] = (float) Math.sin(angle);
            }
        }
        cos = c;
        sin = s;
        positions = cap;
    }

    /** Rotates n rows of {@code heads * headDim} at {@code off}; row r sits at position {@code startPos + r}. */
    public void forward(FloatArray x, int off, int n, int heads, int startPos) {
        rotate(x, off, n, heads, startPos, 1f);
    }

    /** Backward of {@link #forward}: rotates the gradient rows back by the same angles, in place. */
    public void backward(FloatArray dx, int off, int n, int heads, int startPos) {
        rotate(dx, off, n, heads, startPos, -1f);
    }

    private void rotate(FloatArray x, int off, int n, int heads, int startPos, float sign) {
        if (startPos < 0) throw new SculptException("negative rotary position " + startPos);
        ensurePositions(startPos + n);
        final float[] c = cos;
        final float[] s = sin;
        int width = heads * headDim;
        Parallel.range(n, 32, (lo, hi) -> {
            float[] row = new float[width];
            for (int r = lo; r < hi; r++) {
                int base = off + r * width;
                x.buffer().get(base, row, 0, width);
                int t = (startPos + r) * half;
                for (int h = 0; h < heads; h++) {
                    int o = h * headDim;
                    for (int i = 0; i < half; i++) {
                        float a = row[o + i];
                        float b = row[o + half + i];
                        float ci = c[t + i];
                        float si = sign * s[t + i];
                        row[o + i] = a * ci - b * si;
                        row[o + half + i] = b * ci + a * si;
                    }
                }
                x.buffer().put(base, row, 0, width);
            }
        });
    }
}
