package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * Multi-head attention with its four projections: {@code out (+)= o(attn(rope(q(x)), rope(k(m)), v(m)))}, with m = x
 * for self-attention or another input (the encoder output) for cross-attention, run per packed sequence on
 * {@link Tensor#view}s of the packed activations ({@link Ops#attentionForward}). Options in {@link AttentionShape};
 * an additive score bias per sequence comes from a {@link ScoreBias} (null: none).
 *
 * <p>Saved for the backward, in the arena under the block's prefix: {@code q} [n, qWidth] and {@code k}
 * [nk, kvWidth] (after RoPE), {@code v} [nk, kvWidth], {@code ctx} [n, qWidth] (before o), {@code probs} (every
 * sequence's [heads, tq, tk], concatenated). The caller keeps x and m. The backward uses the shared
 * {@code scratch.attn.*} buffers.
 *
 * <h2>bf16 saves ({@link #saveInBf16})</h2>
 * In bf16 compute without recomputation, q, k, v, ctx and probs are saved in bf16, half the bytes. The forward
 * computes them in float32 in the shared staging buffers {@code scratch.stage.attn.*} (q, k, v and ctx at their full
 * size, probs one sequence's plane at a time), attends on those float32 values, and rounds each into its bf16 saved
 * buffer ({@link Ops#convert}, round to nearest even); o reads the saved bf16 ctx, the same bits its bf16 operand
 * rounding gives. The backward widens q, k, v and each sequence's probs back into the staging buffers (exact) and
 * runs on them: its values differ from the forward's by one bf16 rounding, a relative 2^-9 per element, which moves
 * the gradients of this block's inputs by a relative O(2^-8) (the products already round their operands to bf16 in
 * this mode). The staging buffers are held once for all blocks: q, k, v, ctx of the largest block and the largest
 * sequence's [heads, tq, tk] plane, in float32.
 */
public final class AttentionBlock {
    /** Float32 staging of the bf16 saves, shared by every block (they hold nothing between calls). */
    private static final String STAGE_Q = "scratch.stage.attn.q", STAGE_K = "scratch.stage.attn.k", STAGE_V = "scratch.stage.attn.v",
            STAGE_CTX = "scratch.stage.attn.ctx", STAGE_PROBS = "scratch.stage.attn.probs";
    private final Ops ops;
    private final Arena arena;
    private final String prefix;
    private final AttentionShape shape;
    private final Linear q, k, v, o;
    private final String qName, kName, vName, ctxName, probsName;
    private boolean bf16Saves;

    /** A block whose saved activations are named {@code prefix + "q"} etc. in {@code arena}. */
    public AttentionBlock(Ops ops, Arena arena, String prefix, AttentionShape shape, Linear q, Linear k, Linear v, Linear o) {
        if (q.out() != shape.qWidth() || k.out() != shape.kvWidth() || v.out() != shape.kvWidth() || o.in() != shape.qWidth()
                || k.in() != v.in() || o.out() != q.in()) {
            throw new SculptException("attention " + prefix + ": projections " + q.weight() + ", " + k.weight() + ", " + v.weight()
                    + ", " + o.weight() + " do not fit " + shape.heads() + " heads / " + shape.kvHeads() + " kv heads of " + shape.headDim());
        }
        this.ops = ops;
        this.arena = arena;
        this.prefix = prefix;
        this.shape = shape;
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        qName = prefix + "q";
        kName = prefix + "k";
        vName = prefix + "v";
        ctxName = prefix + "ctx";
        probsName = prefix + "probs";
    }

    /**
     * Saves q, k, v, ctx and probs in bf16 (see the class comment) when on; float32 (the default) when off. Only
     * with bf16 products ({@link Linear#computeInBf16}), which read the saved ctx as their operand.
     */
    public void saveInBf16(boolean on) {
        if (on && !o.bf16()) throw new SculptException("attention " + prefix + ": bf16 saves need bf16 products (" + o.weight() + ")");
        bf16Saves = on;
    }

    /** Whether the block saves its activations in bf16. */
    public boolean savesInBf16() { return bf16Saves; }

    public AttentionShape shape() { return shape; }
    public Linear q() { return q; }
    public Linear k() { return k; }
    public Linear v() { return v; }
    public Linear o() { return o; }

    private Tensor rows(Tensor t, int start, int n, int width) {
        return t.view(t.name(), (long) start * width, n, width);
    }

    /**
     * Training/eval forward. x [n, d] packed as {@code xs}; {@code memory} [nk, dm] packed as {@code ms} (sequence s
     * of x attends to sequence s of memory), or null for self-attention (ms ignored). {@code out} [n, d] is
     * overwritten, or added to when {@code accumulateOut} (the residual stream).
     */
    public void forward(Tensor x, Segments xs, Tensor memory, Segments ms, ScoreBias bias, Tensor out, boolean accumulateOut) {
        Tensor src = memory == null ? x : memory;
        Segments ks = memory == null ? xs : ms;
        int n = xs.tokens(), nk = ks.tokens(), qw = shape.qWidth(), kw = shape.kvWidth(), h = shape.heads();
        long probsSize = xs.probsSize(h, ks);
        Tensor qt = arena.get(bf16Saves ? STAGE_Q : qName, n, qw);
        Tensor kt = arena.get(bf16Saves ? STAGE_K : kName, nk, kw);
        Tensor vt = arena.get(bf16Saves ? STAGE_V : vName, nk, kw);
        Tensor ctx = arena.get(bf16Saves ? STAGE_CTX : ctxName, n, qw);
        Tensor probs;
        if (bf16Saves) {
            arena.reserve(STAGE_PROBS, largestPlane(xs, ks, h));
            probs = arena.getBf16(probsName, (int) probsSize);
        } else {
            arena.reserve(probsName, probsSize);
            probs = arena.get(probsName, (int) probsSize);
        }
        q.forward(x, qt, false);
        k.forward(src, kt, false);
        v.forward(src, vt, false);
        if (shape.rope()) {
            ops.ropeForward(qt, h, xs.positions(), shape.ropeInverseFrequencies());
            ops.ropeForward(kt, shape.kvHeads(), ks.positions(), shape.ropeInverseFrequencies());
        }
        long pOff = 0;
        for (int s = 0; s < xs.count(); s++) {
            int tq = xs.length(s), tk = ks.length(s);
            Tensor saved = probs.view(probs.name(), pOff, h, tq, tk);
            Tensor p = bf16Saves ? arena.get(STAGE_PROBS, h, tq, tk) : saved;
            ops.attentionForward(rows(qt, xs.start(s), tq, qw), rows(kt, ks.start(s), tk, kw), rows(vt, ks.start(s), tk, kw),
                    h, shape.kvHeads(), shape.scale(), shape.causal(), 0, bias == null ? null : bias.bias(s, tq, tk),
                    p, rows(ctx, xs.start(s), tq, qw));
            if (bf16Saves) ops.convert(p, saved);
            pOff += (long) h * tq * tk;
        }
        if (bf16Saves) {
            ops.convert(qt, arena.getBf16(qName, n, qw));
            ops.convert(kt, arena.getBf16(kName, nk, kw));
            ops.convert(vt, arena.getBf16(vName, nk, kw));
            Tensor savedCtx = arena.getBf16(ctxName, n, qw);
            ops.convert(ctx, savedCtx);
            ctx = savedCtx;
        }
        o.forward(ctx, out, accumulateOut);
    }

    /** Elements of the largest [heads, tq, tk] plane of the segments' sequences. */
    private static long largestPlane(Segments xs, Segments ks, int heads) {
        long m = 0;
        for (int s = 0; s < xs.count(); s++) m = Math.max(m, (long) heads * xs.length(s) * ks.length(s));
        return m;
    }

    /** A saved activation as float32: its own buffer, or (bf16 saves) widened into its staging buffer. */
    private Tensor restored(String name, String stage, int rows, int width) {
        if (!bf16Saves) return arena.get(name, rows, width);
        Tensor f = arena.get(stage, rows, width);
        ops.convert(arena.getBf16(name, rows, width), f);
        return f;
    }

    /**
     * Backward of {@link #forward} (same x, memory, segments and bias) from dOut [n, d]. Parameter gradients
     * accumulate. Self-attention: {@code dx (+)= dq Wq + dk Wk + dv Wv} (added when {@code accumulateDx});
     * cross-attention: {@code dx (+)= dq Wq} and {@code dMemory (+)= dk Wk + dv Wv} (added when
     * {@code accumulateDMemory}, e.g. over decoder layers; dMemory may be null when not needed).
     */
    public void backward(Tensor x, Segments xs, Tensor memory, Segments ms, ScoreBias bias, Tensor dOut,
                         Tensor dx, boolean accumulateDx, Tensor dMemory, boolean accumulateDMemory) {
        boolean self = memory == null;
        Tensor src = self ? x : memory;
        Segments ks = self ? xs : ms;
        int n = xs.tokens(), nk = ks.tokens(), qw = shape.qWidth(), kw = shape.kvWidth(), h = shape.heads();
        long probsSize = xs.probsSize(h, ks);
        if (bf16Saves) arena.reserve(STAGE_PROBS, largestPlane(xs, ks, h));
        Tensor qt = restored(qName, STAGE_Q, n, qw);
        Tensor kt = restored(kName, STAGE_K, nk, kw);
        Tensor vt = restored(vName, STAGE_V, nk, kw);
        Tensor ctx = bf16Saves ? arena.getBf16(ctxName, n, qw) : arena.get(ctxName, n, qw);
        Tensor probs = bf16Saves ? arena.getBf16(probsName, (int) probsSize) : arena.get(probsName, (int) probsSize);
        Tensor dCtx = arena.get("scratch.attn.dctx", n, qw);
        Tensor dq = arena.get("scratch.attn.dq", n, qw);
        Tensor dk = arena.get("scratch.attn.dk", nk, kw);
        Tensor dv = arena.get("scratch.attn.dv", nk, kw);
        boolean biasGradient = bias != null && bias.wantsGradient();
        int maxPlane = 0;
        for (int s = 0; biasGradient && s < xs.count(); s++) maxPlane = Math.max(maxPlane, h * xs.length(s) * ks.length(s));
        if (biasGradient) arena.reserve("scratch.attn.dbias", maxPlane);
        o.backward(ctx, dOut, dCtx, false);
        long pOff = 0;
        for (int s = 0; s < xs.count(); s++) {
            int tq = xs.length(s), tk = ks.length(s);
            Tensor p = probs.view(probs.name(), pOff, h, tq, tk);
            if (bf16Saves) {
                Tensor f = arena.get(STAGE_PROBS, h, tq, tk);
                ops.convert(p, f);
                p = f;
            }
            Tensor dBias = biasGradient ? arena.get("scratch.attn.dbias", h, tq, tk) : null;
            ops.attentionBackward(rows(qt, xs.start(s), tq, qw), rows(kt, ks.start(s), tk, kw), rows(vt, ks.start(s), tk, kw),
                    h, shape.kvHeads(), shape.scale(), p, rows(dCtx, xs.start(s), tq, qw),
                    rows(dq, xs.start(s), tq, qw), rows(dk, ks.start(s), tk, kw), rows(dv, ks.start(s), tk, kw), dBias);
            if (biasGradient) bias.backward(s, dBias);
            pOff += (long) h * tq * tk;
        }
        if (shape.rope()) {
            ops.ropeBackward(dq, h, xs.positions(), shape.ropeInverseFrequencies());
            ops.ropeBackward(dk, shape.kvHeads(), ks.positions(), shape.ropeInverseFrequencies());
        }
        q.backward(x, dq, dx, accumulateDx);
        if (self) {
            k.backward(src, dk, dx, true);
            v.backward(src, dv, dx, true);
        } else {
            k.backward(src, dk, dMemory, accumulateDMemory);
            v.backward(src, dv, dMemory, true);
        }
    }

    /**
     * One decoding step of causal self-attention over a cache: x [n, d] are the rows at positions
     * {@code cache.length() ..}; their keys and values (after RoPE) are written into layer {@code layer} of the cache
     * at those positions, and each row attends to every cached position up to its own. {@code bias}: null or
     * [heads, n, cache.length() + n]. out [n, d] overwritten or added to. The caller advances the cache after the
     * last layer. Saves nothing (no backward).
     */
    public void decodeSelf(Tensor x, KvCache cache, int layer, Tensor bias, Tensor out, boolean accumulateOut) {
        int n = x.dim(0), start = cache.length(), total = start + n, qw = shape.qWidth(), h = shape.heads();
        cache.ensureRoom(n);
        Tensor qt = arena.get("scratch.decode.q", n, qw);
        Tensor kNew = cache.keys(layer, start, n);
        q.forward(x, qt, false);
        k.forward(x, kNew, false);
        v.forward(x, cache.values(layer, start, n), false);
        if (shape.rope()) {
            int[] pos = new int[n];
            for (int i = 0; i < n; i++) pos[i] = start + i;
            ops.ropeForward(qt, h, pos, shape.ropeInverseFrequencies());
            ops.ropeForward(kNew, shape.kvHeads(), pos, shape.ropeInverseFrequencies());
        }
        attendCached(qt, cache, layer, total, shape.causal(), start, bias, out, accumulateOut);
    }

    /** Fills layer {@code layer} of a cross-attention cache with k(memory) and v(memory), rows [0, memory rows). */
    public void fillCross(Tensor memory, KvCache cache, int layer) {
        int nk = memory.dim(0);
        if (nk > cache.capacity()) throw new SculptException("cross-attention cache of " + cache.capacity() + " positions cannot hold " + nk + " encoder rows");
        k.forward(memory, cache.keys(layer, 0, nk), false);
        v.forward(memory, cache.values(layer, 0, nk), false);
    }

    /**
     * One decoding step of cross-attention: x [n, d] attends (bidirectionally) to the first {@code cache.length()}
     * rows of a filled cross-attention cache. {@code bias}: null or [heads, n, cache.length()].
     */
    public void decodeCross(Tensor x, KvCache cache, int layer, Tensor bias, Tensor out, boolean accumulateOut) {
        int n = x.dim(0);
        Tensor qt = arena.get("scratch.decode.q", n, shape.qWidth());
        q.forward(x, qt, false);
        attendCached(qt, cache, layer, cache.length(), false, 0, bias, out, accumulateOut);
    }

    private void attendCached(Tensor qt, KvCache cache, int layer, int total, boolean causal, int qStart, Tensor bias,
                              Tensor out, boolean accumulateOut) {
        int n = qt.dim(0), h = shape.heads();
        // one reservation covers the prompt step (n x total) and every later one-row step (at most capacity keys)
        arena.reserve("scratch.decode.probs", (long) h * Math.max((long) n * total, cache.capacity()));
        Tensor probs = arena.get("scratch.decode.probs", h, n, total);
        Tensor ctx = arena.get("scratch.decode.ctx", n, shape.qWidth());
        ops.attentionForward(qt, cache.keys(layer, 0, total), cache.values(layer, 0, total), h, shape.kvHeads(), shape.scale(),
                causal, qStart, bias, probs, ctx);
        o.forward(ctx, out, accumulateOut);
    }
}
