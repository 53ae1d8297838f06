package dev.sculpt.nn;

import dev.sculpt.SculptException;
import dev.sculpt.model.LossSum;

/**
 * Token cross-entropy over logits rows [n, vocab] against target ids, skipping rows whose target is
 * {@link #IGNORE_INDEX} (-100, as in PyTorch and Hugging Face) so that prompt tokens carry no loss.
 * The loss is reduced by {@link Reduction#SUM} or {@link Reduction#MEAN} (over counted rows); the returned
 * {@link LossSum} always holds the plain sum and the counted rows. The gradient written is
 * {@code gradScale * d(reduced loss)/d(logits)}, and may overwrite the logits in place.
 */
public final class CrossEntropy {
    public static final int IGNORE_INDEX = -100;

    public enum Reduction { SUM, MEAN }

    private CrossEntropy() {}

    /** Loss only. */
    public static LossSum loss(FloatArray logits, int off, int n, int vocab, int[] targets, int tOff) {
        return forwardBackward(logits, off, n, vocab, targets, tOff, Reduction.SUM, 0f, null, 0);
    }

    /**
     * Loss and (when dLogits is not null) its gradient. dLogits may be the logits array itself (same offset):
     * each row is read fully before it is overwritten. Ignored rows get a zero gradient.
     */
    public static LossSum forwardBackward(FloatArray logits, int off, int n, int vocab, int[] targets, int tOff,
                                          Reduction reduction, float gradScale, FloatArray dLogits, int dOff) {
        int counted = 0;
        for (int i = 0; i < n; i++) {
            int t = targets[tOff + i];
            if (t == IGNORE_INDEX) continue;
            if (t < 0 || t >= vocab) throw new SculptException("target id " + t + " at row " + i + " is outside the vocabulary [0, " + vocab + ")");
            counted++;
        }
        final float rowScale = reduction == Reduction.MEAN ? (counted == 0 ? 0f : gradScale / counted) : gradScale;
        double[] partial = new double[n];
        Parallel.range(n, 8, (lo, hi) -> {
            float[] row = new float[vocab];
            for (int i = lo; i < hi; i++) {
                int t = targets[tOff + i];
                if (t == IGNORE_INDEX) {
                    if (dLogits != null) dLogits.zero(dOff + i * vocab, vocab);
                    continue;
                }
                logits.buffer().get(off + i * vocab, row, 0, vocab);
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < vocab; j++) max = Math.max(max, row[j]);
                double sum = 0;
                for (int j = 0; j < vocab; j++) sum += Math.exp(row[j] - max);
                double logZ = max + Math.log(sum);
                partial[i] = logZ - row[t];
                if (dLogits != null) {
                    for (int j = 0; j < vocab; j++) row[j] = (float) Math.exp(row[j] - logZ) * rowScale;
                    row[t] -= rowScale;
                    dLogits.buffer().put(dOff + i * vocab, row, 0, vocab);
                }
            }
        });
        double total = 0;
        for (double p : partial) total += p;
        return new LossSum(total, counted);
    }
}
