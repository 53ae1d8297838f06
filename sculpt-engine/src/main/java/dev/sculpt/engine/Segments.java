package dev.sculpt.engine;

import dev.sculpt.SculptException;

/**
 * Sequences packed end to end in the rows of an activation: sequence s occupies rows
 * {@code [start(s), start(s) + length(s))}; {@link #positions()} gives each row's position within its sequence
 * (restarting at 0 per sequence: RoPE's positions and the causal mask's). Attention runs once per sequence on
 * {@link dev.sculpt.ops.Tensor#view}s; every other layer runs once over all rows.
 */
public final class Segments {
    private final int[] start;
    private final int[] length;
    private final int[] positions;
    private final int tokens;

    private Segments(int[] length) {
        this.length = length.clone();
        this.start = new int[length.length];
        int at = 0;
        for (int s = 0; s < length.length; s++) {
            if (length[s] <= 0) throw new SculptException("packed sequence " + s + " has length " + length[s] + " (must be > 0)");
            start[s] = at;
            at = Math.addExact(at, length[s]);
        }
        this.tokens = at;
        this.positions = new int[at];
        for (int s = 0; s < length.length; s++) for (int i = 0; i < length[s]; i++) positions[start[s] + i] = i;
    }

    /** Sequences of these lengths (each > 0), packed in order. */
    public static Segments of(int... lengths) {
        return new Segments(lengths);
    }

    public int count() { return length.length; }
    public int start(int s) { return start[s]; }
    public int length(int s) { return length[s]; }
    /** Total rows. */
    public int tokens() { return tokens; }
    /** Position of each row within its sequence (do not modify). */
    public int[] positions() { return positions; }

    /** Elements of the attention probabilities [heads, tq, tk] of every sequence against {@code keys}' sequences. */
    public long probsSize(int heads, Segments keys) {
        if (keys.count() != count()) {
            throw new SculptException("attention over " + count() + " query sequences and " + keys.count() + " key sequences");
        }
        long p = 0;
        for (int s = 0; s < count(); s++) p += (long) heads * length[s] * keys.length[s];
        return p;
    }
}
