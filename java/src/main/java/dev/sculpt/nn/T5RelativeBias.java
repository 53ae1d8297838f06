package dev.sculpt.nn;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;

/**
 * T5's relative position bias: a learned table [num_buckets, num_heads] indexed by the bucket of
 * (key position - query position), added to the attention scores. The encoder's buckets are bidirectional (half
 * the buckets for keys after the query), the decoder's causal (only distances to earlier keys). Within a bucket
 * range the first half are exact distances and the rest are logarithmically spaced up to {@code maxDistance}.
 * Follows {@code T5Attention._relative_position_bucket} of transformers, including its float32 arithmetic.
 */
public final class T5RelativeBias {
    private final Parameter table;
    private final FloatArray w;
    private final FloatArray gw;
    private final int numBuckets;
    private final int heads;
    private final boolean bidirectional;
    private final int maxDistance;

    public T5RelativeBias(Parameter table, boolean bidirectional, int maxDistance) {
        if (!table.isMatrix()) throw new SculptException("relative attention bias " + table + " must be 2-D [buckets, heads]");
        if (maxDistance <= 0) throw new SculptException("relative attention max distance must be > 0, got " + maxDistance);
        this.table = table;
        this.w = FloatArray.dataOf(table);
        this.gw = FloatArray.gradOf(table);
        this.numBuckets = table.rows();
        this.heads = table.cols();
        this.bidirectional = bidirectional;
        this.maxDistance = maxDistance;
        if ((bidirectional ? numBuckets / 2 : numBuckets) / 2 < 1) {
            throw new SculptException("relative attention bias " + table + " has too few buckets");
        }
    }

    public Parameter table() { return table; }
    public int heads() { return heads; }

    /** The bucket of {@code relativePosition} = key position - query position. */
    public static int bucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
        int bucket = 0;
        int n = numBuckets;
        int rp;
        if (bidirectional) {
            n /= 2;
            if (relativePosition > 0) bucket += n;
            rp = Math.abs(relativePosition);
        } else {
            rp = -Math.min(relativePosition, 0);
        }
        int maxExact = n / 2;
        if (rp < maxExact) return bucket + rp;
        // float32 as in torch: log(rp / max_exact) / log(max_distance / max_exact) * (n - max_exact), truncated
        float ratio = (float) rp / maxExact;
        float scaled = (float) Math.log(ratio) / (float) Math.log((double) maxDistance / maxExact) * (n - maxExact);
        int large = maxExact + (int) scaled;
        return bucket + Math.min(large, n - 1);
    }

    /**
     * bias[h, i, j] (at {@code off}, H x nq x nk, overwritten) for queries at positions qStart..qStart+nq-1 and
     * keys at positions 0..nk-1.
     */
    public void forward(int qStart, int nq, int nk, FloatArray bias, int off) {
        var t = w.buffer();
        var out = bias.buffer();
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nk; j++) {
                int b = bucket(j - (qStart + i), bidirectional, numBuckets, maxDistance) * heads;
                for (int h = 0; h < heads; h++) out.put(off + (h * nq + i) * nk + j, t.get(b + h));
            }
        }
    }

    /** table.grad[bucket(i, j), h] += dBias[h, i, j]. */
    public void backward(int qStart, int nq, int nk, FloatArray dBias, int off) {
        if (!table.trainable()) return;
        var g = gw.buffer();
        var d = dBias.buffer();
        double[] acc = new double[numBuckets * heads];
        for (int i = 0; i < nq; i++) {
            for (int j = 0; j < nk; j++) {
                int b = bucket(j - (qStart + i), bidirectional, numBuckets, maxDistance) * heads;
                for (int h = 0; h < heads; h++) acc[b + h] += d.get(off + (h * nq + i) * nk + j);
            }
        }
        for (int k = 0; k < acc.length; k++) if (acc[k] != 0) g.put(k, (float) (g.get(k) + acc[k]));
    }
}
