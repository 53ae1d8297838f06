package dev.sculpt.ops.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.Bf16ProjectionScratch;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.OpArguments;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.ScalarSums;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.TensorChecks;
import dev.sculpt.tensor.Device;
import java.util.Arrays;
import java.util.Optional;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * The CUDA ops providers, one class over a {@link CudaRuntime}:
 * <ul>
 *   <li>{@code cuda}: {@link GpuRuntime}, a GPU with cuBLAS and the engine kernels of libsculpt_cuda.so on one stream;</li>
 *   <li>{@code cuda-emulated}: {@link EmulatedRuntime}, the same engine sources (native/cuda/engine_*.cu: kernels plus
 *       their host launch wrappers, with their launch configurations) built by g++ under the thread-emulation shim,
 *       OpenBLAS standing in for cuBLAS and host memory for device memory. It runs every device code path of this
 *       class, so the {@code cuda} provider's Java side is tested on machines without a GPU.</li>
 * </ul>
 * Tensors are {@link Device#CUDA} tensors from a {@link CachingArena} (no cudaMalloc/cudaFree per op once warm); a
 * host tensor given to an op is refused, naming it. No op falls back to Java arithmetic; Java only checks arguments
 * ({@link OpArguments}), slices, and adds the reduction kernel's per-block partials.
 *
 * <p>Where the kernels' API differs from {@link Ops}, this provider adapts with further kernel calls:
 * <ul>
 *   <li>RoPE: {@code sculpt_rope} rotates rows at contiguous positions from a start; per-row positions are split
 *       into runs of consecutive positions, one launch per run (one per packed sequence in training).</li>
 *   <li>Cross-entropy: {@code sculpt_cross_entropy} fuses the loss and its gradient and saves no statistic. The
 *       forward calls it without a gradient and gets lse from {@code sculpt_logsumexp_rows}; the backward calls it
 *       again with the gradient, which recomputes the row's log-sum-exp in the kernel, so the {@code lse} argument
 *       is checked but not read.</li>
 *   <li>Attention: strided-batched gemms around the softmax kernels ({@code sculpt_attention_softmax_forward/backward},
 *       one launch over all heads); with GQA one batched gemm per query head of a group, batched over the groups.</li>
 *   <li>Reductions: {@code sculpt_reduce} (engine_reduce.cu) writes per-block double partials, copied back and added;
 *       {@link #scalarSums} adds them on the device instead ({@code sculpt_accumulate_partials}, same order), so
 *       that a training step reads back one block of doubles, not one per tensor.</li>
 *   <li>The OSFT projection: gemms only, as the CPU provider.</li>
 * </ul>
 * Token ids, targets and RoPE frequencies are copied to arena scratch on the stream before the launch that reads them.
 *
 * <p>Not thread-safe (one stream, one scratch arena); use one provider per training thread. Not final only for
 * {@link CudaEmulatedOps}, which fixes the runtime.
 */
public class CudaOps implements Ops {
    /** The GPU provider's name. */
    public static final String CUDA = "cuda";
    /** The host-emulated provider's name. */
    public static final String EMULATED = "cuda-emulated";
    private static final int FLOAT = DType.FLOAT32.bytes();
    private static final int REDUCE_BLOCK = 256;   // REDUCE_THREADS in engine_reduce.cu
    private static final int REDUCE_MAX_BLOCKS = 64;

    private final String name;
    private final CountingRuntime rt;
    private final EngineKernels kernels;
    private final long stream;
    private final CachingArena arena;
    private final ArenaMemory memory;
    private final OpArguments args;
    private boolean closed;

    CudaOps(String name, CudaRuntime runtime) {
        this.name = name;
        this.rt = new CountingRuntime(runtime);
        this.kernels = runtime.kernels();
        this.stream = runtime.stream();
        this.arena = new CachingArena(runtime, name);
        this.memory = new ArenaMemory(runtime, arena);
        this.args = new OpArguments(Device.CUDA, name);
    }

    /** The {@code cuda} provider on device 0; throws a SculptException saying what is missing where CUDA is unusable. */
    public static Ops gpu() {
        return new CudaOps(CUDA, new GpuRuntime());
    }

    /** The {@code cuda-emulated} provider; throws a SculptException saying why where its library does not load. */
    public static Ops emulated() {
        return new CudaEmulatedOps();
    }

    /**
     * The host-device copies this provider made since it was created (its own count; another provider's copies
     * are not in it): what a test reads to bound a training step's device-to-host traffic.
     */
    public Transfers transfers() { return rt.transfers(); }

    /** The memory arena (tests). */
    CachingArena arena() { return arena; }

    @Override public String name() { return name; }

    @Override public Device device() { return Device.CUDA; }

    @Override public String describe() { return name + " (" + rt.describe() + ")"; }

    @Override public Optional<DeviceMemory> memory() { return Optional.of(memory); }

    // ---------------------------------------------------------------- plumbing

    private void check(int err, String what) {
        if (err != 0) throw new SculptException(name + ": " + what + " failed: cudaError " + err + " (" + rt.errorText(err) + ")");
    }

    private Tensor on(String role, Tensor t) {
        return args.on(role, t);
    }

    private void shape(String role, Tensor t, int... shape) {
        args.shape(role, t, shape);
    }

    private static long addr(Tensor t) { return t.deviceAddress(); }

    private static long at(Tensor t, long element) { return t.deviceAddress() + element * t.dtype().bytes(); }

    /** Arena scratch for one op, returned to the arena's cache on close (the stream orders its reuse). */
    private final class Scratch implements AutoCloseable {
        final long address;

        Scratch(String what, long bytes) {
            address = arena.allocate("scratch for " + what, Math.max(1, bytes));
        }

        @Override public void close() { arena.release(address); }
    }

    private Scratch ints(String what, int[] values) {
        Scratch s = new Scratch(what, (long) values.length * Integer.BYTES);
        try (IntPointer host = new IntPointer(values)) {
            rt.copyToDevice(s.address, host.address(), (long) values.length * Integer.BYTES);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private Scratch floats(String what, float[] values) {
        Scratch s = new Scratch(what, (long) values.length * FLOAT);
        try (FloatPointer host = new FloatPointer(values)) {
            rt.copyToDevice(s.address, host.address(), (long) values.length * FLOAT);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /** One row-major product on raw addresses inside this provider, already checked by the caller. */
    private void rawGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                         float beta, long c, int ldc) {
        rawGemm(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
    }

    private void rawGemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                         long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0 || k == 0 || batch == 0) throw new IllegalStateException("rawGemm needs non-empty sizes");
        rt.gemm(transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
    }

    // ---------------------------------------------------------------- memory

    @Override public Tensor allocate(String tensorName, int... shape) {
        return allocate(tensorName, DType.FLOAT32, shape);
    }

    @Override public Tensor allocate(String tensorName, DType dtype, int... shape) {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, (long) Math.max(d, 0));
        long bytes = Math.max(1, n) * dtype.bytes();
        String what = "tensor '" + tensorName + "' " + Arrays.toString(shape) + (dtype == DType.FLOAT32 ? "" : " " + dtype);
        long a = arena.allocate(what, tensorName, bytes);
        try {
            rt.zero(a, bytes);
            return Tensor.wrapDevice(tensorName, dtype, a, () -> arena.release(a), shape);
        } catch (RuntimeException e) {
            arena.release(a);
            throw e;
        }
    }

    @Override public Tensor upload(Tensor host, String tensorName) {
        TensorChecks.on(Device.HOST, name, "upload source", host);
        Tensor t = allocate(tensorName, host.shape());
        try {
            rt.copyToDevice(addr(t), host.hostPointer(0).address(), host.size() * FLOAT);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        return t;
    }

    @Override public Tensor download(Tensor t, String tensorName) {
        on("download source", t);
        Tensor h = Tensor.allocateHost(tensorName, t.shape());
        try {
            rt.copyToHost(h.hostPointer(0).address(), addr(t), t.size() * FLOAT);
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return h;
    }

    @Override public void copy(Tensor src, Tensor dst) {
        on("copy source", src);
        on("copy destination", dst);
        TensorChecks.size(name, "copy destination", dst, src.size());
        long s = addr(src), d = addr(dst), bytes = src.size() * FLOAT;
        if (s != d && s < d + bytes && d < s + bytes) {   // overlapping views: cudaMemcpy does not allow it
            try (Scratch tmp = new Scratch("an overlapping copy", bytes)) {
                rt.copyOnDevice(tmp.address, s, bytes);
                rt.copyOnDevice(d, tmp.address, bytes);
            }
            return;
        }
        rt.copyOnDevice(d, s, bytes);
    }

    @Override public void zero(Tensor x) {
        on("zeroed", x);
        rt.zero(addr(x), x.size() * FLOAT);
    }

    @Override public void axpy(float alpha, Tensor x, Tensor y) {
        on("axpy x", x);
        on("axpy y", y);
        TensorChecks.size(name, "axpy y", y, x.size());
        rt.axpy(x.size(), alpha, addr(x), addr(y));
    }

    @Override public void convert(Tensor src, Tensor dst) {
        long n = args.convert(src, dst);
        if (n == 0) return;
        if (src.dtype() == DType.FLOAT32) {
            check(kernels.convertToBf16(addr(dst), addr(src), n, stream), "sculpt_convert_f32_to_bf16");
        } else {
            check(kernels.convertToFloat(addr(dst), addr(src), n, stream), "sculpt_convert_bf16_to_f32");
        }
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, long aOff, int lda, long strideA, Tensor b, long bOff, int ldb, long strideB,
                     float beta, Tensor c, long cOff, int ldc, long strideC) {
        args.gemm(transA, transB, batch, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC);
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0) {   // C = beta C (beta = 0 writes zeros, NaN included), as BLAS defines it
            for (int i = 0; i < batch; i++) {
                for (int r = 0; r < m; r++) {
                    long row = at(c, cOff + i * strideC + (long) r * ldc);
                    if (beta == 0f) rt.zero(row, (long) n * FLOAT);
                    else if (beta != 1f) rt.scale(n, beta, row);
                }
            }
            return;
        }
        boolean aBf16 = a.dtype() == DType.BF16, bBf16 = b.dtype() == DType.BF16;
        if (aBf16 && bBf16) {
            rt.gemmBf16(transA, transB, m, n, k, alpha, at(a, aOff), lda, strideA, at(b, bOff), ldb, strideB, beta, at(c, cOff),
                    ldc, strideC, batch);
            return;
        }
        if (!aBf16 && !bBf16) {
            rt.gemm(transA, transB, m, n, k, alpha, at(a, aOff), lda, strideA, at(b, bOff), ldb, strideB, beta, at(c, cOff),
                    ldc, strideC, batch);
            return;
        }
        // one bf16 operand: widen its addressed elements exactly into float32 scratch (cuBLAS has no mixed bf16/float32
        // product), then the float32 product
        Tensor narrow = aBf16 ? a : b;
        long off = aBf16 ? aOff : bOff, stride = aBf16 ? strideA : strideB;
        int ld = aBf16 ? lda : ldb;
        int rows = aBf16 ? (transA ? k : m) : (transB ? n : k), cols = aBf16 ? (transA ? m : k) : (transB ? k : n);
        long span = (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        try (Scratch wide = new Scratch("widening bf16 gemm operand '" + narrow.name() + "'", span * FLOAT)) {
            check(kernels.convertToFloat(wide.address, at(narrow, off), span, stream), "sculpt_convert_bf16_to_f32");
            rt.gemm(transA, transB, m, n, k, alpha, aBf16 ? wide.address : at(a, aOff), lda, strideA,
                    bBf16 ? wide.address : at(b, bOff), ldb, strideB, beta, at(c, cOff), ldc, strideC, batch);
        }
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void rmsNormForward(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        int[] s = args.rmsNormForward(x, w, eps, y, rstd);
        if (s[0] == 0) return;
        check(kernels.rmsnormForward(addr(y), addr(rstd), addr(x), addr(w), s[0], s[1], eps, stream), "sculpt_rmsnorm_forward");
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor dy, Tensor dx, Tensor dw) {
        int[] s = args.rmsNormBackward(x, w, rstd, dy, dx, dw);
        if (s[0] == 0) return;
        check(kernels.rmsnormBackward(addr(dx), addr(dw), addr(dy), addr(x), addr(w), addr(rstd), s[0], s[1], 0, stream),
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
        if (positions.length == 0) return;
        int headDim = 2 * invFreq.length;
        long width = (long) heads * headDim;
        try (Scratch freq = floats("rope frequencies", invFreq)) {
            // one launch per run of consecutive positions (sculpt_rope takes a start position)
            for (int start = 0; start < positions.length; ) {
                int end = start + 1;
                while (end < positions.length && positions[end] == positions[end - 1] + 1) end++;
                check(kernels.rope(at(x, start * width), end - start, heads, headDim, positions[start], freq.address,
                        backward ? 1 : 0, stream), "sculpt_rope");
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
        // query head h = g * group + j reads kv head g: one product per j, batched over the kv heads g
        for (int j = 0; j < group; j++) {   // scores_h = scale q_h k_g^T into probs plane h
            rawGemm(false, true, tq, tk, d, scale, at(q, (long) j * d), qw, (long) group * d, addr(k), kw, d,
                    0f, at(probs, j * plane), tk, group * plane, kvHeads);
        }
        check(kernels.attentionSoftmaxForward(addr(probs), bias == null ? 0 : addr(bias), heads, tq, tk,
                causal ? qStart : 0, causal ? 1 : 0, stream), "sculpt_attention_softmax_forward");
        for (int j = 0; j < group; j++) {   // out_h = p_h v_g
            rawGemm(false, false, tq, d, tk, 1f, at(probs, j * plane), tk, group * plane, addr(v), kw, d,
                    0f, at(out, (long) j * d), qw, (long) group * d, kvHeads);
        }
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, Tensor probs,
                                  Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Tensor dBias) {
        int[] t = args.attentionBackward(q, k, v, heads, kvHeads, probs, dOut, dq, dk, dv, dBias);
        int tq = t[0], tk = t[1], d = t[2];
        int group = heads / kvHeads, qw = heads * d, kw = kvHeads * d;
        long plane = (long) tq * tk;
        try (Scratch scratch = new Scratch("the attention score gradients", heads * plane * FLOAT)) {
            long ds = scratch.address;
            rt.zero(addr(dk), dk.size() * FLOAT);
            rt.zero(addr(dv), dv.size() * FLOAT);
            for (int j = 0; j < group; j++) {
                // dv_g += p_h^T dout_h ; dP_h = dout_h v_g^T into scratch plane h
                rawGemm(true, false, tk, d, tq, 1f, at(probs, j * plane), tk, group * plane, at(dOut, (long) j * d), qw,
                        (long) group * d, 1f, addr(dv), kw, d, kvHeads);
                rawGemm(false, true, tq, tk, d, 1f, at(dOut, (long) j * d), qw, (long) group * d, addr(v), kw, d,
                        0f, ds + j * plane * FLOAT, tk, group * plane, kvHeads);
            }
            // dS = p * (dP - sum_j p dP) for all heads' rows, in place
            check(kernels.attentionSoftmaxBackward(ds, ds, addr(probs), heads * tq, tk, stream), "sculpt_attention_softmax_backward");
            if (dBias != null) rt.copyOnDevice(addr(dBias), ds, heads * plane * FLOAT);
            for (int j = 0; j < group; j++) {
                // dq_h = scale dS_h k_g ; dk_g += scale dS_h^T q_h
                rawGemm(false, false, tq, d, tk, scale, ds + j * plane * FLOAT, tk, group * plane, addr(k), kw, d,
                        0f, at(dq, (long) j * d), qw, (long) group * d, kvHeads);
                rawGemm(true, false, tk, d, tq, scale, ds + j * plane * FLOAT, tk, group * plane, at(q, (long) j * d), qw,
                        (long) group * d, 1f, addr(dk), kw, d, kvHeads);
            }
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
        if (n == 0) return;
        check(kernels.gatedForward(addr(h), addr(gate), addr(up), n, SWIGLU, stream), "sculpt_gated_forward (swiglu)");
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dh, Tensor dGate, Tensor dUp) {
        long n = sameSize("swiglu", gate, up, dh, dGate, dUp);
        if (n == 0) return;
        check(kernels.gatedBackward(addr(dGate), addr(dUp), addr(dh), addr(gate), addr(up), n, SWIGLU, stream),
                "sculpt_gated_backward (swiglu)");
    }

    @Override public void gatedGeluForward(Tensor a, Tensor b, Tensor h) {
        long n = sameSize("gated gelu", a, b, h);
        if (n == 0) return;
        check(kernels.gatedForward(addr(h), addr(a), addr(b), n, GELU_TANH, stream), "sculpt_gated_forward (gelu)");
    }

    @Override public void gatedGeluBackward(Tensor a, Tensor b, Tensor dh, Tensor da, Tensor db) {
        long n = sameSize("gated gelu", a, b, dh, da, db);
        if (n == 0) return;
        check(kernels.gatedBackward(addr(da), addr(db), addr(dh), addr(a), addr(b), n, GELU_TANH, stream), "sculpt_gated_backward (gelu)");
    }

    @Override public void reluForward(Tensor x, Tensor y) {
        long n = sameSize("relu", x, y);
        if (n == 0) return;
        check(kernels.reluForward(addr(y), addr(x), n, stream), "sculpt_relu_forward");
    }

    @Override public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        long n = sameSize("relu", x, dy, dx);
        if (n == 0) return;
        check(kernels.reluBackward(addr(dx), addr(dy), addr(x), n, stream), "sculpt_relu_backward");
    }

    // ---------------------------------------------------------------- embedding

    @Override public void embeddingForward(Tensor table, int[] ids, Tensor out) {
        on("embedding table", table);
        on("embedding out", out);
        int[] s = TensorChecks.matrix(name, "embedding table", table);
        TensorChecks.ids(name, "embedding table '" + table.name() + "'", ids, s[0], null);
        shape("embedding out", out, ids.length, s[1]);
        if (ids.length == 0 || s[1] == 0) return;
        try (Scratch dev = ints("embedding ids", ids)) {
            check(kernels.embeddingForward(addr(out), addr(table), dev.address, ids.length, s[1], stream), "sculpt_embedding_forward");
        }
    }

    @Override public void embeddingBackward(int[] ids, Tensor dOut, Tensor dTable) {
        on("embedding dout", dOut);
        on("embedding dtable", dTable);
        int[] s = TensorChecks.matrix(name, "embedding dtable", dTable);
        TensorChecks.ids(name, "embedding dtable '" + dTable.name() + "'", ids, s[0], null);
        shape("embedding dout", dOut, ids.length, s[1]);
        if (ids.length == 0 || s[1] == 0) return;
        try (Scratch dev = ints("embedding ids", ids)) {
            check(kernels.embeddingBackward(addr(dTable), addr(dOut), dev.address, ids.length, s[1], stream), "sculpt_embedding_backward");
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
        try (Scratch dev = ints("cross-entropy targets", targets)) {
            check(kernels.crossEntropy(0, addr(loss), addr(logits), dev.address, n, vocab, 0f, stream), "sculpt_cross_entropy (loss)");
        }
        check(kernels.logsumexpRows(addr(lse), addr(logits), n, vocab, stream), "sculpt_logsumexp_rows");
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
        try (Scratch losses = new Scratch("cross-entropy row losses", (long) n * FLOAT);   // the fused kernel's, not needed here
             Scratch dev = ints("cross-entropy targets", targets)) {
            check(kernels.crossEntropy(addr(dLogits), losses.address, addr(logits), dev.address, n, vocab, scale, stream),
                    "sculpt_cross_entropy (gradient)");
        }
    }

    // ---------------------------------------------------------------- optimizer and projection

    @Override public void adamwUpdate(Tensor w, Tensor g, Tensor m, Tensor v, Tensor delta, AdamWStep step) {
        long n = sameSize("adamw", w, g, m, v, delta);
        float b1 = step.beta1(), b2 = step.beta2();
        if (!(step.eps() > 0)) throw new SculptException(name + ": adamw epsilon must be > 0, got " + step.eps());
        if (n == 0) return;
        check(kernels.adamw(addr(delta), addr(m), addr(v), addr(g), addr(w), n, b1, 1 - b1, b2, 1 - b2, step.stepSize(),
                step.invSqrtBiasCorrection2(), step.eps(), step.lr() * step.weightDecay(), stream), "sculpt_adamw");
    }

    @Override public void project(Tensor d, Tensor u, Tensor v, ProjectionMode mode) {
        on("projected update", d);
        args.operand("projection left basis", u);
        args.operand("projection right basis", v);
        int[] ds = TensorChecks.matrix(name, "projected update", d);
        int[] us = TensorChecks.matrix(name, "projection left basis", u);
        int rows = ds[0], cols = ds[1], k = us[1];
        shape("projection left basis", u, rows, k);
        shape("projection right basis", v, cols, k);
        if (mode == null) throw new SculptException(name + ": projection mode is missing (null)");
        if (k == 0 || rows == 0 || cols == 0) return;
        if (u.dtype() == DType.BF16 && v.dtype() == DType.BF16) {
            projectBf16(addr(d), addr(u), addr(v), mode, rows, cols, k);
            return;
        }
        // a bf16 basis beside a float32 one is widened (exactly) into float32 scratch, after the products' scratch
        long wideU = u.dtype() == DType.BF16 ? (long) rows * k : 0, wideV = v.dtype() == DType.BF16 ? (long) cols * k : 0;
        try (Scratch scratch = new Scratch("the projection",
                ((long) k * cols + (long) rows * k + (long) k * k + wideU + wideV) * FLOAT)) {
            long ud = scratch.address, dv = ud + (long) k * cols * FLOAT, udv = dv + (long) rows * k * FLOAT;
            long pd = addr(d), pu = addr(u), pv = addr(v);
            long wide = udv + (long) k * k * FLOAT;
            if (wideU > 0) {
                check(kernels.convertToFloat(wide, pu, wideU, stream), "sculpt_convert_bf16_to_f32");
                pu = wide;
                wide += wideU * FLOAT;
            }
            if (wideV > 0) {
                check(kernels.convertToFloat(wide, pv, wideV, stream), "sculpt_convert_bf16_to_f32");
                pv = wide;
            }
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
                default -> throw new SculptException(name + ": unsupported projection mode " + mode);
            }
        }
    }

    /** {@link Ops#project} with both bases bf16: each product on bf16 operands (d or the intermediate rounded just before). */
    private void projectBf16(long d, long u, long v, ProjectionMode mode, int rows, int cols, int k) {
        long[] at = Bf16ProjectionScratch.regions(rows, cols, k);
        try (Scratch scratch = new Scratch("the bf16 projection", at[at.length - 1])) {
            long base = scratch.address;
            long dq = base + at[0], ud = base + at[1], udq = base + at[2], dv = base + at[3], dvq = base + at[4];
            long udv = base + at[5], udvq = base + at[6];
            long n = (long) rows * cols;
            switch (mode) {
                case LEFT -> removeLeftBf16(d, u, rows, cols, k, dq, ud, udq);
                case RIGHT -> removeRightBf16(d, v, rows, cols, k, dq, dv, dvq);
                case TWO_SIDED -> {
                    removeLeftBf16(d, u, rows, cols, k, dq, ud, udq);
                    removeRightBf16(d, v, rows, cols, k, dq, dv, dvq);
                }
                case HIGH_BLOCK -> {   // d -= u (u^T d v) v^T
                    toBf16(dq, d, n);
                    rt.gemmBf16(true, false, k, cols, rows, 1f, u, k, 0, dq, cols, 0, 0f, ud, cols, 0, 1);
                    toBf16(udq, ud, (long) k * cols);
                    rt.gemmBf16(false, false, k, k, cols, 1f, udq, cols, 0, v, k, 0, 0f, udv, k, 0, 1);
                    toBf16(udvq, udv, (long) k * k);
                    rt.gemmBf16(false, false, rows, k, k, 1f, u, k, 0, udvq, k, 0, 0f, dv, k, 0, 1);
                    toBf16(dvq, dv, (long) rows * k);
                    rt.gemmBf16(false, true, rows, cols, k, -1f, dvq, k, 0, v, k, 0, 1f, d, cols, 0, 1);
                }
                default -> throw new SculptException(name + ": unsupported projection mode " + mode);
            }
        }
    }

    private void removeLeftBf16(long d, long u, int rows, int cols, int k, long dq, long ud, long udq) {
        toBf16(dq, d, (long) rows * cols);
        rt.gemmBf16(true, false, k, cols, rows, 1f, u, k, 0, dq, cols, 0, 0f, ud, cols, 0, 1);       // u^T d
        toBf16(udq, ud, (long) k * cols);
        rt.gemmBf16(false, false, rows, cols, k, -1f, u, k, 0, udq, cols, 0, 1f, d, cols, 0, 1);     // d -= u (u^T d)
    }

    private void removeRightBf16(long d, long v, int rows, int cols, int k, long dq, long dv, long dvq) {
        toBf16(dq, d, (long) rows * cols);
        rt.gemmBf16(false, false, rows, k, cols, 1f, dq, cols, 0, v, k, 0, 0f, dv, k, 0, 1);         // d v
        toBf16(dvq, dv, (long) rows * k);
        rt.gemmBf16(false, true, rows, cols, k, -1f, dvq, k, 0, v, k, 0, 1f, d, cols, 0, 1);         // d -= (d v) v^T
    }

    private void toBf16(long dst, long src, long n) {
        check(kernels.convertToBf16(dst, src, n, stream), "sculpt_convert_f32_to_bf16");
    }

    private void removeLeft(long d, long u, int rows, int cols, int k, long ud) {
        rawGemm(true, false, k, cols, rows, 1f, u, k, d, cols, 0f, ud, cols);
        rawGemm(false, false, rows, cols, k, -1f, u, k, ud, cols, 1f, d, cols);
    }

    private void removeRight(long d, long v, int rows, int cols, int k, long dv) {
        rawGemm(false, false, rows, k, cols, 1f, d, cols, v, k, 0f, dv, k);
        rawGemm(false, true, rows, cols, k, -1f, dv, k, v, k, 1f, d, cols);
    }

    // ---------------------------------------------------------------- reductions

    private static final int SUM = 0, SUM_OF_SQUARES = 1, NON_FINITE = 2;   // the op argument of sculpt_reduce

    private static int reduceBlocks(long n) {
        return (int) Math.max(1, Math.min(REDUCE_MAX_BLOCKS, (n + REDUCE_BLOCK - 1) / REDUCE_BLOCK));
    }

    private double reduce(Tensor x, int op, String role) {
        on(role, x);
        long n = x.size();
        int blocks = reduceBlocks(n);
        try (Scratch partials = new Scratch("reduction partials", (long) blocks * Double.BYTES);
             DoublePointer host = new DoublePointer(blocks)) {
            check(kernels.reduce(addr(x), n, op, partials.address, blocks, stream), "sculpt_reduce");
            rt.copyToHost(host.address(), partials.address, (long) blocks * Double.BYTES);
            double s = 0;
            for (int b = 0; b < blocks; b++) s += host.get(b);
            return s;
        }
    }

    @Override public double sum(Tensor x) { return reduce(x, SUM, "summed"); }

    @Override public double sumOfSquares(Tensor x) { return reduce(x, SUM_OF_SQUARES, "squared-sum"); }

    @Override public long nonFiniteCount(Tensor x) { return (long) reduce(x, NON_FINITE, "finiteness-checked"); }

    /** Sums kept on the device: each add is {@code sculpt_reduce} then {@code sculpt_accumulate_partials}, no copy back. */
    @Override public ScalarSums scalarSums(String sumsName, int slots) {
        return new DeviceScalarSums(sumsName, slots);
    }

    /** {@link ScalarSums} in arena memory: {@code slots} doubles plus room for one reduction's partials. */
    private final class DeviceScalarSums implements ScalarSums {
        private final String sumsName;
        private final int slots;
        private final long values;     // slots doubles
        private final long partials;   // REDUCE_MAX_BLOCKS doubles
        private boolean closed;

        DeviceScalarSums(String sumsName, int slots) {
            if (slots < 1) throw new SculptException(name + ": scalar sums '" + sumsName + "' need at least one slot, got " + slots);
            this.sumsName = sumsName;
            this.slots = slots;
            long bytes = (long) (slots + REDUCE_MAX_BLOCKS) * Double.BYTES;
            values = arena.allocate("scalar sums '" + sumsName + "'", bytes);
            partials = values + (long) slots * Double.BYTES;
            try {
                rt.zero(values, (long) slots * Double.BYTES);
            } catch (RuntimeException e) {
                arena.release(values);
                throw e;
            }
        }

        @Override public int slots() { return slots; }

        private long slot(int slot) {
            if (closed) throw new SculptException(name + ": scalar sums '" + sumsName + "' are closed");
            if (slot < 0 || slot >= slots) {
                throw new SculptException(name + ": scalar sums '" + sumsName + "': slot " + slot + " outside [0, " + slots + ")");
            }
            return values + (long) slot * Double.BYTES;
        }

        private void add(int slot, Tensor x, int op, String role) {
            long acc = slot(slot);
            on(role, x);
            long n = x.size();
            int blocks = reduceBlocks(n);
            check(kernels.reduce(addr(x), n, op, partials, blocks, stream), "sculpt_reduce");
            check(kernels.accumulatePartials(partials, blocks, acc, stream), "sculpt_accumulate_partials");
        }

        @Override public void addSum(int slot, Tensor x) { add(slot, x, SUM, "summed"); }

        @Override public void addSumOfSquares(int slot, Tensor x) { add(slot, x, SUM_OF_SQUARES, "squared-sum"); }

        @Override public void add(int slot, double value) {
            long acc = slot(slot);
            try (DoublePointer host = new DoublePointer(1)) {
                host.put(0, value);
                rt.copyToDevice(partials, host.address(), Double.BYTES);
            }
            check(kernels.accumulatePartials(partials, 1, acc, stream), "sculpt_accumulate_partials");
        }

        @Override public void reset() {
            slot(0);
            rt.zero(values, (long) slots * Double.BYTES);
        }

        @Override public void reset(int slot) {
            rt.zero(slot(slot), Double.BYTES);
        }

        @Override public double[] read() {
            slot(0);
            try (DoublePointer host = new DoublePointer(slots)) {
                rt.copyToHost(host.address(), values, (long) slots * Double.BYTES);
                double[] out = new double[slots];
                host.get(out);
                return out;
            }
        }

        @Override public void close() {
            if (closed) return;
            closed = true;
            arena.release(values);
        }
    }

    /** Returns the arena's cached memory and the runtime's stream and handles; open tensors stay valid. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        try {
            arena.close();
        } finally {
            rt.close();
        }
    }
}
