package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.ops.Ops;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A micro-batch of sequences packed end to end (no padding): every linear layer runs as one gemm over all tokens,
 * attention per sequence ({@link #segments()}). Host arrays only; the ids and targets are what the ops take.
 *
 * <ul>
 *   <li>{@link #ofExamples}: causal packing, input {@code prompt ++ target} without its last token, position p
 *       trained to predict token p + 1 when that token belongs to the target (LLaMA).</li>
 *   <li>{@link #ofSequences}: whole sequences, no loss (logits, statistics; T5's encoder inputs).</li>
 *   <li>{@link #ofDecoderTargets}: a decoder's teacher-forced inputs {@code start ++ target[:-1]} predicting
 *       {@code target} (T5's decoder).</li>
 * </ul>
 * The arrays returned by the accessors are the batch's own: do not modify them.
 */
public final class PackedBatch {
    private final int[] ids;
    private final int[] targets;
    private final Segments segments;
    private final int[] lossRows;
    private final int[] lossTargets;
    private final int[] source;

    private PackedBatch(int[] ids, int[] targets, int[] lengths, int[] source) {
        this.ids = ids;
        this.targets = targets;
        this.segments = Segments.of(lengths);
        this.source = source;
        int m = 0;
        for (int t : targets) if (t != Ops.IGNORE_INDEX) m++;
        lossRows = new int[m];
        lossTargets = new int[m];
        m = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != Ops.IGNORE_INDEX) {
                lossRows[m] = i;
                lossTargets[m++] = targets[i];
            }
        }
    }

    public int tokens() { return ids.length; }
    public int[] ids() { return ids; }
    /** Target id per input row, or {@link Ops#IGNORE_INDEX}. */
    public int[] targets() { return targets; }
    public Segments segments() { return segments; }
    public int sequences() { return segments.count(); }
    /** Rows that carry a loss, in order. */
    public int[] lossRows() { return lossRows; }
    /** The target of each loss row. */
    public int[] lossTargets() { return lossTargets; }
    /** For each packed sequence, the index of the input (example or sequence) it came from; empty inputs are skipped. */
    public int[] sourceIndex() { return source; }

    /** Causal training/eval packing (examples shorter than two tokens contribute nothing). */
    public static PackedBatch ofExamples(List<Example> batch, int maxPositions) {
        List<int[]> seqs = new ArrayList<>();
        List<int[]> tgts = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        for (int e = 0; e < batch.size(); e++) {
            Example ex = batch.get(e);
            int p = ex.prompt().length;
            int len = p + ex.target().length - 1;
            if (len + 1 > maxPositions) {
                throw new SculptException("example " + e + " has " + (len + 1) + " tokens, more than the model's " + maxPositions + " positions (max_position_embeddings)");
            }
            if (len < 1) continue;
            int[] ids = new int[len];
            int[] t = new int[len];
            for (int i = 0; i < len; i++) {
                ids[i] = i < p ? ex.prompt()[i] : ex.target()[i - p];
                int next = i + 1;
                t[i] = next >= p ? ex.target()[next - p] : Ops.IGNORE_INDEX;
            }
            seqs.add(ids);
            tgts.add(t);
            from.add(e);
        }
        return pack(seqs, tgts, from);
    }

    /** Whole sequences as inputs with no loss (empty ones skipped). */
    public static PackedBatch ofSequences(List<int[]> sequences, int maxPositions) {
        List<int[]> seqs = new ArrayList<>();
        List<int[]> tgts = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        for (int i = 0; i < sequences.size(); i++) {
            int[] s = sequences.get(i);
            if (s.length > maxPositions) {
                throw new SculptException("sequence " + i + " has " + s.length + " tokens, more than the model's " + maxPositions + " positions (max_position_embeddings)");
            }
            if (s.length == 0) continue;
            int[] t = new int[s.length];
            Arrays.fill(t, Ops.IGNORE_INDEX);
            seqs.add(s);
            tgts.add(t);
            from.add(i);
        }
        return pack(seqs, tgts, from);
    }

    /**
     * Teacher-forced decoder packing: for each non-empty target, inputs {@code startId ++ target[:-1]} and targets
     * {@code target} (every row carries a loss). {@code maxPositions} bounds each target's length.
     */
    public static PackedBatch ofDecoderTargets(List<int[]> targets, int startId, int maxPositions) {
        List<int[]> seqs = new ArrayList<>();
        List<int[]> tgts = new ArrayList<>();
        List<Integer> from = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            int[] t = targets.get(i);
            if (t.length > maxPositions) {
                throw new SculptException("target " + i + " has " + t.length + " tokens, more than the model's " + maxPositions + " positions");
            }
            if (t.length == 0) continue;
            int[] in = new int[t.length];
            in[0] = startId;
            System.arraycopy(t, 0, in, 1, t.length - 1);
            seqs.add(in);
            tgts.add(t.clone());
            from.add(i);
        }
        return pack(seqs, tgts, from);
    }

    private static PackedBatch pack(List<int[]> seqs, List<int[]> tgts, List<Integer> from) {
        int total = 0;
        for (int[] s : seqs) total = Math.addExact(total, s.length);
        int[] ids = new int[total];
        int[] targets = new int[total];
        int[] lengths = new int[seqs.size()];
        int[] source = new int[seqs.size()];
        int at = 0;
        for (int s = 0; s < seqs.size(); s++) {
            int[] seq = seqs.get(s);
            System.arraycopy(seq, 0, ids, at, seq.length);
            System.arraycopy(tgts.get(s), 0, targets, at, seq.length);
            lengths[s] = seq.length;
            source[s] = from.get(s);
            at += seq.length;
        }
        return new PackedBatch(ids, targets, lengths, source);
    }
}
