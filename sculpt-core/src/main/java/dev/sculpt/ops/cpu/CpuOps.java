package dev.sculpt.ops.cpu;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cpu.BlasThreads;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.Bf16;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.OpArguments;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.TensorChecks;
import dev.sculpt.tensor.Device;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;

/**
 * The host provider: matrix products through OpenBLAS {@code cblas_sgemm} with the threading policy of
 * {@link dev.sculpt.backend.cpu.BlasThreads} (products below {@code -Dsculpt.blas.smallMnk} multiply-adds, default 2^27, run on one OpenBLAS
 * thread, since OpenBLAS's pool collapses on oversubscribed cores; the switch is process-wide), everything else as Java loops over heap
 * copies of blocks of the direct buffers (bulk copies; per-element buffer access is several times slower), rows or
 * element chunks split across the common fork-join pool ({@link CpuParallel}; no reduction crosses threads, so the
 * results do not depend on the thread count), with double accumulation where a row is reduced (norms, softmax sums,
 * log-sum-exp, reductions).
 *
 * <p>bf16 gemm operands are widened (exactly) into float32 scratch, then multiplied by {@code cblas_sgemm}: the same
 * float32 accumulation as a float32 product of the widened values.
 *
 * <p>Keeps one growable scratch tensor for the attention backward and the projection, and one per gemm operand for
 * widening bf16; not thread-safe.
 */
public final class CpuOps implements Ops {
    private static final String NAME = "cpu";
    /** Element-wise loops: at least this many elements per thread; rows: at least ROW_GRAIN rows per thread. */
    private static final int GRAIN = 1 << 14;
    private static final int ROW_GRAIN = 16;
    /** Elements copied to and from the heap at a time inside one thread's chunk. */
    private static final int BLOCK = 4096;
    /** Embedding backward copies tables of at most this many elements to the heap whole. */
    private static final int SMALL_TABLE = 1 << 16;
    private Tensor scratch = Tensor.allocateHost("cpu scratch", 0);
    /** Softmax, its backward and SwiGLU: vector loops where the JVM has the vector API, else scalar. */
    private final InnerLoops loops;
    private final RopeTable ropeTable = new RopeTable();
    /** The gemm operands' JavaCPP pointers, one per role, reused while the role's tensor stays the same. */
    private final OperandPointer pointerA = new OperandPointer(), pointerB = new OperandPointer(), pointerC = new OperandPointer();

    /**
     * A reusable pointer into one tensor: made once per tensor (a fresh FloatPointer per operand and call cost about
     * a twentieth of a 64^3 product, ProviderOverheadBench), then only repositioned. The tensor's openness is checked
     * by the op's argument checks before every use.
     */
    private static final class OperandPointer {
        private Tensor tensor;
        private FloatPointer pointer;
        private long base;

        FloatPointer at(Tensor t, long element) {
            if (t != tensor) {
                pointer = t.hostPointer(0);
                base = pointer.position();
                tensor = t;
            }
            return pointer.position(base + element);
        }
    }

    /** The host provider with the best inner loops this JVM offers ({@link InnerLoops#best()}). */
    public CpuOps() {
        this(InnerLoops.best());
    }

    private CpuOps(InnerLoops loops) {
        this.loops = loops;
    }

    /**
     * The host provider with its portable scalar inner loops, whatever the JVM offers: the loops a JVM without
     * {@code --add-modules jdk.incubator.vector} runs, for tests and comparisons.
     */
    public static CpuOps withScalarLoops() {
        return new CpuOps(new ScalarInnerLoops());
    }
    private Tensor widenA = Tensor.allocateHost("cpu bf16 gemm A (widened)", 0);
    private Tensor widenB = Tensor.allocateHost("cpu bf16 gemm B (widened)", 0);

    @Override public String name() { return NAME; }

    @Override public Device device() { return Device.HOST; }

    @Override public String describe() {
        return "cpu (OpenBLAS " + BlasThreads.get() + " threads, Java " + loops.describe() + ")";
    }

    private final OpArguments args = new OpArguments(Device.HOST, NAME);

    private Tensor on(String role, Tensor t) {
        return args.on(role, t);
    }

    private void shape(String role, Tensor t, int... shape) {
        args.shape(role, t, shape);
    }

    private FloatBuffer scratch(long n) {
        if (scratch.size() < n) {
            scratch.close();
            scratch = Tensor.allocateHost("cpu scratch", Math.toIntExact(Math.max(n, scratch.size() * 2)));
        }
        return scratch.hostBuffer();
    }

    // ---------------------------------------------------------------- memory

    @Override public Tensor allocate(String name, int... shape) { return Tensor.allocateHost(name, shape); }

    @Override public Tensor allocate(String name, DType dtype, int... shape) { return Tensor.allocateHost(name, dtype, shape); }

    @Override public void convert(Tensor src, Tensor dst) {
        int n = (int) args.convert(src, dst);
        if (src.dtype() == DType.FLOAT32) {
            FloatBuffer sb = src.hostBuffer();
            ShortBuffer db = dst.hostBf16Buffer();
            CpuParallel.range(n, GRAIN, (lo, hi) -> {
                float[] a = new float[Math.min(BLOCK, hi - lo)];
                short[] o = new short[a.length];
                for (int b = lo; b < hi; b += BLOCK) {
                    int len = Math.min(BLOCK, hi - b);
                    sb.get(b, a, 0, len);
                    for (int i = 0; i < len; i++) o[i] = Bf16.fromFloat(a[i]);
                    db.put(b, o, 0, len);
                }
            });
        } else {
            widen(src.hostBf16Buffer(), 0, dst.hostBuffer(), 0, n);
        }
    }

    /** dst[dOff ..] = src[sOff ..] widened, n elements. */
    private static void widen(ShortBuffer src, int sOff, FloatBuffer dst, int dOff, int n) {
        CpuParallel.range(n, GRAIN, (lo, hi) -> {
            short[] a = new short[Math.min(BLOCK, hi - lo)];
            float[] o = new float[a.length];
            for (int b = lo; b < hi; b += BLOCK) {
                int len = Math.min(BLOCK, hi - b);
                src.get(sOff + b, a, 0, len);
                for (int i = 0; i < len; i++) o[i] = Bf16.toFloat(a[i]);
                dst.put(dOff + b, o, 0, len);
            }
        });
    }

    /**
     * A float32 tensor holding operand t's elements [off, off + span) at [0, span): t itself (with off) when float32,
     * else its widened copy in a scratch tensor of this provider (A.s or B.s), with the offset in offOut[0].
     */
    private Tensor widened(Tensor t, long off, long span, boolean first, long[] offOut) {
        if (t.dtype() == DType.FLOAT32) {
            offOut[0] = off;
            return t;
        }
        Tensor w = first ? widenA : widenB;
        if (w.size() < span) {
            w.close();
            w = Tensor.allocateHost(first ? "cpu bf16 gemm A (widened)" : "cpu bf16 gemm B (widened)",
                    Math.toIntExact(Math.max(span, w.size() * 2)));
            if (first) widenA = w; else widenB = w;
        }
        widen(t.hostBf16Buffer(), Math.toIntExact(off), w.hostBuffer(), 0, Math.toIntExact(span));
        offOut[0] = 0;
        return w;
    }

    /** Elements from the first addressed one of a gemm operand to one past the last (0 when nothing is addressed). */
    private static long span(int batch, long stride, int rows, int cols, int ld) {
        if (batch == 0 || rows == 0 || cols == 0) return 0;
        return (batch - 1) * stride + (long) (rows - 1) * ld + cols;
    }

    @Override public Tensor upload(Tensor host, String name) {
        on("upload source", host);
        return Tensor.ofHost(name, host.toArray(), host.shape());
    }

    @Override public Tensor download(Tensor t, String name) {
        on("download source", t);
        return Tensor.ofHost(name, t.toArray(), t.shape());
    }

    @Override public void copy(Tensor src, Tensor dst) {
        on("copy source", src);
        on("copy destination", dst);
        TensorChecks.size(NAME, "copy destination", dst, src.size());
        dst.hostBuffer().put(0, src.hostBuffer(), 0, (int) src.size());
    }

    @Override public void zero(Tensor x) {
        on("zeroed", x);
        if (x.size() == 0) return;
        FloatPointer p = x.hostPointer(0);
        p.limit(p.position() + x.size()).zero();   // memset over exactly this tensor's elements
    }

    @Override public void axpy(float alpha, Tensor x, Tensor y) {
        on("axpy x", x);
        on("axpy y", y);
        TensorChecks.size(NAME, "axpy y", y, x.size());
        FloatBuffer xb = x.hostBuffer(), yb = y.hostBuffer();
        CpuParallel.range((int) x.size(), GRAIN, (lo, hi) -> {
            float[] xa = new float[Math.min(BLOCK, hi - lo)], ya = new float[xa.length];
            for (int b = lo; b < hi; b += BLOCK) {
                int len = Math.min(BLOCK, hi - b);
                xb.get(b, xa, 0, len);
                yb.get(b, ya, 0, len);
                for (int i = 0; i < len; i++) ya[i] = ya[i] + alpha * xa[i];
                yb.put(b, ya, 0, len);
            }
        });
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, long aOff, int lda, long strideA, Tensor b, long bOff, int ldb, long strideB,
                     float beta, Tensor c, long cOff, int ldc, long strideC) {
        args.gemm(transA, transB, batch, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC);
        if (m == 0 || n == 0) return;
        if ((a.dtype() != DType.FLOAT32 || b.dtype() != DType.FLOAT32) && k > 0 && batch > 0) {
            long[] ao = new long[1], bo = new long[1];
            Tensor aw = widened(a, aOff, span(batch, strideA, transA ? k : m, transA ? m : k, lda), true, ao);
            Tensor bw = widened(b, bOff, span(batch, strideB, transB ? n : k, transB ? k : n, ldb), false, bo);
            gemm(transA, transB, batch, m, n, k, alpha, aw, ao[0], lda, strideA, bw, bo[0], ldb, strideB, beta, c, cOff, ldc, strideC);
            return;
        }
        for (int i = 0; i < batch; i++) {
            long ci = cOff + i * strideC;
            if (k == 0) {
                FloatBuffer cb = c.hostBuffer();
                for (int r = 0; r < m; r++) for (int j = 0; j < n; j++) {
                    int idx = (int) (ci + (long) r * ldc + j);
                    cb.put(idx, beta == 0f ? 0f : cb.get(idx) * beta);
                }
                continue;
            }
            long ai = aOff + i * strideA, bi = bOff + i * strideB;
            BlasThreads.runProduct((long) m * n * k, () -> openblas.cblas_sgemm(openblas.CblasRowMajor,
                    transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                    transB ? openblas.CblasTrans : openblas.CblasNoTrans,
                    m, n, k, alpha, pointerA.at(a, ai), lda, pointerB.at(b, bi), ldb, beta, pointerC.at(c, ci), ldc));
        }
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void rmsNormForward(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        int[] s = args.rmsNormForward(x, w, eps, y, rstd);
        int n = s[0], d = s[1];
        FloatBuffer xb = x.hostBuffer(), yb = y.hostBuffer(), rb = rstd.hostBuffer();
        float[] wa = w.toArray();
        CpuParallel.range(n, ROW_GRAIN, (lo, hi) -> {
            float[] row = new float[d];
            for (int i = lo; i < hi; i++) {
                xb.get(i * d, row, 0, d);
                double ss = loops.sumOfSquares(row, d);
                float r = (float) (1.0 / Math.sqrt(ss / d + eps));
                rb.put(i, r);
                for (int j = 0; j < d; j++) row[j] = wa[j] * (row[j] * r);
                yb.put(i * d, row, 0, d);
            }
        });
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor dy, Tensor dx, Tensor dw) {
        int[] s = args.rmsNormBackward(x, w, rstd, dy, dx, dw);
        int n = s[0], d = s[1];
        FloatBuffer xb = x.hostBuffer(), rb = rstd.hostBuffer(), gb = dy.hostBuffer(), dxb = dx.hostBuffer(), dwb = dw.hostBuffer();
        float[] wa = w.toArray();
        // dw first (columns split across threads, each column summed over the rows in order), since dx may be dy.
        // Float accumulation (a loop C2 vectorizes): n terms of two products each, within gamma(n + 2) of the sum of
        // their absolute values, inside the contract's gamma(n + d + 8)
        CpuParallel.range(d, 16, (lo, hi) -> {
            int len = hi - lo;
            float[] acc = new float[len];
            float[] xr = new float[len], gr = new float[len];
            for (int i = 0; i < n; i++) {
                xb.get(i * d + lo, xr, 0, len);
                gb.get(i * d + lo, gr, 0, len);
                float r = rb.get(i);
                for (int j = 0; j < len; j++) acc[j] += gr[j] * xr[j] * r;
            }
            for (int j = 0; j < len; j++) dwb.put(lo + j, (float) (dwb.get(lo + j) + acc[j]));
        });
        CpuParallel.range(n, ROW_GRAIN, (lo, hi) -> {
            float[] xr = new float[d], gr = new float[d];
            for (int i = lo; i < hi; i++) {
                xb.get(i * d, xr, 0, d);
                gb.get(i * d, gr, 0, d);
                float r = rb.get(i);
                double dot = loops.dot(wa, gr, xr, d);
                // in float (a loop C2 vectorizes): c's rounding, three products and the difference, five roundings of
                // the two terms' absolute values, inside the contract's bound for dx
                float c = (float) ((double) r * r * r * dot / d);
                for (int j = 0; j < d; j++) gr[j] = r * wa[j] * gr[j] - c * xr[j];
                dxb.put(i * d, gr, 0, d);
            }
        });
    }

    // ---------------------------------------------------------------- rotary embedding

    @Override
    public void ropeForward(Tensor x, int heads, int[] positions, float[] invFreq) {
        rope(x, heads, positions, invFreq, 1f, "rope x");
    }

    @Override
    public void ropeBackward(Tensor dx, int heads, int[] positions, float[] invFreq) {
        rope(dx, heads, positions, invFreq, -1f, "rope dx");
    }

    private void rope(Tensor x, int heads, int[] positions, float[] invFreq, float sign, String role) {
        args.rope(role, x, heads, positions, invFreq);
        int half = invFreq.length, headDim = 2 * half;
        FloatBuffer b = x.hostBuffer();
        int width = heads * headDim;
        ropeTable.cover(invFreq, positions);
        CpuParallel.range(positions.length, ROW_GRAIN, (lo, hi) -> {
            float[] row = new float[width];
            for (int r = lo; r < hi; r++) {
                b.get(r * width, row, 0, width);
                for (int i = 0; i < half; i++) {
                    float cos = ropeTable.cos(positions[r], i), sin = sign * ropeTable.sin(positions[r], i);
                    for (int h = 0; h < heads; h++) {
                        int ia = h * headDim + i, ib = ia + half;
                        float a = row[ia], bb = row[ib];
                        row[ia] = a * cos - bb * sin;
                        row[ib] = bb * cos + a * sin;
                    }
                }
                b.put(r * width, row, 0, width);
            }
        });
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attentionForward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, boolean causal,
                                 int qStart, Tensor bias, Tensor probs, Tensor out) {
        int[] t = args.attentionForward(q, k, v, heads, kvHeads, causal, qStart, bias, probs, out);
        int tq = t[0], tk = t[1], d = t[2];
        int group = heads / kvHeads, qw = heads * d, kw = kvHeads * d, plane = tq * tk;
        FloatBuffer pb = probs.hostBuffer();
        FloatBuffer bb = bias == null ? null : bias.hostBuffer();
        // scores = scale * q_h k_g^T into probs plane h
        for (int h = 0; h < heads; h++) {
            gemm(false, true, 1, tq, tk, d, scale, q, (long) h * d, qw, 0, k, (long) (h / group) * d, kw, 0,
                    0f, probs, (long) h * plane, tk, 0);
        }
        // masked softmax of every (head, query) row, rows split across threads
        CpuParallel.range(heads * tq, ROW_GRAIN, (lo, hi) -> {
            float[] row = new float[tk], brow = bb == null ? null : new float[tk];
            for (int hr = lo; hr < hi; hr++) {
                int i = hr % tq, at = hr * tk;
                int visible = causal ? qStart + i + 1 : tk;
                pb.get(at, row, 0, visible);
                if (brow != null) {
                    bb.get(at, brow, 0, visible);
                    for (int j = 0; j < visible; j++) row[j] += brow[j];
                }
                loops.softmax(row, visible);
                java.util.Arrays.fill(row, visible, tk, 0f);
                pb.put(at, row, 0, tk);
            }
        });
        // out_h = p_h v_g
        for (int h = 0; h < heads; h++) {
            gemm(false, false, 1, tq, d, tk, 1f, probs, (long) h * plane, tk, 0, v, (long) (h / group) * d, kw, 0,
                    0f, out, (long) h * d, qw, 0);
        }
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, Tensor probs,
                                  Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Tensor dBias) {
        int[] t = args.attentionBackward(q, k, v, heads, kvHeads, probs, dOut, dq, dk, dv, dBias);
        int tq = t[0], tk = t[1], d = t[2];
        int group = heads / kvHeads, qw = heads * d, kw = kvHeads * d, plane = tq * tk;
        zero(dk);
        zero(dv);
        FloatBuffer pb = probs.hostBuffer();
        FloatBuffer ds = scratch(plane);
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            int hp = h * plane;
            // dv_g += p_h^T dout_h
            gemm(true, false, 1, tk, d, tq, 1f, probs, (long) hp, tk, 0, dOut, (long) h * d, qw, 0,
                    1f, dv, (long) g * d, kw, 0);
            // dp = dout_h v_g^T into scratch
            gemm(false, true, 1, tq, tk, d, 1f, dOut, (long) h * d, qw, 0, v, (long) g * d, kw, 0,
                    0f, scratch, 0, tk, 0);
            // ds = p * (dp - sum_j p dp): gradient of the biased scores
            CpuParallel.range(tq, ROW_GRAIN, (lo, hi) -> {
                float[] pr = new float[tk], dr = new float[tk];
                for (int i = lo; i < hi; i++) {
                    pb.get(hp + i * tk, pr, 0, tk);
                    // probabilities past the last non-zero one (the causal mask's zeros) add nothing to the dot and
                    // give ds = 0: only [0, live) is computed, the rest written as zeros
                    int live = tk;
                    while (live > 0 && pr[live - 1] == 0f) live--;
                    ds.get(i * tk, dr, 0, live);
                    loops.softmaxBackward(pr, dr, live);
                    java.util.Arrays.fill(dr, live, tk, 0f);
                    ds.put(i * tk, dr, 0, tk);
                }
            });
            if (dBias != null) dBias.hostBuffer().put(hp, ds, 0, plane);
            // dq_h = scale ds k_g ; dk_g += scale ds^T q_h
            gemm(false, false, 1, tq, d, tk, scale, scratch, 0, tk, 0, k, (long) g * d, kw, 0,
                    0f, dq, (long) h * d, qw, 0);
            gemm(true, false, 1, tk, d, tq, scale, scratch, 0, tk, 0, q, (long) h * d, qw, 0,
                    1f, dk, (long) g * d, kw, 0);
        }
    }

    // ---------------------------------------------------------------- activations

    private long sameSize(String op, Tensor first, Tensor... rest) {
        return args.sameSize(op, first, rest);
    }

    /** An element-wise body over one block: arrays hold elements [from, from + len) of the operands. */
    @FunctionalInterface
    private interface Elementwise {
        void run(float[][] a, int len);
    }

    /**
     * Runs {@code body} over blocks of the operands' elements, chunks split across threads: the first {@code inputs}
     * buffers are read into the block arrays before the body, the rest are written from theirs after it (an
     * output may be an input's buffer: each block is read before it is written).
     */
    private static void elementwise(int n, int inputs, Elementwise body, FloatBuffer... buffers) {
        CpuParallel.range(n, GRAIN, (lo, hi) -> {
            float[][] a = new float[buffers.length][Math.min(BLOCK, hi - lo)];
            for (int b = lo; b < hi; b += BLOCK) {
                int len = Math.min(BLOCK, hi - b);
                for (int i = 0; i < inputs; i++) buffers[i].get(b, a[i], 0, len);
                body.run(a, len);
                for (int i = inputs; i < buffers.length; i++) buffers[i].put(b, a[i], 0, len);
            }
        });
    }

    @Override public void swigluForward(Tensor gate, Tensor up, Tensor h) {
        int n = (int) sameSize("swiglu", gate, up, h);
        FloatBuffer gb = gate.hostBuffer(), ub = up.hostBuffer(), hb = h.hostBuffer();
        CpuParallel.range(n, GRAIN, (lo, hi) -> {
            float[] g = new float[Math.min(BLOCK, hi - lo)], u = new float[g.length];
            for (int b = lo; b < hi; b += BLOCK) {
                int len = Math.min(BLOCK, hi - b);
                gb.get(b, g, 0, len);
                ub.get(b, u, 0, len);
                loops.swiglu(g, u, u, len);
                hb.put(b, u, 0, len);
            }
        });
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dh, Tensor dGate, Tensor dUp) {
        int n = (int) sameSize("swiglu", gate, up, dh, dGate, dUp);
        FloatBuffer gb = gate.hostBuffer(), ub = up.hostBuffer(), db = dh.hostBuffer(), dgb = dGate.hostBuffer(), dub = dUp.hostBuffer();
        CpuParallel.range(n, GRAIN, (lo, hi) -> {
            float[] ga = new float[Math.min(BLOCK, hi - lo)], ua = new float[ga.length], da = new float[ga.length];
            for (int b = lo; b < hi; b += BLOCK) {
                int len = Math.min(BLOCK, hi - b);
                gb.get(b, ga, 0, len);
                ub.get(b, ua, 0, len);
                db.get(b, da, 0, len);
                loops.swigluBackward(ga, ua, da, ga, ua, len);
                dgb.put(b, ga, 0, len);
                dub.put(b, ua, 0, len);
            }
        });
    }

    private static final double GELU_C = Math.sqrt(2 / Math.PI);
    private static final double GELU_K = 0.044715;

    private static double gelu(double x) {
        return 0.5 * x * (1 + Math.tanh(GELU_C * (x + GELU_K * x * x * x)));
    }

    private static double geluGrad(double x) {
        double t = Math.tanh(GELU_C * (x + GELU_K * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_C * (1 + 3 * GELU_K * x * x);
    }

    @Override public void gatedGeluForward(Tensor a, Tensor b, Tensor h) {
        int n = (int) sameSize("gated gelu", a, b, h);
        elementwise(n, 2, (x, len) -> {
            for (int i = 0; i < len; i++) x[2][i] = (float) (gelu(x[0][i]) * x[1][i]);
        }, a.hostBuffer(), b.hostBuffer(), h.hostBuffer());
    }

    @Override public void gatedGeluBackward(Tensor a, Tensor b, Tensor dh, Tensor da, Tensor db) {
        int n = (int) sameSize("gated gelu", a, b, dh, da, db);
        elementwise(n, 3, (x, len) -> {
            for (int i = 0; i < len; i++) {
                double v = x[0][i], g = x[2][i];
                float bi = x[1][i];
                x[3][i] = (float) (g * bi * geluGrad(v));
                x[4][i] = (float) (g * gelu(v));
            }
        }, a.hostBuffer(), b.hostBuffer(), dh.hostBuffer(), da.hostBuffer(), db.hostBuffer());
    }

    @Override public void reluForward(Tensor x, Tensor y) {
        int n = (int) sameSize("relu", x, y);
        elementwise(n, 1, (a, len) -> {
            for (int i = 0; i < len; i++) a[1][i] = Math.max(a[0][i], 0f);
        }, x.hostBuffer(), y.hostBuffer());
    }

    @Override public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        int n = (int) sameSize("relu", x, dy, dx);
        elementwise(n, 2, (a, len) -> loops.reluBackward(a[0], a[1], a[2], len), x.hostBuffer(), dy.hostBuffer(), dx.hostBuffer());
    }

    // ---------------------------------------------------------------- embedding

    @Override public void embeddingForward(Tensor table, int[] ids, Tensor out) {
        on("embedding table", table);
        on("embedding out", out);
        int[] s = TensorChecks.matrix(NAME, "embedding table", table);
        TensorChecks.ids(NAME, "embedding table '" + table.name() + "'", ids, s[0], null);
        shape("embedding out", out, ids.length, s[1]);
        int d = s[1];
        FloatBuffer tb = table.hostBuffer(), ob = out.hostBuffer();
        for (int i = 0; i < ids.length; i++) ob.put(i * d, tb, ids[i] * d, d);
    }

    @Override public void embeddingBackward(int[] ids, Tensor dOut, Tensor dTable) {
        on("embedding dout", dOut);
        on("embedding dtable", dTable);
        int[] s = TensorChecks.matrix(NAME, "embedding dtable", dTable);
        TensorChecks.ids(NAME, "embedding dtable '" + dTable.name() + "'", ids, s[0], null);
        shape("embedding dout", dOut, ids.length, s[1]);
        int d = s[1];
        FloatBuffer gb = dOut.hostBuffer(), tb = dTable.hostBuffer();
        if ((long) s[0] * d <= SMALL_TABLE && (long) ids.length * d <= Integer.MAX_VALUE) {
            // a small table (T5's relative-bias buckets: one column, 131k ids per call): one thread over heap copies,
            // the same additions in the same order as below, without two buffer calls per row of one element
            float[] g = new float[ids.length * d], w = new float[s[0] * d];
            gb.get(0, g);
            tb.get(0, w);
            for (int i = 0; i < ids.length; i++) {
                int at = ids[i] * d, from = i * d;
                for (int j = 0; j < d; j++) w[at + j] = w[at + j] + g[from + j];
            }
            tb.put(0, w);
            return;
        }
        // rows in order (repeated ids add up in the same order every time); columns split across threads
        CpuParallel.range(d, Math.max(16, GRAIN / Math.max(1, ids.length)), (lo, hi) -> {
            int len = hi - lo;
            float[] g = new float[len], w = new float[len];
            for (int i = 0; i < ids.length; i++) {
                gb.get(i * d + lo, g, 0, len);
                tb.get(ids[i] * d + lo, w, 0, len);
                for (int j = 0; j < len; j++) w[j] = w[j] + g[j];
                tb.put(ids[i] * d + lo, w, 0, len);
            }
        });
    }

    // ---------------------------------------------------------------- loss

    @Override public void crossEntropyForward(Tensor logits, int[] targets, Tensor loss, Tensor lse) {
        on("cross-entropy logits", logits);
        on("cross-entropy loss", loss);
        on("cross-entropy lse", lse);
        int[] s = args.crossEntropy(logits, targets, IGNORE_INDEX);
        int n = s[0], vocab = s[1];
        shape("cross-entropy loss", loss, n);
        shape("cross-entropy lse", lse, n);
        FloatBuffer xb = logits.hostBuffer(), lb = loss.hostBuffer(), sb = lse.hostBuffer();
        CpuParallel.range(n, Math.max(1, GRAIN / vocab), (lo, hi) -> {
            float[] row = new float[vocab];
            for (int i = lo; i < hi; i++) {
                xb.get(i * vocab, row, 0, vocab);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < vocab; j++) max = Math.max(max, row[j]);
                double sum = 0;
                for (int j = 0; j < vocab; j++) sum += Math.exp(row[j] - max);
                double l = max + Math.log(sum);
                sb.put(i, (float) l);
                lb.put(i, targets[i] == IGNORE_INDEX ? 0f : (float) (l - row[targets[i]]));
            }
        });
    }

    @Override public void crossEntropyBackward(Tensor logits, Tensor lse, int[] targets, float scale, Tensor dLogits) {
        on("cross-entropy logits", logits);
        on("cross-entropy lse", lse);
        on("cross-entropy dlogits", dLogits);
        int[] s = args.crossEntropy(logits, targets, IGNORE_INDEX);
        int n = s[0], vocab = s[1];
        shape("cross-entropy lse", lse, n);
        shape("cross-entropy dlogits", dLogits, n, vocab);
        FloatBuffer xb = logits.hostBuffer(), sb = lse.hostBuffer(), db = dLogits.hostBuffer();
        CpuParallel.range(n, Math.max(1, GRAIN / vocab), (lo, hi) -> {
            float[] row = new float[vocab];
            for (int i = lo; i < hi; i++) {
                if (targets[i] == IGNORE_INDEX) {
                    java.util.Arrays.fill(row, 0f);
                } else {
                    xb.get(i * vocab, row, 0, vocab);
                    double l = sb.get(i);
                    for (int j = 0; j < vocab; j++) {
                        double p = Math.exp(row[j] - l);
                        row[j] = (float) (scale * (p - (j == targets[i] ? 1 : 0)));
                    }
                }
                db.put(i * vocab, row, 0, vocab);
            }
        });
    }

    // ---------------------------------------------------------------- optimizer and projection

    @Override public void adamwUpdate(Tensor w, Tensor g, Tensor m, Tensor v, Tensor delta, AdamWStep step) {
        int n = (int) sameSize("adamw", w, g, m, v, delta);
        float b1 = step.beta1(), b2 = step.beta2(), c1 = 1 - b1, c2 = 1 - b2, eps = step.eps();
        float stepSize = step.stepSize(), invSqrtBc2 = step.invSqrtBiasCorrection2(), wd = step.lr() * step.weightDecay();
        // arrays: w, g, m, v read; m, v, delta written (m and v are both read and written: the same buffers twice)
        FloatBuffer mb = m.hostBuffer(), vb = v.hostBuffer();
        elementwise(n, 4, (a, len) -> {
            for (int i = 0; i < len; i++) {
                float gi = a[1][i];
                float mi = b1 * a[2][i] + c1 * gi;
                float vi = b2 * a[3][i] + c2 * gi * gi;
                a[4][i] = mi;
                a[5][i] = vi;
                float d = -stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
                if (wd != 0f) d -= wd * a[0][i];
                a[6][i] = d;
            }
        }, w.hostBuffer(), g.hostBuffer(), mb, vb, mb, vb, delta.hostBuffer());
    }

    @Override public void project(Tensor d, Tensor u, Tensor v, ProjectionMode mode) {
        on("projected update", d);
        args.operand("projection left basis", u);
        args.operand("projection right basis", v);
        int[] ds = TensorChecks.matrix(NAME, "projected update", d);
        int[] us = TensorChecks.matrix(NAME, "projection left basis", u);
        int rows = ds[0], cols = ds[1], k = us[1];
        shape("projection left basis", u, rows, k);
        shape("projection right basis", v, cols, k);
        if (mode == null) throw new SculptException("cpu: projection mode is missing (null)");
        if (k == 0) return;
        if (u.dtype() == DType.BF16 && v.dtype() == DType.BF16) {
            projectBf16(d, u, v, mode, rows, cols, k);
            return;
        }
        // scratch: [k, cols] for u^T d, then [rows, k] for d v (and [k, k] for the high block)
        long need = (long) k * cols + (long) rows * k + (long) k * k;
        scratch(need);
        long offUd = 0, offDv = (long) k * cols, offUdv = offDv + (long) rows * k;
        switch (mode) {
            case LEFT -> removeLeft(d, u, rows, cols, k, offUd);
            case RIGHT -> removeRight(d, v, rows, cols, k, offDv);
            case TWO_SIDED -> {
                // (I - u u^T) d (I - v v^T) = left removal, then right removal of the result
                removeLeft(d, u, rows, cols, k, offUd);
                removeRight(d, v, rows, cols, k, offDv);
            }
            case HIGH_BLOCK -> {
                // d -= u (u^T d v) v^T
                gemm(true, false, 1, k, cols, rows, 1f, u, 0, k, 0, d, 0, cols, 0, 0f, scratch, offUd, cols, 0);
                gemm(false, false, 1, k, k, cols, 1f, scratch, offUd, cols, 0, v, 0, k, 0, 0f, scratch, offUdv, k, 0);
                gemm(false, false, 1, rows, k, k, 1f, u, 0, k, 0, scratch, offUdv, k, 0, 0f, scratch, offDv, k, 0);
                gemm(false, true, 1, rows, cols, k, -1f, scratch, offDv, k, 0, v, 0, k, 0, 1f, d, 0, cols, 0);
            }
            default -> throw new SculptException("cpu: unsupported projection mode " + mode);
        }
    }

    /**
     * The projection with bf16 bases on bf16 operands ({@link Ops#project}): every product reads d, or the k-column
     * intermediate it multiplies, rounded to bf16 just before (d itself stays float32 and takes the float32 results).
     */
    private void projectBf16(Tensor d, Tensor u, Tensor v, ProjectionMode mode, int rows, int cols, int k) {
        try (Tensor dq = allocate("projected update (bf16)", DType.BF16, rows, cols);
             Tensor ud = allocate("u^T d", k, cols); Tensor udq = allocate("u^T d (bf16)", DType.BF16, k, cols);
             Tensor dv = allocate("d v", rows, k); Tensor dvq = allocate("d v (bf16)", DType.BF16, rows, k)) {
            switch (mode) {
                case LEFT -> removeLeftBf16(d, u, dq, ud, udq);
                case RIGHT -> removeRightBf16(d, v, dq, dv, dvq);
                case TWO_SIDED -> {
                    removeLeftBf16(d, u, dq, ud, udq);
                    removeRightBf16(d, v, dq, dv, dvq);
                }
                case HIGH_BLOCK -> {   // d -= u (u^T d v) v^T, each product on rounded operands
                    try (Tensor udv = allocate("u^T d v", k, k); Tensor udvq = allocate("u^T d v (bf16)", DType.BF16, k, k)) {
                        convert(d, dq);
                        matmul(true, false, 1f, u, dq, 0f, ud);
                        convert(ud, udq);
                        matmul(false, false, 1f, udq, v, 0f, udv);
                        convert(udv, udvq);
                        matmul(false, false, 1f, u, udvq, 0f, dv);
                        convert(dv, dvq);
                        matmul(false, true, -1f, dvq, v, 1f, d);
                    }
                }
                default -> throw new SculptException("cpu: unsupported projection mode " + mode);
            }
        }
    }

    private void removeLeftBf16(Tensor d, Tensor u, Tensor dq, Tensor ud, Tensor udq) {
        convert(d, dq);
        matmul(true, false, 1f, u, dq, 0f, ud);
        convert(ud, udq);
        matmul(false, false, -1f, u, udq, 1f, d);
    }

    private void removeRightBf16(Tensor d, Tensor v, Tensor dq, Tensor dv, Tensor dvq) {
        convert(d, dq);
        matmul(false, false, 1f, dq, v, 0f, dv);
        convert(dv, dvq);
        matmul(false, true, -1f, dvq, v, 1f, d);
    }

    private void removeLeft(Tensor d, Tensor u, int rows, int cols, int k, long off) {
        gemm(true, false, 1, k, cols, rows, 1f, u, 0, k, 0, d, 0, cols, 0, 0f, scratch, off, cols, 0);
        gemm(false, false, 1, rows, cols, k, -1f, u, 0, k, 0, scratch, off, cols, 0, 1f, d, 0, cols, 0);
    }

    private void removeRight(Tensor d, Tensor v, int rows, int cols, int k, long off) {
        gemm(false, false, 1, rows, k, cols, 1f, d, 0, cols, 0, v, 0, k, 0, 0f, scratch, off, k, 0);
        gemm(false, true, 1, rows, cols, k, -1f, scratch, off, k, 0, v, 0, k, 0, 1f, d, 0, cols, 0);
    }

    // ---------------------------------------------------------------- reductions

    /** Visits the elements in order, a block at a time (sequential, so sums are in index order). */
    private static void blocks(Tensor x, java.util.function.ObjIntConsumer<float[]> body) {
        FloatBuffer b = x.hostBuffer();
        int n = (int) x.size();
        float[] a = new float[Math.min(BLOCK, Math.max(1, n))];
        for (int at = 0; at < n; at += BLOCK) {
            int len = Math.min(BLOCK, n - at);
            b.get(at, a, 0, len);
            body.accept(a, len);
        }
    }

    @Override public double sum(Tensor x) {
        on("summed", x);
        double[] s = {0};
        blocks(x, (a, len) -> { for (int i = 0; i < len; i++) s[0] += a[i]; });
        return s[0];
    }

    @Override public double sumOfSquares(Tensor x) {
        on("squared-sum", x);
        double[] s = {0};
        blocks(x, (a, len) -> { for (int i = 0; i < len; i++) { double v = a[i]; s[0] += v * v; } });
        return s[0];
    }

    @Override public long nonFiniteCount(Tensor x) {
        on("finiteness-checked", x);
        long[] c = {0};
        blocks(x, (a, len) -> { for (int i = 0; i < len; i++) if (!Float.isFinite(a[i])) c[0]++; });
        return c[0];
    }

    @Override public void close() {
        widenA.close();
        widenB.close();
        scratch.close();
    }
}
