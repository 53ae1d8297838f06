package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * The position-wise feed-forward block, gated ({@link FeedForwardKind#SWIGLU}, {@link FeedForwardKind#GATED_GELU}:
 * {@code out (+)= down(act(gate(x)) * up(x))}) or dense ({@link FeedForwardKind#RELU}: {@code out (+)= down(relu(gate(x)))},
 * no up projection).
 *
 * <p>Saved for the backward, in the arena under the block's prefix: {@code gate} [n, inner] (the pre-activation),
 * when gated {@code up} [n, inner], and {@code h} [n, inner] (the activation's output, the down projection's
 * input). The caller keeps x.
 *
 * <p>With {@link #saveInBf16} (bf16 compute without recomputation) they are saved in bf16: gate, up and h are
 * computed in float32 in the shared staging buffers {@code scratch.stage.ffn.*}, h from the float32 gate and up, and
 * each is rounded into its saved bf16 buffer; down reads the saved bf16 h (the bits its operand rounding gives). The
 * backward widens gate and up into the staging buffers (exact) for the activation's backward, so dgate and dup see
 * the pre-activations one bf16 rounding (relative 2^-9) away from the forward's, as {@link AttentionBlock} does.
 */
public final class FeedForward {
    /** Float32 staging of the bf16 saves, shared by every block. */
    private static final String STAGE_GATE = "scratch.stage.ffn.gate", STAGE_UP = "scratch.stage.ffn.up", STAGE_H = "scratch.stage.ffn.h";

    private final Ops ops;
    private final Arena arena;
    private final String prefix;
    private final FeedForwardKind kind;
    private final Linear gate, up, down;
    private final String gateName, upName, hName;
    private boolean bf16Saves;

    /**
     * A block over the given projections: gate (LLaMA gate_proj, T5 wi_0 or wi), up (up_proj, wi_1; null for
     * RELU) and down (down_proj, wo).
     */
    public FeedForward(Ops ops, Arena arena, String prefix, FeedForwardKind kind, Linear gate, Linear up, Linear down) {
        if ((kind == FeedForwardKind.RELU) != (up == null)) {
            throw new SculptException("feed-forward " + prefix + ": " + kind + (up == null ? " needs" : " takes no") + " up projection");
        }
        if (gate.out() != down.in() || (up != null && (up.out() != gate.out() || up.in() != gate.in())) || down.out() != gate.in()) {
            throw new SculptException("feed-forward " + prefix + ": projection shapes do not fit together (" + gate.weight() + ", "
                    + (up == null ? "-" : up.weight()) + ", " + down.weight() + ")");
        }
        this.ops = ops;
        this.arena = arena;
        this.prefix = prefix;
        this.kind = kind;
        this.gate = gate;
        this.up = up;
        this.down = down;
        gateName = prefix + "gate";
        upName = prefix + "up";
        hName = prefix + "h";
    }

    /** Saves gate, up and h in bf16 when on (see the class comment); float32 (the default) when off. Needs bf16 products. */
    public void saveInBf16(boolean on) {
        if (on && !down.bf16()) throw new SculptException("feed-forward " + prefix + ": bf16 saves need bf16 products (" + down.weight() + ")");
        bf16Saves = on;
    }

    /** Whether the block saves its activations in bf16. */
    public boolean savesInBf16() { return bf16Saves; }

    public FeedForwardKind kind() { return kind; }
    public Linear gate() { return gate; }
    /** The up projection; null for a dense block. */
    public Linear up() { return up; }
    public Linear down() { return down; }

    private void activate(Tensor g, Tensor u, Tensor h) {
        switch (kind) {
            case SWIGLU -> ops.swigluForward(g, u, h);
            case GATED_GELU -> ops.gatedGeluForward(g, u, h);
            case RELU -> ops.reluForward(g, h);
        }
    }

    /** x [n, d] -> out [n, d], overwritten or added to when {@code accumulateOut}. */
    public void forward(Tensor x, Tensor out, boolean accumulateOut) {
        int n = x.dim(0), inner = gate.out();
        Tensor g = arena.get(bf16Saves ? STAGE_GATE : gateName, n, inner);
        Tensor u = up == null ? null : arena.get(bf16Saves ? STAGE_UP : upName, n, inner);
        Tensor h = arena.get(bf16Saves ? STAGE_H : hName, n, inner);
        gate.forward(x, g, false);
        if (u != null) up.forward(x, u, false);
        activate(g, u, h);
        if (bf16Saves) {
            ops.convert(g, arena.getBf16(gateName, n, inner));
            if (u != null) ops.convert(u, arena.getBf16(upName, n, inner));
            Tensor saved = arena.getBf16(hName, n, inner);
            ops.convert(h, saved);
            h = saved;
        }
        down.forward(h, out, accumulateOut);
    }

    /** A saved pre-activation as float32: its own buffer, or (bf16 saves) widened into its staging buffer. */
    private Tensor restored(String name, String stage, int n, int inner) {
        if (!bf16Saves) return arena.get(name, n, inner);
        Tensor f = arena.get(stage, n, inner);
        ops.convert(arena.getBf16(name, n, inner), f);
        return f;
    }

    /**
     * Backward of {@link #forward} (same x) from dOut [n, d]: parameter gradients accumulate; {@code dx} is
     * overwritten, or added to when {@code accumulateDx}.
     */
    public void backward(Tensor x, Tensor dOut, Tensor dx, boolean accumulateDx) {
        int n = x.dim(0), inner = gate.out();
        Tensor g = restored(gateName, STAGE_GATE, n, inner);
        Tensor u = up == null ? null : restored(upName, STAGE_UP, n, inner);
        Tensor h = bf16Saves ? arena.getBf16(hName, n, inner) : arena.get(hName, n, inner);
        Tensor dh = arena.get("scratch.ffn.dh", n, inner);
        down.backwardInput(dOut, dh, false);
        down.backwardWeight(h, dOut);
        if (kind == FeedForwardKind.RELU) {
            ops.reluBackward(g, dh, dh);
            gate.backward(x, dh, dx, accumulateDx);
            return;
        }
        Tensor dg = arena.get("scratch.ffn.dgate", n, inner);
        Tensor du = arena.get("scratch.ffn.dup", n, inner);
        if (kind == FeedForwardKind.SWIGLU) ops.swigluBackward(g, u, dh, dg, du);
        else ops.gatedGeluBackward(g, u, dh, dg, du);
        gate.backward(x, dg, dx, accumulateDx);
        up.backward(x, du, dx, true);
    }
}
