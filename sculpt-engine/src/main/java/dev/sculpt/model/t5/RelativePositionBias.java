package dev.sculpt.model.t5;

import dev.sculpt.SculptException;
import dev.sculpt.engine.Arena;
import dev.sculpt.engine.ScoreBias;
import dev.sculpt.engine.Segments;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * T5's relative position bias on an {@link Ops} provider: a learned table [num_buckets, num_heads] (block 0's
 * {@code relative_attention_bias.weight}, shared by every block of its stack) indexed by the bucket of
 * (key position - query position), giving the bias [heads, tq, tk] that attention adds to its scores. The
 * encoder's buckets are bidirectional (half the buckets for keys after the query), the decoder's causal (only
 * distances to earlier keys). Within a bucket range the first half are exact distances and the rest are
 * logarithmically spaced up to {@code maxDistance}; follows {@code T5Attention._relative_position_bucket} of
 * transformers, including its float32 arithmetic.
 *
 * <p>On the provider, the bias is a gather and its backward a scatter-add, so both are the embedding ops on
 * one-column views: the table [buckets, heads] viewed as [buckets * heads, 1] and the bias [heads, tq, tk] as
 * [heads * tq * tk, 1], with element {@code (h, i, j)} reading table element
 * {@code bucket(j - (qStart + i)) * heads + h}. The forward is {@code embeddingForward}, the backward
 * {@code embeddingBackward}, which adds repeated indices up, exactly the sum over all (i, j) in a bucket that the
 * table's gradient needs. The index lists depend only on (qStart, tq, tk) and are kept for recent shapes.
 *
 * <p>For a packed batch, {@link #forSequences} computes every sequence's bias once into an arena buffer and hands
 * it to the attention blocks of all layers as a {@link ScoreBias}; each layer's backward folds its gradient in.
 */
final class RelativePositionBias {
    private static final int KEPT_SHAPES = 32;
    private final Parameter table;
    private final int numBuckets;
    private final int heads;
    private final boolean bidirectional;
    private final int maxDistance;
    private final Map<Long, int[]> indices = new LinkedHashMap<>(16, 0.75f, true) {
        @Override protected boolean removeEldestEntry(Map.Entry<Long, int[]> e) { return size() > KEPT_SHAPES; }
    };

    RelativePositionBias(Parameter table, boolean bidirectional, int maxDistance) {
        if (!table.isMatrix()) throw new SculptException("relative attention bias " + table + " must be 2-D [buckets, heads]");
        if (maxDistance <= 0) throw new SculptException("relative attention max distance must be > 0, got " + maxDistance);
        this.table = table;
        this.numBuckets = table.rows();
        this.heads = table.cols();
        this.bidirectional = bidirectional;
        this.maxDistance = maxDistance;
        if ((bidirectional ? numBuckets / 2 : numBuckets) / 2 < 1) {
            throw new SculptException("relative attention bias " + table + " has too few buckets");
        }
    }

    Parameter table() { return table; }

    int heads() { return heads; }

    /** The bucket of {@code relativePosition} = key position - query position. */
    static int bucket(int relativePosition, boolean bidirectional, int numBuckets, int maxDistance) {
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
     * Writes {@code bias} [heads, tq, tk] (overwritten) for queries at positions qStart..qStart+tq-1 and keys at
     * positions 0..tk-1.
     */
    void forward(Ops ops, int qStart, int tq, int tk, Tensor bias) {
        int[] ids = indices(qStart, tq, tk);
        ops.embeddingForward(table.value().view(table.name() + " (one column)", 0, numBuckets * heads, 1), ids,
                bias.view(bias.name() + " (one column)", 0, ids.length, 1));
    }

    /**
     * Adds the gradient of a bias {@code dBias} [heads, tq, tk] (of the forward with the same positions) into the
     * table's gradient: {@code grad[bucket(i, j), h] += dBias[h, i, j]}; nothing when the table is frozen.
     */
    void backward(Ops ops, int qStart, int tq, int tk, Tensor dBias) {
        if (!table.trainable()) return;
        int[] ids = indices(qStart, tq, tk);
        ops.embeddingBackward(ids, dBias.view(dBias.name() + " (one column)", 0, ids.length, 1),
                table.gradient().view(table.name() + " gradient (one column)", 0, numBuckets * heads, 1));
    }

    /**
     * The biases of the self-attention of every sequence of {@code segments} ([heads, len, len] each, packed in the
     * arena buffer {@code name}), as a {@link ScoreBias} for the attention blocks: valid until the next request of
     * that buffer. Its backward adds each dBias into the table's gradient.
     */
    ScoreBias forSequences(Ops ops, Arena arena, String name, Segments segments) {
        long[] offset = new long[segments.count()];
        long total = 0;
        for (int s = 0; s < segments.count(); s++) {
            offset[s] = total;
            total += (long) heads * segments.length(s) * segments.length(s);
        }
        if (total > Integer.MAX_VALUE) throw new SculptException("relative position biases of " + total + " elements exceed one buffer");
        Tensor flat = arena.get(name, (int) total);
        Tensor[] bias = new Tensor[segments.count()];
        for (int s = 0; s < segments.count(); s++) {
            int len = segments.length(s);
            bias[s] = flat.view(flat.name() + " seq " + s, offset[s], heads, len, len);
            forward(ops, 0, len, len, bias[s]);
        }
        return new ScoreBias() {
            @Override public Tensor bias(int sequence, int tq, int tk) {
                check(sequence, tq, tk);
                return bias[sequence];
            }

            @Override public boolean wantsGradient() {
                return table.trainable();
            }

            @Override public void backward(int sequence, Tensor dBias) {
                check(sequence, dBias.dim(1), dBias.dim(2));
                RelativePositionBias.this.backward(ops, 0, dBias.dim(1), dBias.dim(2), dBias);
            }

            private void check(int sequence, int tq, int tk) {
                if (sequence < 0 || sequence >= bias.length || bias[sequence].dim(1) != tq || bias[sequence].dim(2) != tk) {
                    throw new SculptException("relative position bias of " + table.name() + ": no sequence " + sequence
                            + " of " + tq + " x " + tk + " in this batch");
                }
            }
        };
    }

    /** The table element of every bias element, in the bias's [heads, tq, tk] order. */
    private int[] indices(int qStart, int tq, int tk) {
        if (qStart < 0 || tq <= 0 || tk <= 0 || (long) heads * tq * tk > Integer.MAX_VALUE) {
            throw new SculptException("relative position bias for " + tq + " queries from position " + qStart
                    + " over " + tk + " keys is out of range");
        }
        long key = ((long) qStart << 42) ^ ((long) tq << 21) ^ tk;
        int[] ids = qStart < (1 << 21) && tq < (1 << 21) && tk < (1 << 21) ? indices.get(key) : null;
        if (ids != null) return ids;
        int plane = tq * tk;
        ids = new int[heads * plane];
        for (int i = 0; i < tq; i++) {
            for (int j = 0; j < tk; j++) {
                int b = bucket(j - (qStart + i), bidirectional, numBuckets, maxDistance) * heads;
                for (int h = 0; h < heads; h++) ids[h * plane + i * tk + j] = b + h;
            }
        }
        if (qStart < (1 << 21) && tq < (1 << 21) && tk < (1 << 21)) indices.put(key, ids);
        return ids;
    }
}
