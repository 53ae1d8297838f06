package dev.sculpt.nn;

import dev.sculpt.SculptException;

/**
 * Multi-head dot-product attention over one sequence, grouped-query capable (query head h reads key/value head
 * {@code h / (heads / kvHeads)}), with an optional causal mask and an optional additive score bias. The same core
 * serves LLaMA (scale 1/sqrt(d), causal, no bias) and T5 (scale 1, relative-position bias, bidirectional encoder,
 * causal decoder, cross-attention with tq != tk).
 *
 * <p>Layouts, all row-major: q and out are [tq, heads * headDim]; k and v are [tk, kvHeads * headDim];
 * probabilities and bias are [heads, tq, tk]. With the causal mask, query row i sits at absolute position
 * {@code qStart + i} and sees keys j &lt;= qStart + i (qStart = 0 for training, the cache length when decoding).
 * Scores run through one sgemm per head; softmax is a row-parallel Java loop.
 *
 * <p>Not thread-safe: it keeps a scratch buffer for the backward.
 */
public final class Attention {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float scale;
    private final boolean causal;
    private final FloatArray scratch = new FloatArray(0);

    public Attention(int heads, int kvHeads, int headDim, float scale, boolean causal) {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0) {
            throw new SculptException("attention needs positive heads/kv heads/head dim, got " + heads + "/" + kvHeads + "/" + headDim);
        }
        if (heads % kvHeads != 0) throw new SculptException("attention heads " + heads + " are not a multiple of kv heads " + kvHeads);
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = scale;
        this.causal = causal;
    }

    public int heads() { return heads; }
    public int kvHeads() { return kvHeads; }
    public int headDim() { return headDim; }
    public float scale() { return scale; }
    public boolean causal() { return causal; }

    /** Floats of probabilities (and of bias) one call needs: heads * tq * tk. */
    public long probsSize(int tq, int tk) { return (long) heads * tq * tk; }

    private int group() { return heads / kvHeads; }

    /**
     * out = softmax(scale * q k^T + bias, masked) v for one sequence. Saves the probabilities at {@code probsOff}
     * (needed by the backward). bias may be null.
     */
    public void forward(FloatArray q, int qOff, FloatArray k, int kOff, FloatArray v, int vOff, int tq, int tk,
                        int qStart, FloatArray bias, int biasOff, FloatArray probs, int probsOff,
                        FloatArray out, int outOff) {
        int qw = heads * headDim;
        int kw = kvHeads * headDim;
        int plane = tq * tk;
        for (int h = 0; h < heads; h++) {
            int g = h / group();
            Blas.gemm(false, true, tq, tk, headDim, scale, q, qOff + h * headDim, qw, k, kOff + g * headDim, kw,
                    0f, probs, probsOff + h * plane, tk);
        }
        Parallel.range(heads * tq, 16, (lo, hi) -> {
            float[] row = new float[tk];
            for (int r = lo; r < hi; r++) {
                int h = r / tq;
                int i = r % tq;
                int at = probsOff + h * plane + i * tk;
                int limit = causal ? Math.min(tk, qStart + i + 1) : tk;
                probs.buffer().get(at, row, 0, tk);
                if (bias != null) {
                    int b = biasOff + h * plane + i * tk;
                    for (int j = 0; j < limit; j++) row[j] += bias.get(b + j);
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < limit; j++) max = Math.max(max, row[j]);
                double sum = 0;
                for (int j = 0; j < limit; j++) {
                    float e = (float) Math.exp(row[j] - max);
                    row[j] = e;
                    sum += e;
                }
                float inv = limit == 0 ? 0f : (float) (1.0 / sum);
                for (int j = 0; j < limit; j++) row[j] *= inv;
                for (int j = limit; j < tk; j++) row[j] = 0f;
                probs.buffer().put(at, row, 0, tk);
            }
        });
        for (int h = 0; h < heads; h++) {
            int g = h / group();
            Blas.gemm(false, false, tq, headDim, tk, 1f, probs, probsOff + h * plane, tk, v, vOff + g * headDim, kw,
                    0f, out, outOff + h * headDim, qw);
        }
    }

    /**
     * Backward of {@link #forward} given dOut: overwrites dq [tq, heads*headDim], dk and dv [tk, kvHeads*headDim]
     * (rows of this sequence only) and, when dBias is not null, adds the score gradient into dBias [heads, tq, tk].
     */
    public void backward(FloatArray q, int qOff, FloatArray k, int kOff, FloatArray v, int vOff, int tq, int tk,
                         FloatArray probs, int probsOff, FloatArray dOut, int dOutOff,
                         FloatArray dq, int dqOff, FloatArray dk, int dkOff, FloatArray dv, int dvOff,
                         FloatArray dBias, int dBiasOff) {
        int qw = heads * headDim;
        int kw = kvHeads * headDim;
        int plane = tq * tk;
        scratch.ensure((long) heads * plane);
        FloatArray ds = scratch;
        for (int r = 0; r < tk; r++) {
            dk.zero(dkOff + r * kw, kw);
            dv.zero(dvOff + r * kw, kw);
        }
        for (int h = 0; h < heads; h++) {
            int g = h / group();
            // dV_g += P_h^T dO_h ; dP_h = dO_h V_g^T
            Blas.gemm(true, false, tk, headDim, tq, 1f, probs, probsOff + h * plane, tk, dOut, dOutOff + h * headDim, qw,
                    1f, dv, dvOff + g * headDim, kw);
            Blas.gemm(false, true, tq, tk, headDim, 1f, dOut, dOutOff + h * headDim, qw, v, vOff + g * headDim, kw,
                    0f, ds, h * plane, tk);
        }
        // dS = P * (dP - sum_j P dP), the softmax backward; masked entries have P = 0 and get 0
        Parallel.range(heads * tq, 16, (lo, hi) -> {
            float[] p = new float[tk];
            float[] d = new float[tk];
            for (int r = lo; r < hi; r++) {
                int h = r / tq;
                int i = r % tq;
                probs.buffer().get(probsOff + h * plane + i * tk, p, 0, tk);
                ds.buffer().get(h * plane + i * tk, d, 0, tk);
                double dot = 0;
                for (int j = 0; j < tk; j++) dot += (double) p[j] * d[j];
                float fdot = (float) dot;
                for (int j = 0; j < tk; j++) d[j] = p[j] * (d[j] - fdot);
                ds.buffer().put(h * plane + i * tk, d, 0, tk);
                if (dBias != null) {
                    int b = dBiasOff + h * plane + i * tk;
                    for (int j = 0; j < tk; j++) dBias.set(b + j, dBias.get(b + j) + d[j]);
                }
            }
        });
        for (int h = 0; h < heads; h++) {
            int g = h / group();
            // dQ_h = scale dS_h K_g ; dK_g += scale dS_h^T Q_h
            Blas.gemm(false, false, tq, headDim, tk, scale, ds, h * plane, tk, k, kOff + g * headDim, kw,
                    0f, dq, dqOff + h * headDim, qw);
            Blas.gemm(true, false, tk, headDim, tq, scale, ds, h * plane, tk, q, qOff + h * headDim, qw,
                    1f, dk, dkOff + g * headDim, kw);
        }
    }

    /** Frees the backward scratch. */
    public void release() {
        scratch.close();
    }
}
