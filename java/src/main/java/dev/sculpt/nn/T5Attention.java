package dev.sculpt.nn;

import dev.sculpt.SculptException;

/**
 * The attention core of T5 for one sequence: per head, {@code P = softmax(Q K^T + bias)} and {@code ctx = P V},
 * with NO 1/sqrt(d) scaling (T5 folds it into the initialisation of q). Q is [nq, H*dk], K and V are [nk, H*dk]
 * (heads side by side in a row, as the q/k/v projections produce them), the optional bias is [H, nq, nk] (the
 * relative position bias; cross-attention has none). With {@code causal}, query i (at absolute position
 * qStart + i) sees keys 0..qStart+i only. The projections around it are plain {@link Linear} layers.
 */
public final class T5Attention {
    private final int heads;
    private final int headDim;
    private final int width;

    public T5Attention(int heads, int headDim) {
        if (heads <= 0 || headDim <= 0) throw new SculptException("attention needs heads > 0 and head dim > 0, got " + heads + " x " + headDim);
        this.heads = heads;
        this.headDim = headDim;
        this.width = heads * headDim;
    }

    public int heads() { return heads; }
    public int headDim() { return headDim; }

    /**
     * Forward: writes probabilities {@code probs} [H, nq, nk] (kept for the backward) and {@code ctx} [nq, H*dk].
     * {@code bias} may be null.
     */
    public void forward(FloatArray q, int qOff, FloatArray k, int kOff, FloatArray v, int vOff, int nq, int nk,
                        FloatArray bias, int biasOff, boolean causal, int qStart,
                        FloatArray probs, int pOff, FloatArray ctx, int ctxOff) {
        if (nk <= 0) throw new SculptException("attention over an empty key sequence");
        if (causal && qStart + nq > nk) {
            throw new SculptException("causal attention: queries up to position " + (qStart + nq - 1) + " but only " + nk + " keys");
        }
        for (int h = 0; h < heads; h++) {
            int s = pOff + h * nq * nk;
            Blas.gemm(false, true, nq, nk, headDim, 1f, q, qOff + h * headDim, width, k, kOff + h * headDim, width,
                    0f, probs, s, nk);
        }
        Parallel.range(heads * nq, 16, (lo, hi) -> {
            float[] row = new float[nk];
            var p = probs.buffer();
            for (int r = lo; r < hi; r++) {
                int h = r / nq;
                int i = r % nq;
                int base = pOff + r * nk;
                int visible = causal ? qStart + i + 1 : nk;
                p.get(base, row, 0, nk);
                if (bias != null) {
                    for (int j = 0; j < visible; j++) row[j] += bias.get(biasOff + (h * nq + i) * nk + j);
                }
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) max = Math.max(max, row[j]);
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    float e = (float) Math.exp(row[j] - max);
                    row[j] = e;
                    sum += e;
                }
                float inv = (float) (1.0 / sum);
                for (int j = 0; j < visible; j++) row[j] *= inv;
                for (int j = visible; j < nk; j++) row[j] = 0f;
                p.put(base, row, 0, nk);
            }
        });
        for (int h = 0; h < heads; h++) {
            Blas.gemm(false, false, nq, headDim, nk, 1f, probs, pOff + h * nq * nk, nk, v, vOff + h * headDim, width,
                    0f, ctx, ctxOff + h * headDim, width);
        }
    }

    /**
     * Backward given the forward's q, k, v and probs: dq [nq, H*dk], dk and dv [nk, H*dk] are overwritten;
     * {@code dBias} [H, nq, nk] (may be null) receives d(loss)/d(score), added. {@code scratch} holds nq*nk floats.
     */
    public void backward(FloatArray q, int qOff, FloatArray k, int kOff, FloatArray v, int vOff, int nq, int nk,
                         FloatArray probs, int pOff, FloatArray dCtx, int dCtxOff,
                         FloatArray dq, int dqOff, FloatArray dk, int dkOff, FloatArray dv, int dvOff,
                         FloatArray dBias, int dBiasOff, FloatArray scratch) {
        scratch.ensure((long) nq * nk);
        for (int h = 0; h < heads; h++) {
            int p = pOff + h * nq * nk;
            // dv_h = P^T dctx_h ; dP = dctx_h V_h^T
            Blas.gemm(true, false, nk, headDim, nq, 1f, probs, p, nk, dCtx, dCtxOff + h * headDim, width,
                    0f, dv, dvOff + h * headDim, width);
            Blas.gemm(false, true, nq, nk, headDim, 1f, dCtx, dCtxOff + h * headDim, width, v, vOff + h * headDim, width,
                    0f, scratch, 0, nk);
            // dS = P * (dP - sum_j P dP), row by row
            final int hh = h;
            Parallel.range(nq, 16, (lo, hi) -> {
                var pb = probs.buffer();
                var sb = scratch.buffer();
                for (int i = lo; i < hi; i++) {
                    double dot = 0;
                    for (int j = 0; j < nk; j++) dot += (double) pb.get(p + i * nk + j) * sb.get(i * nk + j);
                    for (int j = 0; j < nk; j++) {
                        float ds = (float) (pb.get(p + i * nk + j) * (sb.get(i * nk + j) - dot));
                        sb.put(i * nk + j, ds);
                        if (dBias != null) {
                            int bi = dBiasOff + (hh * nq + i) * nk + j;
                            dBias.set(bi, dBias.get(bi) + ds);
                        }
                    }
                }
            });
            // dq_h = dS K_h ; dk_h = dS^T Q_h
            Blas.gemm(false, false, nq, headDim, nk, 1f, scratch, 0, nk, k, kOff + h * headDim, width,
                    0f, dq, dqOff + h * headDim, width);
            Blas.gemm(true, false, nk, headDim, nq, 1f, scratch, 0, nk, q, qOff + h * headDim, width,
                    0f, dk, dkOff + h * headDim, width);
        }
    }
}
