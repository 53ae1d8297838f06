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
 */
public final class AttentionBlock {
    private final Ops ops;
    private final Arena arena;
    private final String prefix;
    private final AttentionShape shape;
    private final Linear q, k, v, o;
    private final String qName, kName, vName, ctxName, probsName;

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
        Tensor qt = arena.get(qName, n, qw);
        Tensor kt = arena.get(kName, nk, kw);
        Tensor vt = arena.get(vName, nk, kw);
        Tensor ctx = arena.get(ctxName, n, qw);
        arena.reserve(probsName, probsSize);
        Tensor probs = arena.get(probsName, (int) probsSize);
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
            Tensor p = probs.view(probs.name(), pOff, h, tq, tk);
            ops.attentionForward(rows(qt, xs.start(s), tq, qw), rows(kt, ks.start(s), tk, kw), rows(vt, ks.start(s), tk, kw),
                    h, shape.kvHeads(), shape.scale(), shape.causal(), 0, bias == null ? null : bias.bias(s, tq, tk),
                    p, rows(ctx, xs.start(s), tq, qw));
            pOff += (long) h * tq * tk;
        }
        o.forward(ctx, out, accumulateOut);
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
        Tensor qt = arena.get(qName, n, qw);
        Tensor kt = arena.get(kName, nk, kw);
        Tensor vt = arena.get(vName, nk, kw);
        Tensor ctx = arena.get(ctxName, n, qw);
        Tensor probs = arena.get(probsName, (int) probsSize);
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
