package dev.sculpt.engine;

import dev.sculpt.model.LossSum;
import dev.sculpt.ops.HostCopy;
import dev.sculpt.ops.HostScalarSums;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.ScalarSums;
import dev.sculpt.ops.Tensor;

/**
 * The output projection (lm_head, possibly tied to the embedding) with the token cross-entropy. The loss runs on
 * the loss rows only: they are gathered ({@link Rows}) before the projection, so prompt rows cost no
 * [rows, vocab] product. Uses the shared {@code scratch.head.*} buffers.
 */
public final class LmHead {
    private final Ops ops;
    private final Arena arena;
    private final Linear head;
    private final float scale;

    /** logits = hidden W^T. */
    public LmHead(Ops ops, Arena arena, Linear head) {
        this(ops, arena, head, 1f);
    }

    /** logits = scale * hidden W^T (T5 with a tied head: scale = d_model^-0.5), the scale folded into the gemms. */
    public LmHead(Ops ops, Arena arena, Linear head, float scale) {
        this.ops = ops;
        this.arena = arena;
        this.head = head;
        this.scale = scale;
    }

    public Linear linear() { return head; }

    /** The factor on the logits. */
    public float scale() { return scale; }

    private void project(Tensor x, Tensor logits) {
        ops.matmul(false, true, scale, x, head.weight().value(), 0f, logits);
    }

    /**
     * The summed cross-entropy of {@code targets} at rows {@code rows} of {@code hidden} [n, d] (the final norm's
     * output). With {@code dHidden} (not null) also the backward of {@code gradScale * sum}: the head's weight
     * gradient accumulates and dHidden [n, d] is overwritten (zero on rows without a loss).
     */
    public LossSum loss(Tensor hidden, int[] rows, int[] targets, float gradScale, Tensor dHidden) {
        HostScalarSums sum = new HostScalarSums(ops, 1);   // ops.sum: the loss is read back here
        long counted = loss(hidden, rows, targets, gradScale, dHidden, sum, 0);
        return new LossSum(sum.read()[0], counted);
    }

    /**
     * As {@link #loss(Tensor, int[], int[], float, Tensor)}, but the summed cross-entropy is added to slot
     * {@code slot} of {@code lossSums} where the provider computes (nothing is read back); returns the number of
     * target tokens it covers.
     */
    public long loss(Tensor hidden, int[] rows, int[] targets, float gradScale, Tensor dHidden, ScalarSums lossSums, int slot) {
        int m = rows.length, d = head.in(), vocab = head.out();
        if (m == 0) {
            if (dHidden != null) ops.zero(dHidden);
            return 0;
        }
        Tensor sel = arena.get("scratch.head.sel", m, d);
        Tensor logits = arena.get("scratch.head.logits", m, vocab);
        Tensor loss = arena.get("scratch.head.loss", m);
        Tensor lse = arena.get("scratch.head.lse", m);
        Rows.gather(ops, hidden, rows, sel);
        project(sel, logits);
        ops.crossEntropyForward(logits, targets, loss, lse);
        lossSums.addSum(slot, loss);
        long counted = 0;
        for (int t : targets) if (t != Ops.IGNORE_INDEX) counted++;
        if (dHidden != null) {
            ops.crossEntropyBackward(logits, lse, targets, gradScale, logits);
            Tensor dSel = arena.get("scratch.head.dsel", m, d);
            // dW += scale dLogits^T sel (nothing when frozen); dSel = scale dLogits W
            if (head.weight().trainable()) ops.matmul(true, false, scale, logits, sel, 1f, head.weight().gradient());
            ops.matmul(false, false, scale, logits, head.weight().value(), 0f, dSel);
            ops.zero(dHidden);
            Rows.scatterAdd(ops, rows, dSel, dHidden);
        }
        return counted;
    }

    /** Logits [n][vocab] of every row of {@code hidden} [n, d], copied to the heap. */
    public float[][] logits(Tensor hidden) {
        int n = hidden.dim(0), vocab = head.out();
        Tensor logits = arena.get("scratch.head.logits", n, vocab);
        project(hidden, logits);
        float[] all = HostCopy.toArray(ops, logits);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(all, i * vocab, (i + 1) * vocab);
        return out;
    }
}
