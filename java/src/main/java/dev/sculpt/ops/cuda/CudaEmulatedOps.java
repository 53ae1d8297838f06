package dev.sculpt.ops.cuda;

import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_adamw;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_attention_softmax_backward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_attention_softmax_forward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_cross_entropy;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_embedding_backward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_embedding_forward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_gated_backward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_gated_forward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_logsumexp_rows;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_reduce;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_relu_backward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_relu_forward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_rmsnorm_backward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_rmsnorm_forward;
import static dev.sculpt.ops.cuda.CudaEmulatedKernels.sculpt_rope;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.OpArguments;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.TensorChecks;
import dev.sculpt.tensor.Device;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The {@code cuda-emulated} provider: every op runs the device code path of a CUDA provider, with the GPU
 * replaced by the host. The training engine's CUDA sources (native/cuda/engine_*.cu: kernels plus their host
 * launch wrappers, with their launch configurations) are built by g++ under the thread-emulation shim into
 * libsculpt_cuda_emulated.so ({@link CudaEmulatedKernels}); OpenBLAS's cblas stands in for cuBLAS (gemm, axpy);
 * memcpy/memset stand in for cudaMemcpy/cudaMemset. Its tensors are {@link Device#CUDA} tensors whose addresses
 * are host memory, so a host tensor given to it is refused like on a GPU. No op falls back to Java arithmetic;
 * Java only checks arguments, slices, and adds the reduction kernel's per-block partials.
 *
 * <p>Where the kernels' API differs from {@link Ops}, this provider adapts with further kernel calls:
 * <ul>
 *   <li>RoPE: {@code sculpt_rope} rotates rows at contiguous positions from a start; per-row positions are split
 *       into runs of consecutive positions, one launch per run (one per packed sequence in training).</li>
 *   <li>Cross-entropy: {@code sculpt_cross_entropy} fuses the loss and its gradient and saves no statistic. The
 *       forward calls it without a gradient and gets lse from {@code sculpt_logsumexp_rows}; the backward calls it
 *       again with the gradient, which recomputes the row's log-sum-exp in the kernel, so the {@code lse} argument
 *       is checked but not read.</li>
 *   <li>Attention: per-head gemms around the softmax kernels ({@code sculpt_attention_softmax_forward/backward}),
 *       one softmax launch over all heads.</li>
 *   <li>Reductions: {@code sculpt_reduce} (engine_reduce.cu) writes per-block double partials, added here.</li>
 *   <li>The OSFT projection: gemms only, as the CPU provider.</li>
 * </ul>
 *
 * <p>The emulation runs one host thread per CUDA thread, a block at a time: it is for checking the device code
 * path on tiny sizes, not for speed. Keeps one growable scratch buffer; not thread-safe.
 */
public final class CudaEmulatedOps implements Ops {
    /** The name {@code OpsProviders} selects this provider by. */
    public static final String NAME = "cuda-emulated";
    private static final int FLOAT = DType.FLOAT32.bytes();
    private static final int REDUCE_BLOCK = 256;   // REDUCE_THREADS in engine_reduce.cu
    private static final int REDUCE_MAX_BLOCKS = 64;
    private long scratch;        // host address standing in for device memory; 0 when none
    private long scratchFloats;

    /** Throws a SculptException saying why when the emulated library does not load here. */
    public CudaEmulatedOps() {
        if (!CudaEmulatedLibrary.loaded()) throw new SculptException(CudaEmulatedLibrary.unavailableReason());
    }

    @Override public String name() { return NAME; }

    @Override public Device device() { return Device.CUDA; }

    @Override public String describe() {
        return NAME + " (the engine's CUDA kernels and launch wrappers built by g++, one CPU thread per CUDA thread; "
                + "OpenBLAS in place of cuBLAS)";
    }

    // ---------------------------------------------------------------- plumbing

    /** A borrowed JavaCPP pointer at a raw address. */
    private static final class Address extends Pointer {
        Address(long a) {
            address = a;
        }
    }

    private static FloatPointer fp(long address) { return new FloatPointer(new Address(address)); }

    private static void check(int err, String what) {
        if (err != 0) {
            String text = err == 1 ? "invalid value" : err == 9 ? "invalid launch configuration" : "error";
            throw new SculptException(NAME + ": " + what + " failed: cudaError " + err + " (" + text + ")");
        }
    }

    private final OpArguments args = new OpArguments(Device.CUDA, NAME);

    private Tensor on(String role, Tensor t) {
        return args.on(role, t);
    }

    private void shape(String role, Tensor t, int... shape) {
        args.shape(role, t, shape);
    }

    private static long addr(Tensor t) { return t.deviceAddress(); }

    private static long at(Tensor t, long element) { return t.deviceAddress() + element * FLOAT; }

    /** Scratch of at least n floats (its old contents are not kept). */
    private long scratch(long n) {
        if (scratchFloats < n) {
            long size = Math.max(n, scratchFloats * 2);
            Pointer p = Pointer.calloc(size, FLOAT);
            if (p == null || p.isNull()) throw new SculptException(NAME + ": out of memory for " + size + " scratch floats");
            if (scratch != 0) Pointer.free(new Address(scratch));
            scratch = p.address();
            scratchFloats = size;
        }
        return scratch;
    }

    // ---------------------------------------------------------------- memory

    @Override public Tensor allocate(String name, int... shape) {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, (long) Math.max(d, 0));
        Pointer p = Pointer.calloc(Math.max(1, n), FLOAT);
        if (p == null || p.isNull()) throw new SculptException(NAME + ": out of memory for tensor '" + name + "' of " + n + " floats");
        long a = p.address();
        try {
            return Tensor.wrapDevice(name, a, () -> Pointer.free(new Address(a)), shape);
        } catch (RuntimeException e) {
            Pointer.free(p);
            throw e;
        }
    }

    @Override public Tensor upload(Tensor host, String name) {
        TensorChecks.on(Device.HOST, NAME, "upload source", host);
        Tensor t = allocate(name, host.shape());
        Pointer.memcpy(new Address(addr(t)), host.hostPointer(0), host.size() * FLOAT);
        return t;
    }

    @Override public Tensor download(Tensor t, String name) {
        on("download source", t);
        Tensor h = Tensor.allocateHost(name, t.shape());
        Pointer.memcpy(h.hostPointer(0), new Address(addr(t)), t.size() * FLOAT);
        return h;
    }

    @Override public void copy(Tensor src, Tensor dst) {
        on("copy source", src);
        on("copy destination", dst);
        TensorChecks.size(NAME, "copy destination", dst, src.size());
        Pointer.memmove(new Address(addr(dst)), new Address(addr(src)), src.size() * FLOAT);
    }

    @Override public void zero(Tensor x) {
        on("zeroed", x);
        Pointer.memset(new Address(addr(x)), 0, x.size() * FLOAT);
    }

    @Override public void axpy(float alpha, Tensor x, Tensor y) {
        on("axpy x", x);
        on("axpy y", y);
        TensorChecks.size(NAME, "axpy y", y, x.size());
        for (long done = 0, n = x.size(); done < n; done += Integer.MAX_VALUE) {
            int len = (int) Math.min(Integer.MAX_VALUE, n - done);
            openblas.cblas_saxpy(len, alpha, fp(at(x, done)), 1, fp(at(y, done)), 1);   // cublasSaxpy's stand-in
        }
    }

    // ---------------------------------------------------------------- matrix products (cuBLAS's stand-in)

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, long aOff, int lda, long strideA, Tensor b, long bOff, int ldb, long strideB,
                     float beta, Tensor c, long cOff, int ldc, long strideC) {
        args.gemm(transA, transB, batch, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC);
        if (m == 0 || n == 0) return;
        for (int i = 0; i < batch; i++) {
            long ci = cOff + i * strideC;
            if (k == 0) {
                // cuBLAS scales C by beta (beta = 0 writes zeros) when k = 0; cblas may skip the call entirely
                for (int r = 0; r < m; r++) {
                    FloatPointer row = fp(at(c, ci + (long) r * ldc));
                    if (beta == 0f) Pointer.memset(row, 0, (long) n * FLOAT);
                    else openblas.cblas_sscal(n, beta, row, 1);
                }
                continue;
            }
            openblas.cblas_sgemm(openblas.CblasRowMajor,
                    transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                    transB ? openblas.CblasTrans : openblas.CblasNoTrans,
                    m, n, k, alpha, fp(at(a, aOff + i * strideA)), lda, fp(at(b, bOff + i * strideB)), ldb,
                    beta, fp(at(c, ci)), ldc);
        }
    }

    /** gemm on raw addresses inside this provider (scratch operands), already checked by the caller. */
    private static void rawGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                                long b, int ldb, float beta, long c, int ldc) {
        if (m == 0 || n == 0 || k == 0) throw new IllegalStateException("rawGemm needs non-empty sizes");
        openblas.cblas_sgemm(openblas.CblasRowMajor, transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans, m, n, k, alpha, fp(a), lda, fp(b), ldb, beta, fp(c), ldc);
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void rmsNormForward(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        int[] s = args.rmsNormForward(x, w, eps, y, rstd);
        int n = s[0], d = s[1];
        check(sculpt_rmsnorm_forward(addr(y), addr(rstd), addr(x), addr(w), n, d, eps, 0), "sculpt_rmsnorm_forward");
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor dy, Tensor dx, Tensor dw) {
        int[] s = args.rmsNormBackward(x, w, rstd, dy, dx, dw);
        int n = s[0], d = s[1];
        check(sculpt_rmsnorm_backward(addr(dx), addr(dw), addr(dy), addr(x), addr(w), addr(rstd), n, d, 0, 0),
                "sculpt_rmsnorm_backward");
    }

    // ---------------------------------------------------------------- rotary embedding

    @Override
    public void ropeForward(Tensor x, int heads, int[] positions, float[] invFreq) {
        rope(x, heads, positions, invFreq, false, "rope x");
    }

    @Override
    public void ropeBackward(Tensor dx, int heads, int[] positions, float[] invFreq) {
        rope(dx, heads, positions, invFreq, true, "rope dx");
    }

    private void rope(Tensor x, int heads, int[] positions, float[] invFreq, boolean backward, String role) {
        args.rope(role, x, heads, positions, invFreq);
        int headDim = 2 * invFreq.length;
        long width = (long) heads * headDim;
        try (FloatPointer freq = new FloatPointer(invFreq)) {   // the device upload of the frequencies
            // one launch per run of consecutive positions (sculpt_rope takes a start position)
            for (int start = 0; start < positions.length; ) {
                int end = start + 1;
                while (end < positions.length && positions[end] == positions[end - 1] + 1) end++;
                check(sculpt_rope(at(x, start * width), end - start, heads, headDim, positions[start], freq.address(),
                        backward ? 1 : 0, 0), "sculpt_rope");
                start = end;
            }
        }
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, boolean causal,
                                 int qStart, Tensor bias, Tensor probs, Tensor out) {
        int[] t = args.attentionForward(q, k, v, heads, kvHeads, causal, qStart, bias, probs, out);
        int tq = t[0], tk = t[1], d = t[2];
        int group = heads / kvHeads, qw = heads * d, kw = kvHeads * d;
        long plane = (long) tq * tk;
        for (int h = 0; h < heads; h++) {   // scores_h = scale q_h k_g^T into probs plane h
            rawGemm(false, true, tq, tk, d, scale, at(q, (long) h * d), qw, at(k, (long) (h / group) * d), kw,
                    0f, at(probs, h * plane), tk);
        }
        check(sculpt_attention_softmax_forward(addr(probs), bias == null ? 0 : addr(bias), heads, tq, tk,
                causal ? qStart : 0, causal ? 1 : 0, 0), "sculpt_attention_softmax_forward");
        for (int h = 0; h < heads; h++) {   // out_h = p_h v_g
            rawGemm(false, false, tq, d, tk, 1f, at(probs, h * plane), tk, at(v, (long) (h / group) * d), kw,
                    0f, at(out, (long) h * d), qw);
        }
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, Tensor probs,
                                  Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Tensor dBias) {
        int[] t = args.attentionBackward(q, k, v, heads, kvHeads, probs, dOut, dq, dk, dv, dBias);
        int tq = t[0], tk = t[1], d = t[2];
        int group = heads / kvHeads, qw = heads * d, kw = kvHeads * d;
        long plane = (long) tq * tk;
        long ds = scratch(heads * plane);
        zero(dk);
        zero(dv);
        for (int h = 0; h < heads; h++) {
            long g = (long) (h / group) * d;
            // dv_g += p_h^T dout_h ; dP_h = dout_h v_g^T into scratch plane h
            rawGemm(true, false, tk, d, tq, 1f, at(probs, h * plane), tk, at(dOut, (long) h * d), qw, 1f, at(dv, g), kw);
            rawGemm(false, true, tq, tk, d, 1f, at(dOut, (long) h * d), qw, at(v, g), kw, 0f, ds + h * plane * FLOAT, tk);
        }
        // dS = p * (dP - sum_j p dP) for all heads' rows, in place
        check(sculpt_attention_softmax_backward(ds, ds, addr(probs), heads * tq, tk, 0), "sculpt_attention_softmax_backward");
        if (dBias != null) Pointer.memcpy(new Address(addr(dBias)), new Address(ds), heads * plane * FLOAT);
        for (int h = 0; h < heads; h++) {
            long g = (long) (h / group) * d;
            // dq_h = scale dS_h k_g ; dk_g += scale dS_h^T q_h
            rawGemm(false, false, tq, d, tk, scale, ds + h * plane * FLOAT, tk, at(k, g), kw, 0f, at(dq, (long) h * d), qw);
            rawGemm(true, false, tk, d, tq, scale, ds + h * plane * FLOAT, tk, at(q, (long) h * d), qw, 1f, at(dk, g), kw);
        }
    }

    // ---------------------------------------------------------------- activations

    private long sameSize(String op, Tensor first, Tensor... rest) {
        return args.sameSize(op, first, rest);
    }

    private static final int SWIGLU = 0;   // the kind argument of sculpt_gated_*
    private static final int GELU_TANH = 1;

    @Override public void swigluForward(Tensor gate, Tensor up, Tensor h) {
        long n = sameSize("swiglu", gate, up, h);
        check(sculpt_gated_forward(addr(h), addr(gate), addr(up), n, SWIGLU, 0), "sculpt_gated_forward (swiglu)");
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dh, Tensor dGate, Tensor dUp) {
        long n = sameSize("swiglu", gate, up, dh, dGate, dUp);
        check(sculpt_gated_backward(addr(dGate), addr(dUp), addr(dh), addr(gate), addr(up), n, SWIGLU, 0),
                "sculpt_gated_backward (swiglu)");
    }

    @Override public void gatedGeluForward(Tensor a, Tensor b, Tensor h) {
        long n = sameSize("gated gelu", a, b, h);
        check(sculpt_gated_forward(addr(h), addr(a), addr(b), n, GELU_TANH, 0), "sculpt_gated_forward (gelu)");
    }

    @Override public void gatedGeluBackward(Tensor a, Tensor b, Tensor dh, Tensor da, Tensor db) {
        long n = sameSize("gated gelu", a, b, dh, da, db);
        check(sculpt_gated_backward(addr(da), addr(db), addr(dh), addr(a), addr(b), n, GELU_TANH, 0), "sculpt_gated_backward (gelu)");
    }

    @Override public void reluForward(Tensor x, Tensor y) {
        long n = sameSize("relu", x, y);
        check(sculpt_relu_forward(addr(y), addr(x), n, 0), "sculpt_relu_forward");
    }

    @Override public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        long n = sameSize("relu", x, dy, dx);
        check(sculpt_relu_backward(addr(dx), addr(dy), addr(x), n, 0), "sculpt_relu_backward");
    }

    // ---------------------------------------------------------------- embedding

    @Override public void embeddingForward(Tensor table, int[] ids, Tensor out) {
        on("embedding table", table);
        on("embedding out", out);
        int[] s = TensorChecks.matrix(NAME, "embedding table", table);
        TensorChecks.ids(NAME, "embedding table '" + table.name() + "'", ids, s[0], null);
        shape("embedding out", out, ids.length, s[1]);
        if (ids.length == 0 || s[1] == 0) return;
        try (IntPointer dev = new IntPointer(ids)) {   // the device upload of the ids
            check(sculpt_embedding_forward(addr(out), addr(table), dev.address(), ids.length, s[1], 0), "sculpt_embedding_forward");
        }
    }

    @Override public void embeddingBackward(int[] ids, Tensor dOut, Tensor dTable) {
        on("embedding dout", dOut);
        on("embedding dtable", dTable);
        int[] s = TensorChecks.matrix(NAME, "embedding dtable", dTable);
        TensorChecks.ids(NAME, "embedding dtable '" + dTable.name() + "'", ids, s[0], null);
        shape("embedding dout", dOut, ids.length, s[1]);
        if (ids.length == 0 || s[1] == 0) return;
        try (IntPointer dev = new IntPointer(ids)) {
            check(sculpt_embedding_backward(addr(dTable), addr(dOut), dev.address(), ids.length, s[1], 0), "sculpt_embedding_backward");
        }
    }

    // ---------------------------------------------------------------- loss

    private int[] crossEntropyShape(Tensor logits, int[] targets) {
        return args.crossEntropy(logits, targets, IGNORE_INDEX);
    }

    @Override public void crossEntropyForward(Tensor logits, int[] targets, Tensor loss, Tensor lse) {
        on("cross-entropy logits", logits);
        on("cross-entropy loss", loss);
        on("cross-entropy lse", lse);
        int[] s = crossEntropyShape(logits, targets);
        int n = s[0], vocab = s[1];
        shape("cross-entropy loss", loss, n);
        shape("cross-entropy lse", lse, n);
        if (n == 0) return;
        try (IntPointer dev = new IntPointer(targets)) {
            check(sculpt_cross_entropy(0, addr(loss), addr(logits), dev.address(), n, vocab, 0f, 0), "sculpt_cross_entropy (loss)");
        }
        check(sculpt_logsumexp_rows(addr(lse), addr(logits), n, vocab, 0), "sculpt_logsumexp_rows");
    }

    @Override public void crossEntropyBackward(Tensor logits, Tensor lse, int[] targets, float scale, Tensor dLogits) {
        on("cross-entropy logits", logits);
        on("cross-entropy lse", lse);
        on("cross-entropy dlogits", dLogits);
        int[] s = crossEntropyShape(logits, targets);
        int n = s[0], vocab = s[1];
        shape("cross-entropy lse", lse, n);
        shape("cross-entropy dlogits", dLogits, n, vocab);
        if (n == 0) return;
        long losses = scratch(n);   // the fused kernel's per-row losses, not needed here
        try (IntPointer dev = new IntPointer(targets)) {
            check(sculpt_cross_entropy(addr(dLogits), losses, addr(logits), dev.address(), n, vocab, scale, 0),
                    "sculpt_cross_entropy (gradient)");
        }
    }

    // ---------------------------------------------------------------- optimizer and projection

    @Override public void adamwUpdate(Tensor w, Tensor g, Tensor m, Tensor v, Tensor delta, AdamWStep step) {
        long n = sameSize("adamw", w, g, m, v, delta);
        float b1 = step.beta1(), b2 = step.beta2();
        if (!(step.eps() > 0)) throw new SculptException(NAME + ": adamw epsilon must be > 0, got " + step.eps());
        check(sculpt_adamw(addr(delta), addr(m), addr(v), addr(g), addr(w), n, b1, 1 - b1, b2, 1 - b2, step.stepSize(),
                step.invSqrtBiasCorrection2(), step.eps(), step.lr() * step.weightDecay(), 0), "sculpt_adamw");
    }

    @Override public void project(Tensor d, Tensor u, Tensor v, ProjectionMode mode) {
        on("projected update", d);
        on("projection left basis", u);
        on("projection right basis", v);
        int[] ds = TensorChecks.matrix(NAME, "projected update", d);
        int[] us = TensorChecks.matrix(NAME, "projection left basis", u);
        int rows = ds[0], cols = ds[1], k = us[1];
        shape("projection left basis", u, rows, k);
        shape("projection right basis", v, cols, k);
        if (mode == null) throw new SculptException(NAME + ": projection mode is missing (null)");
        if (k == 0 || rows == 0 || cols == 0) return;
        long base = scratch((long) k * cols + (long) rows * k + (long) k * k);
        long ud = base, dv = base + (long) k * cols * FLOAT, udv = dv + (long) rows * k * FLOAT;
        long pd = addr(d), pu = addr(u), pv = addr(v);
        switch (mode) {
            case LEFT -> removeLeft(pd, pu, rows, cols, k, ud);
            case RIGHT -> removeRight(pd, pv, rows, cols, k, dv);
            case TWO_SIDED -> {   // (I - u u^T) d (I - v v^T): left removal, then right removal of the result
                removeLeft(pd, pu, rows, cols, k, ud);
                removeRight(pd, pv, rows, cols, k, dv);
            }
            case HIGH_BLOCK -> {   // d -= u (u^T d v) v^T
                rawGemm(true, false, k, cols, rows, 1f, pu, k, pd, cols, 0f, ud, cols);
                rawGemm(false, false, k, k, cols, 1f, ud, cols, pv, k, 0f, udv, k);
                rawGemm(false, false, rows, k, k, 1f, pu, k, udv, k, 0f, dv, k);
                rawGemm(false, true, rows, cols, k, -1f, dv, k, pv, k, 1f, pd, cols);
            }
            default -> throw new SculptException(NAME + ": unsupported projection mode " + mode);
        }
    }

    private static void removeLeft(long d, long u, int rows, int cols, int k, long ud) {
        rawGemm(true, false, k, cols, rows, 1f, u, k, d, cols, 0f, ud, cols);
        rawGemm(false, false, rows, cols, k, -1f, u, k, ud, cols, 1f, d, cols);
    }

    private static void removeRight(long d, long v, int rows, int cols, int k, long dv) {
        rawGemm(false, false, rows, k, cols, 1f, d, cols, v, k, 0f, dv, k);
        rawGemm(false, true, rows, cols, k, -1f, dv, k, v, k, 1f, d, cols);
    }

    // ---------------------------------------------------------------- reductions

    private static final int SUM = 0, SUM_OF_SQUARES = 1, NON_FINITE = 2;   // the op argument of sculpt_reduce

    private double reduce(Tensor x, int op, String role) {
        on(role, x);
        long n = x.size();
        int blocks = (int) Math.max(1, Math.min(REDUCE_MAX_BLOCKS, (n + REDUCE_BLOCK - 1) / REDUCE_BLOCK));
        try (DoublePointer partials = new DoublePointer(blocks)) {   // device partials; here the copy back is free
            check(sculpt_reduce(addr(x), n, op, partials.address(), blocks, 0), "sculpt_reduce");
            double s = 0;
            for (int b = 0; b < blocks; b++) s += partials.get(b);
            return s;
        }
    }

    @Override public double sum(Tensor x) { return reduce(x, SUM, "summed"); }

    @Override public double sumOfSquares(Tensor x) { return reduce(x, SUM_OF_SQUARES, "squared-sum"); }

    @Override public long nonFiniteCount(Tensor x) { return (long) reduce(x, NON_FINITE, "finiteness-checked"); }

    @Override public void close() {
        if (scratch != 0) {
            Pointer.free(new Address(scratch));
            scratch = 0;
            scratchFloats = 0;
        }
    }
}
