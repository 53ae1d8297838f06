package dev.sculpt.model.llama;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.nn.CrossEntropy;
import java.util.List;

/**
 * A micro-batch of causal sequences packed end to end (no padding): every linear layer runs as one sgemm over
 * all tokens, attention runs per sequence. For an example the input is {@code prompt ++ target} without its last
 * token and input position p is trained to predict token p + 1 when that token belongs to the target.
 */
final class PackedBatch {
    final int tokens;
    final int[] ids;
    /** Target id per input position, or {@link CrossEntropy#IGNORE_INDEX}. */
    final int[] targets;
    final int[] seqStart;
    final int[] seqLen;
    /** Input positions that carry a loss, in order. */
    final int[] lossRows;
    final int[] lossTargets;

    private PackedBatch(int[] ids, int[] targets, int[] seqStart, int[] seqLen) {
        this.tokens = ids.length;
        this.ids = ids;
        this.targets = targets;
        this.seqStart = seqStart;
        this.seqLen = seqLen;
        int m = 0;
        for (int t : targets) if (t != CrossEntropy.IGNORE_INDEX) m++;
        lossRows = new int[m];
        lossTargets = new int[m];
        m = 0;
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] != CrossEntropy.IGNORE_INDEX) {
                lossRows[m] = i;
                lossTargets[m++] = targets[i];
            }
        }
    }

    int sequences() { return seqLen.length; }

    /** Training/eval packing of examples (examples shorter than two tokens contribute nothing). */
    static PackedBatch ofExamples(List<Example> batch, int maxPositions) {
        int total = 0;
        int seqs = 0;
        for (int e = 0; e < batch.size(); e++) {
            Example ex = batch.get(e);
            int len = ex.prompt().length + ex.target().length - 1;
            if (len + 1 > maxPositions) {
                throw new SculptException("example " + e + " has " + (len + 1) + " tokens, more than the model's " + maxPositions + " positions (max_position_embeddings)");
            }
            if (len >= 1) {
                total += len;
                seqs++;
            }
        }
        int[] ids = new int[total];
        int[] targets = new int[total];
        int[] start = new int[seqs];
        int[] lens = new int[seqs];
        int at = 0;
        int s = 0;
        for (Example ex : batch) {
            int p = ex.prompt().length;
            int len = p + ex.target().length - 1;
            if (len < 1) continue;
            start[s] = at;
            lens[s++] = len;
            for (int i = 0; i < len; i++) {
                ids[at + i] = i < p ? ex.prompt()[i] : ex.target()[i - p];
                int next = i + 1;
                targets[at + i] = next >= p ? ex.target()[next - p] : CrossEntropy.IGNORE_INDEX;
            }
            at += len;
        }
        return new PackedBatch(ids, targets, start, lens);
    }

    /** Whole sequences as inputs with no loss (for logits and activation statistics). */
    static PackedBatch ofSequences(List<int[]> sequences, int maxPositions) {
        int total = 0;
        int seqs = 0;
        for (int i = 0; i < sequences.size(); i++) {
            int len = sequences.get(i).length;
            if (len > maxPositions) {
                throw new SculptException("sequence " + i + " has " + len + " tokens, more than the model's " + maxPositions + " positions (max_position_embeddings)");
            }
            if (len > 0) {
                total += len;
                seqs++;
            }
        }
        int[] ids = new int[total];
        int[] targets = new int[total];
        java.util.Arrays.fill(targets, CrossEntropy.IGNORE_INDEX);
        int[] start = new int[seqs];
        int[] lens = new int[seqs];
        int at = 0;
        int s = 0;
        for (int[] seq : sequences) {
            if (seq.length == 0) continue;
            start[s] = at;
            lens[s++] = seq.length;
            System.arraycopy(seq, 0, ids, at, seq.length);
            at += seq.length;
        }
        return new PackedBatch(ids, targets, start, lens);
    }
}
