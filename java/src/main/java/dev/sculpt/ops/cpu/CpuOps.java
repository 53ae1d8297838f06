package dev.sculpt.ops.cpu;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cpu.BlasThreads;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.OpArguments;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.TensorChecks;
import dev.sculpt.tensor.Device;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas;

/**
 * The host provider: matrix products through OpenBLAS {@code cblas_sgemm} with the threading policy of
 * {@code nn.Blas} (products below {@code -Dsculpt.blas.smallMnk} multiply-adds, default 2^27, run on one OpenBLAS
 * thread, since OpenBLAS's pool collapses on oversubscribed cores; the switch is process-wide), everything else as Java loops over direct buffers, with
 * double accumulation where a row is reduced (norms, softmax sums, log-sum-exp, reductions).
 *
 * <p>Keeps one growable scratch tensor for the attention backward and the projection; not thread-safe.
 */
public final class CpuOps implements Ops {
    private static final String NAME = "cpu";
    private Tensor scratch = Tensor.allocateHost("cpu scratch", 0);

    @Override public String name() { return NAME; }

    @Override public Device device() { return Device.HOST; }

    @Override public String describe() {
        return "cpu (OpenBLAS " + BlasThreads.get() + " threads, Java loops)";
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
        FloatBuffer b = x.hostBuffer();
        for (int i = 0, n = (int) x.size(); i < n; i++) b.put(i, 0f);
    }

    @Override public void axpy(float alpha, Tensor x, Tensor y) {
        on("axpy x", x);
        on("axpy y", y);
        TensorChecks.size(NAME, "axpy y", y, x.size());
        FloatBuffer xb = x.hostBuffer(), yb = y.hostBuffer();
        for (int i = 0, n = (int) x.size(); i < n; i++) yb.put(i, yb.get(i) + alpha * xb.get(i));
    }

    // ---------------------------------------------------------------- matrix products

    @Override
    public void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
                     Tensor a, long aOff, int lda, long strideA, Tensor b, long bOff, int ldb, long strideB,
                     float beta, Tensor c, long cOff, int ldc, long strideC) {
        args.gemm(transA, transB, batch, m, n, k, a, aOff, lda, strideA, b, bOff, ldb, strideB, c, cOff, ldc, strideC);
        if (m == 0 || n == 0) return;
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
                    m, n, k, alpha, a.hostPointer(ai), lda, b.hostPointer(bi), ldb, beta, c.hostPointer(ci), ldc));
        }
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void rmsNormForward(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd) {
        int[] s = args.rmsNormForward(x, w, eps, y, rstd);
        int n = s[0], d = s[1];
        FloatBuffer xb = x.hostBuffer(), wb = w.hostBuffer(), yb = y.hostBuffer(), rb = rstd.hostBuffer();
        for (int i = 0; i < n; i++) {
            int o = i * d;
            double ss = 0;
            for (int j = 0; j < d; j++) { double v = xb.get(o + j); ss += v * v; }
            float r = (float) (1.0 / Math.sqrt(ss / d + eps));
            rb.put(i, r);
            for (int j = 0; j < d; j++) yb.put(o + j, wb.get(j) * (xb.get(o + j) * r));
        }
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor dy, Tensor dx, Tensor dw) {
        int[] s = args.rmsNormBackward(x, w, rstd, dy, dx, dw);
        int n = s[0], d = s[1];
        FloatBuffer xb = x.hostBuffer(), wb = w.hostBuffer(), rb = rstd.hostBuffer(), gb = dy.hostBuffer(),
                dxb = dx.hostBuffer(), dwb = dw.hostBuffer();
        double[] dwAcc = new double[d];
        for (int i = 0; i < n; i++) {
            int o = i * d;
            double r = rb.get(i);
            double dot = 0;
            for (int j = 0; j < d; j++) {
                double g = gb.get(o + j), xv = xb.get(o + j);
                dot += wb.get(j) * g * xv;
                dwAcc[j] += g * xv * r;
            }
            double c = r * r * r * dot / d;
            for (int j = 0; j < d; j++) {
                dxb.put(o + j, (float) (r * wb.get(j) * gb.get(o + j) - c * xb.get(o + j)));
            }
        }
        for (int j = 0; j < d; j++) dwb.put(j, (float) (dwb.get(j) + dwAcc[j]));
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
        for (int r = 0; r < positions.length; r++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) positions[r] * invFreq[i];
                float cos = (float) Math.cos(angle), sin = sign * (float) Math.sin(angle);
                for (int h = 0; h < heads; h++) {
                    int ia = r * width + h * headDim + i, ib = ia + half;
                    float a = b.get(ia), bb = b.get(ib);
                    b.put(ia, a * cos - bb * sin);
                    b.put(ib, bb * cos + a * sin);
                }
            }
        }
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
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            // scores = scale * q_h k_g^T into probs plane h
            gemm(false, true, 1, tq, tk, d, scale, q, (long) h * d, qw, 0, k, (long) g * d, kw, 0,
                    0f, probs, (long) h * plane, tk, 0);
            for (int i = 0; i < tq; i++) {
                int row = h * plane + i * tk;
                int visible = causal ? qStart + i + 1 : tk;
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < visible; j++) {
                    float s = pb.get(row + j);
                    if (bb != null) s += bb.get(row + j);
                    pb.put(row + j, s);
                    max = Math.max(max, s);
                }
                double sum = 0;
                for (int j = 0; j < visible; j++) {
                    double e = Math.exp(pb.get(row + j) - max);
                    pb.put(row + j, (float) e);
                    sum += e;
                }
                double inv = 1.0 / sum;
                for (int j = 0; j < visible; j++) pb.put(row + j, (float) (pb.get(row + j) * inv));
                for (int j = visible; j < tk; j++) pb.put(row + j, 0f);
            }
            // out_h = p_h v_g
            gemm(false, false, 1, tq, d, tk, 1f, probs, (long) h * plane, tk, 0, v, (long) g * d, kw, 0,
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
            // dv_g += p_h^T dout_h
            gemm(true, false, 1, tk, d, tq, 1f, probs, (long) h * plane, tk, 0, dOut, (long) h * d, qw, 0,
                    1f, dv, (long) g * d, kw, 0);
            // dp = dout_h v_g^T into scratch
            gemm(false, true, 1, tq, tk, d, 1f, dOut, (long) h * d, qw, 0, v, (long) g * d, kw, 0,
                    0f, scratch, 0, tk, 0);
            // ds = p * (dp - sum_j p dp): gradient of the biased scores
            for (int i = 0; i < tq; i++) {
                int row = h * plane + i * tk;
                double dot = 0;
                for (int j = 0; j < tk; j++) dot += (double) pb.get(row + j) * ds.get(i * tk + j);
                for (int j = 0; j < tk; j++) {
                    float p = pb.get(row + j);
                    ds.put(i * tk + j, (float) (p * (ds.get(i * tk + j) - dot)));
                }
            }
            if (dBias != null) dBias.hostBuffer().put(h * plane, ds, 0, plane);
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

    private static double silu(double g) { return g / (1 + Math.exp(-g)); }

    @Override public void swigluForward(Tensor gate, Tensor up, Tensor h) {
        sameSize("swiglu", gate, up, h);
        FloatBuffer gb = gate.hostBuffer(), ub = up.hostBuffer(), hb = h.hostBuffer();
        for (int i = 0, n = (int) gate.size(); i < n; i++) hb.put(i, (float) (silu(gb.get(i)) * ub.get(i)));
    }

    @Override public void swigluBackward(Tensor gate, Tensor up, Tensor dh, Tensor dGate, Tensor dUp) {
        sameSize("swiglu", gate, up, dh, dGate, dUp);
        FloatBuffer gb = gate.hostBuffer(), ub = up.hostBuffer(), db = dh.hostBuffer(),
                dgb = dGate.hostBuffer(), dub = dUp.hostBuffer();
        for (int i = 0, n = (int) gate.size(); i < n; i++) {
            double g = gb.get(i), u = ub.get(i), dhi = db.get(i);
            double s = 1 / (1 + Math.exp(-g));
            dgb.put(i, (float) (dhi * u * s * (1 + g * (1 - s))));
            dub.put(i, (float) (dhi * g * s));
        }
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
        sameSize("gated gelu", a, b, h);
        FloatBuffer ab = a.hostBuffer(), bb = b.hostBuffer(), hb = h.hostBuffer();
        for (int i = 0, n = (int) a.size(); i < n; i++) hb.put(i, (float) (gelu(ab.get(i)) * bb.get(i)));
    }

    @Override public void gatedGeluBackward(Tensor a, Tensor b, Tensor dh, Tensor da, Tensor db) {
        sameSize("gated gelu", a, b, dh, da, db);
        FloatBuffer ab = a.hostBuffer(), bb = b.hostBuffer(), gb = dh.hostBuffer(), dab = da.hostBuffer(), dbb = db.hostBuffer();
        for (int i = 0, n = (int) a.size(); i < n; i++) {
            double x = ab.get(i), g = gb.get(i);
            dab.put(i, (float) (g * bb.get(i) * geluGrad(x)));
            dbb.put(i, (float) (g * gelu(x)));
        }
    }

    @Override public void reluForward(Tensor x, Tensor y) {
        sameSize("relu", x, y);
        FloatBuffer xb = x.hostBuffer(), yb = y.hostBuffer();
        for (int i = 0, n = (int) x.size(); i < n; i++) yb.put(i, Math.max(xb.get(i), 0f));
    }

    @Override public void reluBackward(Tensor x, Tensor dy, Tensor dx) {
        sameSize("relu", x, dy, dx);
        FloatBuffer xb = x.hostBuffer(), gb = dy.hostBuffer(), db = dx.hostBuffer();
        for (int i = 0, n = (int) x.size(); i < n; i++) db.put(i, xb.get(i) > 0f ? gb.get(i) : 0f);
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
        for (int i = 0; i < ids.length; i++) {
            for (int j = 0; j < d; j++) {
                int idx = ids[i] * d + j;
                tb.put(idx, tb.get(idx) + gb.get(i * d + j));
            }
        }
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
        for (int i = 0; i < n; i++) {
            int o = i * vocab;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < vocab; j++) max = Math.max(max, xb.get(o + j));
            double sum = 0;
            for (int j = 0; j < vocab; j++) sum += Math.exp(xb.get(o + j) - max);
            double l = max + Math.log(sum);
            sb.put(i, (float) l);
            lb.put(i, targets[i] == IGNORE_INDEX ? 0f : (float) (l - xb.get(o + targets[i])));
        }
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
        for (int i = 0; i < n; i++) {
            int o = i * vocab;
            if (targets[i] == IGNORE_INDEX) {
                for (int j = 0; j < vocab; j++) db.put(o + j, 0f);
                continue;
            }
            double l = sb.get(i);
            for (int j = 0; j < vocab; j++) {
                double p = Math.exp(xb.get(o + j) - l);
                db.put(o + j, (float) (scale * (p - (j == targets[i] ? 1 : 0))));
            }
        }
    }

    // ---------------------------------------------------------------- optimizer and projection

    @Override public void adamwUpdate(Tensor w, Tensor g, Tensor m, Tensor v, Tensor delta, AdamWStep step) {
        sameSize("adamw", w, g, m, v, delta);
        float b1 = step.beta1(), b2 = step.beta2(), c1 = 1 - b1, c2 = 1 - b2, eps = step.eps();
        float stepSize = step.stepSize(), invSqrtBc2 = step.invSqrtBiasCorrection2(), wd = step.lr() * step.weightDecay();
        FloatBuffer wb = w.hostBuffer(), gb = g.hostBuffer(), mb = m.hostBuffer(), vb = v.hostBuffer(), db = delta.hostBuffer();
        for (int i = 0, n = (int) w.size(); i < n; i++) {
            float gi = gb.get(i);
            float mi = b1 * mb.get(i) + c1 * gi;
            float vi = b2 * vb.get(i) + c2 * gi * gi;
            mb.put(i, mi);
            vb.put(i, vi);
            float d = -stepSize * mi / ((float) Math.sqrt(vi) * invSqrtBc2 + eps);
            if (wd != 0f) d -= wd * wb.get(i);
            db.put(i, d);
        }
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
        if (mode == null) throw new SculptException("cpu: projection mode is missing (null)");
        if (k == 0) return;
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

    private void removeLeft(Tensor d, Tensor u, int rows, int cols, int k, long off) {
        gemm(true, false, 1, k, cols, rows, 1f, u, 0, k, 0, d, 0, cols, 0, 0f, scratch, off, cols, 0);
        gemm(false, false, 1, rows, cols, k, -1f, u, 0, k, 0, scratch, off, cols, 0, 1f, d, 0, cols, 0);
    }

    private void removeRight(Tensor d, Tensor v, int rows, int cols, int k, long off) {
        gemm(false, false, 1, rows, k, cols, 1f, d, 0, cols, 0, v, 0, k, 0, 0f, scratch, off, k, 0);
        gemm(false, true, 1, rows, cols, k, -1f, scratch, off, k, 0, v, 0, k, 0, 1f, d, 0, cols, 0);
    }

    // ---------------------------------------------------------------- reductions

    @Override public double sum(Tensor x) {
        on("summed", x);
        FloatBuffer b = x.hostBuffer();
        double s = 0;
        for (int i = 0, n = (int) x.size(); i < n; i++) s += b.get(i);
        return s;
    }

    @Override public double sumOfSquares(Tensor x) {
        on("squared-sum", x);
        FloatBuffer b = x.hostBuffer();
        double s = 0;
        for (int i = 0, n = (int) x.size(); i < n; i++) { double v = b.get(i); s += v * v; }
        return s;
    }

    @Override public long nonFiniteCount(Tensor x) {
        on("finiteness-checked", x);
        FloatBuffer b = x.hostBuffer();
        long c = 0;
        for (int i = 0, n = (int) x.size(); i < n; i++) if (!Float.isFinite(b.get(i))) c++;
        return c;
    }

    @Override public void close() {
        scratch.close();
    }
}
