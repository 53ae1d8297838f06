package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.Device;

/**
 * The argument checks of the {@link Ops} contract, once for every provider: each tensor on the provider's device,
 * exact shapes, sizes and ids in range, each error naming the provider and the tensor. A provider calls the check of
 * an op first and works with the sizes it returns; a refused call has written nothing.
 */
public final class OpArguments {
    private final Device device;
    private final String provider;

    public OpArguments(Device device, String provider) {
        this.device = device;
        this.provider = provider;
    }

    /** {@code t} lives on this provider's device (and is open). */
    public Tensor on(String role, Tensor t) {
        return TensorChecks.on(device, provider, role, t);
    }

    /** {@code t} lives on this provider's device (and is open), float32 or bf16. */
    public Tensor operand(String role, Tensor t) {
        return TensorChecks.onAnyType(device, provider, role, t);
    }

    /** A convert: src and dst on this device, equal sizes, different dtypes; returns the size. */
    public long convert(Tensor src, Tensor dst) {
        operand("convert source", src);
        operand("convert destination", dst);
        TensorChecks.size(provider, "convert destination", dst, src.size());
        if (src.dtype() == dst.dtype()) {
            throw error("convert source " + src.describe() + " and destination " + dst.describe() + " both hold "
                    + src.dtype() + " elements; use copy");
        }
        return src.size();
    }

    public void shape(String role, Tensor t, int... shape) {
        TensorChecks.shape(provider, role, t, shape);
    }

    private SculptException error(String message) {
        return new SculptException(provider + ": " + message);
    }

    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, Tensor a, long aOff, int lda, long strideA,
                     Tensor b, long bOff, int ldb, long strideB, Tensor c, long cOff, int ldc, long strideC) {
        if (batch < 0 || m < 0 || n < 0 || k < 0) {
            throw error("gemm sizes must be >= 0, got batch " + batch + ", m " + m + ", n " + n + ", k " + k);
        }
        operand("gemm A", a);
        operand("gemm B", b);
        on("gemm C", c);
        if (strideC == 0 && batch > 1) throw error("gemm C '" + c.name() + "' has stride 0 over a batch of " + batch);
        TensorChecks.gemmOperand(provider, "A", a, aOff, lda, strideA, batch, transA ? k : m, transA ? m : k);
        TensorChecks.gemmOperand(provider, "B", b, bOff, ldb, strideB, batch, transB ? n : k, transB ? k : n);
        TensorChecks.gemmOperand(provider, "C", c, cOff, ldc, strideC, batch, m, n);
    }

    /** The sizes of {@code C = op(A) op(B)}: {m, n, k, A's row stride, B's, C's}. */
    public int[] matmul(boolean transA, boolean transB, Tensor a, Tensor b, Tensor c) {
        operand("matmul A", a);
        operand("matmul B", b);
        on("matmul C", c);
        int[] as = TensorChecks.matrix(provider, "matmul A", a);
        int[] bs = TensorChecks.matrix(provider, "matmul B", b);
        int[] cs = TensorChecks.matrix(provider, "matmul C", c);
        int m = transA ? as[1] : as[0], k = transA ? as[0] : as[1];
        int kb = transB ? bs[1] : bs[0], n = transB ? bs[0] : bs[1];
        if (kb != k) throw error("matmul inner sizes differ: A '" + a.name() + "' gives " + k + ", B '" + b.name() + "' gives " + kb);
        shape("matmul C", c, m, n);
        return new int[] {m, n, k, as[1], bs[1], cs[1]};
    }

    /** {rows, width} of an RMSNorm forward. */
    public int[] rmsNormForward(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        on("rmsnorm x", x);
        on("rmsnorm weight", w);
        on("rmsnorm y", y);
        on("rmsnorm rstd", rstd);
        int[] s = rmsRows(x);
        shape("rmsnorm weight", w, s[1]);
        shape("rmsnorm y", y, s[0], s[1]);
        shape("rmsnorm rstd", rstd, s[0]);
        if (!(eps > 0)) throw error("rmsnorm epsilon must be > 0, got " + eps);
        return s;
    }

    /** {rows, width} of an RMSNorm backward. */
    public int[] rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor dy, Tensor dx, Tensor dw) {
        on("rmsnorm x", x);
        on("rmsnorm weight", w);
        on("rmsnorm rstd", rstd);
        on("rmsnorm dy", dy);
        on("rmsnorm dx", dx);
        on("rmsnorm dweight", dw);
        int[] s = rmsRows(x);
        shape("rmsnorm weight", w, s[1]);
        shape("rmsnorm rstd", rstd, s[0]);
        shape("rmsnorm dy", dy, s[0], s[1]);
        shape("rmsnorm dx", dx, s[0], s[1]);
        shape("rmsnorm dweight", dw, s[1]);
        return s;
    }

    private int[] rmsRows(Tensor x) {
        int[] s = TensorChecks.matrix(provider, "rmsnorm x", x);
        if (s[1] == 0) throw error("rmsnorm x '" + x.name() + "' has no columns");
        return s;
    }

    /** A RoPE call: inverse frequencies present, heads > 0, x [positions, heads * 2 * frequencies], positions >= 0. */
    public void rope(String role, Tensor x, int heads, int[] positions, float[] invFreq) {
        on(role, x);
        if (invFreq == null || invFreq.length == 0) throw error("rope needs inverse frequencies");
        if (heads <= 0) throw error("rope heads must be > 0, got " + heads);
        if (positions == null) throw error("rope positions are missing (null)");
        shape(role, x, positions.length, heads * 2 * invFreq.length);
        for (int r = 0; r < positions.length; r++) {
            if (positions[r] < 0) throw error("rope position " + positions[r] + " at row " + r + " is negative");
        }
    }

    /** {tq, tk, head dim} of an attention forward. */
    public int[] attentionForward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, boolean causal, int qStart,
                                  Tensor bias, Tensor probs, Tensor out) {
        on("attention probs", probs);
        on("attention out", out);
        int[] t = attentionShapes(q, k, v, heads, kvHeads);
        int tq = t[0], tk = t[1], d = t[2];
        if (bias != null) {
            on("attention bias", bias);
            shape("attention bias", bias, heads, tq, tk);
        }
        shape("attention probs", probs, heads, tq, tk);
        shape("attention out", out, tq, heads * d);
        if (causal && (qStart < 0 || qStart + tq > tk)) {
            throw error("causal attention needs 0 <= qStart and qStart + tq <= tk, got qStart " + qStart
                    + ", tq " + tq + ", tk " + tk + " (q '" + q.name() + "', k '" + k.name() + "')");
        }
        return t;
    }

    /** {tq, tk, head dim} of an attention backward. */
    public int[] attentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, Tensor probs, Tensor dOut,
                                   Tensor dq, Tensor dk, Tensor dv, Tensor dBias) {
        on("attention probs", probs);
        on("attention dout", dOut);
        on("attention dq", dq);
        on("attention dk", dk);
        on("attention dv", dv);
        int[] t = attentionShapes(q, k, v, heads, kvHeads);
        int tq = t[0], tk = t[1], d = t[2];
        shape("attention probs", probs, heads, tq, tk);
        shape("attention dout", dOut, tq, heads * d);
        shape("attention dq", dq, tq, heads * d);
        shape("attention dk", dk, tk, kvHeads * d);
        shape("attention dv", dv, tk, kvHeads * d);
        if (dBias != null) {
            on("attention dbias", dBias);
            shape("attention dbias", dBias, heads, tq, tk);
        }
        return t;
    }

    private int[] attentionShapes(Tensor q, Tensor k, Tensor v, int heads, int kvHeads) {
        on("attention q", q);
        on("attention k", k);
        on("attention v", v);
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw error("attention heads " + heads + " must be a positive multiple of kv heads " + kvHeads);
        }
        int[] qs = TensorChecks.matrix(provider, "attention q", q);
        int[] ks = TensorChecks.matrix(provider, "attention k", k);
        if (qs[1] % heads != 0) throw error("attention q '" + q.name() + "' width " + qs[1] + " is not a multiple of " + heads + " heads");
        int d = qs[1] / heads;
        shape("attention k", k, ks[0], kvHeads * d);
        shape("attention v", v, ks[0], kvHeads * d);
        if (qs[0] == 0 || ks[0] == 0 || d == 0) throw error("attention needs non-empty q '" + q.name() + "' and k '" + k.name() + "'");
        return new int[] {qs[0], ks[0], d};
    }

    /** Element-wise operands of one size; returns it. */
    public long sameSize(String op, Tensor first, Tensor... rest) {
        on(op + " " + first.name(), first);
        for (Tensor t : rest) {
            on(op + " operand", t);
            TensorChecks.size(provider, op + " operand", t, first.size());
        }
        return first.size();
    }

    /** {rows, vocabulary} of cross-entropy logits with one target per row (ids in range, or {@code ignoreIndex}). */
    public int[] crossEntropy(Tensor logits, int[] targets, int ignoreIndex) {
        int[] s = TensorChecks.matrix(provider, "cross-entropy logits", logits);
        int n = s[0], vocab = s[1];
        if (targets == null || targets.length != n) {
            throw error("cross-entropy logits '" + logits.name() + "' have " + n + " rows but "
                    + (targets == null ? "no" : targets.length) + " targets");
        }
        TensorChecks.ids(provider, "cross-entropy target for logits '" + logits.name() + "'", targets, vocab, ignoreIndex);
        if (vocab == 0) throw error("cross-entropy logits '" + logits.name() + "' have no columns");
        return s;
    }
}
