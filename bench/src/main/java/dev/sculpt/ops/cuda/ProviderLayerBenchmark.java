package dev.sculpt.ops.cuda;

import dev.sculpt.bench.ProviderGemmRate;
import dev.sculpt.bench.Timings;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.AdamWStep;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A short benchmark of an ops provider for bench/gpu/run.sh (not a unit test): one LLaMA decoder layer in float32,
 * forward and backward through the {@link Ops} interface (RMSNorm, q/k/v/o and SwiGLU projections, RoPE, causal
 * GQA attention, residuals), then AdamW on its seven weight matrices and the OSFT two-sided projection of each update
 * at rank ratio 0.5. Median of {@code reps} timed steps after one warm-up; each phase ends with a reduction, which
 * waits for the device.
 *
 * <p>The floor is the layer's GEMM flops (the forward's linear products 2 T H (2 H + 2 kv + 3 I), three times for
 * forward plus both backward products, plus the six T x T attention products per head, 2 T^2 d each) at the SGEMM
 * rate of the layer's largest product measured through the same provider in the same run. The OSFT overhead is the
 * projection time over the forward-backward time: a per-layer proxy for issue 15's per-step figure, not the whole
 * model's.
 *
 * <p>Arguments: output Markdown file, provider name (default cuda), reps (default 3), shape: {@code 1b} (TinyLlama
 * 1.1B's layer: hidden 2048, intermediate 5632, 32 heads, 4 kv heads, 2048 tokens) or {@code tiny} (to check the
 * program on cuda-emulated or cpu).
 */
public final class ProviderLayerBenchmark {

    private ProviderLayerBenchmark() {}

    private record Shape(String label, int tokens, int hidden, int inter, int heads, int kvHeads) {
        int headDim() { return hidden / heads; }

        int kvWidth() { return kvHeads * headDim(); }
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "ops-results.md");
        String provider = args.length > 1 ? args[1] : "cuda";
        int reps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Shape s = args.length > 3 && args[3].equals("tiny") ? new Shape("tiny", 16, 32, 64, 4, 2)
                : new Shape("TinyLlama-1.1B layer", 2048, 2048, 5632, 32, 4);
        StringBuilder md = new StringBuilder();
        try (Ops ops = OpsProviders.create(provider); Layer layer = new Layer(ops, s)) {
            md.append("# Ops provider: one LLaMA layer, float32\n\n").append(ops.describe()).append("\n\n");
            md.append(String.format(Locale.ROOT, "%s: %d tokens, hidden %d, intermediate %d, %d heads (%d kv), "
                    + "median of %d steps after a warm-up.%n%n", s.label(), s.tokens(), s.hidden(), s.inter(), s.heads(),
                    s.kvHeads(), reps));
            double[] fwd = new double[reps], bwd = new double[reps], adam = new double[reps], proj = new double[reps];
            for (int i = -1; i < reps; i++) {
                double[] t = layer.step();
                if (i < 0) continue;
                fwd[i] = t[0];
                bwd[i] = t[1];
                adam[i] = t[2];
                proj[i] = t[3];
            }
            double rate = gemmRate(ops, s, reps);   // flop per ms
            double f = Timings.median(fwd), b = Timings.median(bwd), a = Timings.median(adam), p = Timings.median(proj);
            double floor = layer.gemmFlops() / rate;
            md.append("| forward ms | backward ms | forward+backward ms | GEMM floor ms | ratio to floor | tokens/s (fwd+bwd) "
                    + "| sgemm GFLOP/s | AdamW ms | OSFT projection ms (rank ratio 0.5) | projection / (fwd+bwd) | non-finite in dX |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            md.append(String.format(Locale.ROOT, "| %.2f | %.2f | %.2f | %.2f | %.2f | %.0f | %.0f | %.2f | %.2f | %.1f%% | %d |%n",
                    f, b, f + b, floor, (f + b) / floor, s.tokens() / ((f + b) / 1e3), rate / 1e6, a, p, 100 * p / (f + b),
                    layer.nonFiniteInput()));
        }
        System.out.print(md);
        Path parent = out.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(parent, "ops-results", ".tmp");
        Files.writeString(tmp, md.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Measured rate (flop per ms) of the layer's largest product, [tokens, hidden] x [inter, hidden]^T. */
    private static double gemmRate(Ops ops, Shape s, int reps) {
        try (Tensor x = ops.allocate("rate x", s.tokens(), s.hidden()); Tensor w = ops.allocate("rate w", s.inter(), s.hidden());
             Tensor y = ops.allocate("rate y", s.tokens(), s.inter())) {
            return ProviderGemmRate.flopPerMs(ops, x, w, y, reps);
        }
    }

    /** The layer's tensors on the provider and one training step over them. */
    private static final class Layer implements AutoCloseable {
        private final Ops ops;
        private final Shape s;
        private final List<Tensor> owned = new ArrayList<>();
        private final SplittableRandom rnd = new SplittableRandom(11);
        private final int[] positions;
        private final float[] invFreq;
        private final Tensor x, w1, w2, wq, wk, wv, wo, wg, wu, wd;
        private final Tensor xn1, rstd1, q, k, v, probs, att, h, xn2, rstd2, gate, up, act, y;
        private final Tensor dy, dAct, dGate, dUp, dXn2, dH, dAtt, dq, dk, dv, dXn1, dX, dw1, dw2;
        private final Tensor[] weights, grads, m, vv, delta, us, vs;

        Layer(Ops ops, Shape s) {
            this.ops = ops;
            this.s = s;
            int t = s.tokens(), hd = s.hidden(), in = s.inter(), kv = s.kvWidth();
            positions = new int[t];
            for (int i = 0; i < t; i++) positions[i] = i;
            invFreq = new float[s.headDim() / 2];
            for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) Math.pow(10000, -2.0 * i / s.headDim());
            double ws = 1 / Math.sqrt(hd);
            x = random("x", 1, t, hd);
            w1 = random("norm 1", 1, hd);
            w2 = random("norm 2", 1, hd);
            wq = random("wq", ws, hd, hd);
            wk = random("wk", ws, kv, hd);
            wv = random("wv", ws, kv, hd);
            wo = random("wo", ws, hd, hd);
            wg = random("wg", ws, in, hd);
            wu = random("wu", ws, in, hd);
            wd = random("wd", 1 / Math.sqrt(in), hd, in);
            xn1 = zeros("xn1", t, hd);
            rstd1 = zeros("rstd1", t);
            q = zeros("q", t, hd);
            k = zeros("k", t, kv);
            v = zeros("v", t, kv);
            probs = zeros("probs", s.heads(), t, t);
            att = zeros("att", t, hd);
            h = zeros("h", t, hd);
            xn2 = zeros("xn2", t, hd);
            rstd2 = zeros("rstd2", t);
            gate = zeros("gate", t, in);
            up = zeros("up", t, in);
            act = zeros("act", t, in);
            y = zeros("y", t, hd);
            dy = random("dy", 1, t, hd);
            dAct = zeros("dAct", t, in);
            dGate = zeros("dGate", t, in);
            dUp = zeros("dUp", t, in);
            dXn2 = zeros("dXn2", t, hd);
            dH = zeros("dH", t, hd);
            dAtt = zeros("dAtt", t, hd);
            dq = zeros("dq", t, hd);
            dk = zeros("dk", t, kv);
            dv = zeros("dv", t, kv);
            dXn1 = zeros("dXn1", t, hd);
            dX = zeros("dX", t, hd);
            dw1 = zeros("dw1", hd);
            dw2 = zeros("dw2", hd);
            weights = new Tensor[] {wq, wk, wv, wo, wg, wu, wd};
            grads = new Tensor[weights.length];
            m = new Tensor[weights.length];
            vv = new Tensor[weights.length];
            delta = new Tensor[weights.length];
            us = new Tensor[weights.length];
            vs = new Tensor[weights.length];
            for (int i = 0; i < weights.length; i++) {
                int rows = weights[i].dim(0), cols = weights[i].dim(1), rank = Math.min(rows, cols) / 2;
                grads[i] = zeros("grad " + weights[i].name(), rows, cols);
                m[i] = zeros("m " + weights[i].name(), rows, cols);
                vv[i] = zeros("v " + weights[i].name(), rows, cols);
                delta[i] = zeros("delta " + weights[i].name(), rows, cols);
                // timing only: the bases need not be orthonormal for the cost of the projection
                us[i] = random("U " + weights[i].name(), 1 / Math.sqrt(rows), rows, rank);
                vs[i] = random("V " + weights[i].name(), 1 / Math.sqrt(cols), cols, rank);
            }
        }

        private Tensor random(String name, double scale, int... shape) {
            long n = 1;
            for (int d : shape) n *= d;
            float[] a = new float[(int) n];
            for (int i = 0; i < a.length; i++) a[i] = (float) (scale * (rnd.nextDouble() * 2 - 1));
            try (Tensor host = Tensor.ofHost(name, a, shape)) {
                Tensor t = ops.upload(host, name);
                owned.add(t);
                return t;
            }
        }

        private Tensor zeros(String name, int... shape) {
            Tensor t = ops.allocate(name, shape);
            owned.add(t);
            return t;
        }

        private void sync() {
            ops.sum(dw1.view("sync", 0, 1));
        }

        /** {forward, backward, AdamW, projection} in ms. */
        double[] step() {
            int nh = s.heads(), nkv = s.kvHeads();
            float scale = (float) (1 / Math.sqrt(s.headDim()));
            sync();
            long t0 = System.nanoTime();
            ops.rmsNormForward(x, w1, 1e-5f, xn1, rstd1);
            ops.matmul(false, true, 1f, xn1, wq, 0f, q);
            ops.matmul(false, true, 1f, xn1, wk, 0f, k);
            ops.matmul(false, true, 1f, xn1, wv, 0f, v);
            ops.ropeForward(q, nh, positions, invFreq);
            ops.ropeForward(k, nkv, positions, invFreq);
            ops.attentionForward(q, k, v, nh, nkv, scale, true, 0, null, probs, att);
            ops.copy(x, h);
            ops.matmul(false, true, 1f, att, wo, 1f, h);              // h = x + att Wo^T
            ops.rmsNormForward(h, w2, 1e-5f, xn2, rstd2);
            ops.matmul(false, true, 1f, xn2, wg, 0f, gate);
            ops.matmul(false, true, 1f, xn2, wu, 0f, up);
            ops.swigluForward(gate, up, act);
            ops.copy(h, y);
            ops.matmul(false, true, 1f, act, wd, 1f, y);               // y = h + act Wd^T
            sync();
            long t1 = System.nanoTime();
            ops.matmul(true, false, 1f, dy, act, 1f, grads[6]);        // dWd += dy^T act
            ops.matmul(false, false, 1f, dy, wd, 0f, dAct);
            ops.swigluBackward(gate, up, dAct, dGate, dUp);
            ops.matmul(true, false, 1f, dGate, xn2, 1f, grads[4]);
            ops.matmul(true, false, 1f, dUp, xn2, 1f, grads[5]);
            ops.matmul(false, false, 1f, dGate, wg, 0f, dXn2);
            ops.matmul(false, false, 1f, dUp, wu, 1f, dXn2);
            ops.rmsNormBackward(h, w2, rstd2, dXn2, dH, dw2);
            ops.axpy(1f, dy, dH);                                       // the residual
            ops.matmul(true, false, 1f, dH, att, 1f, grads[3]);
            ops.matmul(false, false, 1f, dH, wo, 0f, dAtt);
            ops.attentionBackward(q, k, v, nh, nkv, scale, probs, dAtt, dq, dk, dv, null);
            ops.ropeBackward(dq, nh, positions, invFreq);
            ops.ropeBackward(dk, nkv, positions, invFreq);
            ops.matmul(true, false, 1f, dq, xn1, 1f, grads[0]);
            ops.matmul(true, false, 1f, dk, xn1, 1f, grads[1]);
            ops.matmul(true, false, 1f, dv, xn1, 1f, grads[2]);
            ops.matmul(false, false, 1f, dq, wq, 0f, dXn1);
            ops.matmul(false, false, 1f, dk, wk, 1f, dXn1);
            ops.matmul(false, false, 1f, dv, wv, 1f, dXn1);
            ops.rmsNormBackward(x, w1, rstd1, dXn1, dX, dw1);
            ops.axpy(1f, dH, dX);
            sync();
            long t2 = System.nanoTime();
            AdamWStep step = new AdamWStep(1e-4f, 0.9f, 0.999f, 1e-8f, 0.01f, 1);
            for (int i = 0; i < weights.length; i++) ops.adamwUpdate(weights[i], grads[i], m[i], vv[i], delta[i], step);
            sync();
            long t3 = System.nanoTime();
            for (int i = 0; i < weights.length; i++) ops.project(delta[i], us[i], vs[i], ProjectionMode.TWO_SIDED);
            sync();
            long t4 = System.nanoTime();
            return new double[] {(t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6, (t4 - t3) / 1e6};
        }

        /** GEMM flops of one forward and backward (see the class comment). */
        double gemmFlops() {
            double t = s.tokens(), hd = s.hidden();
            double linear = 2 * t * hd * (2 * hd + 2.0 * s.kvWidth() + 3.0 * s.inter());
            double attention = 2 * t * t * s.headDim() * s.heads();
            return 3 * linear + 6 * attention;
        }

        long nonFiniteInput() {
            return ops.nonFiniteCount(dX);
        }

        @Override public void close() {
            for (Tensor t : owned) t.close();
        }
    }
}
