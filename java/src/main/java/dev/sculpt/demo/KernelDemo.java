package dev.sculpt.demo;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgeqrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dorgqr;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.linalg.Philox;
import dev.sculpt.linalg.Svd;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The kernel demo: decomposes the weight matrices of a small LLaMA (q/k/v/o attention projections with grouped
 * key/value heads, gate/up/down MLP projections) with batched randomized and exact top-k SVD and prints accuracy and
 * speed. The matrices are generated deterministically as U diag(s) V^T with Haar-like random orthonormal U, V
 * (QR of a Philox Gaussian) and power-law spectra s_i = (1 + i)^-alpha, whose decay differs by matrix kind as in
 * trained models, so every figure is checked against a known truth.
 *
 * <p>Accuracy per shape group: the largest relative error of the top-k singular values, the largest principal angle
 * between the computed and the true top-k left subspaces, and the residual ||A - U S V^T||_F divided by the optimal
 * rank-k residual (1.0 is optimal).
 */
public final class KernelDemo {
    /** One kind of weight matrix: its HF name suffix, shape [out, in] and spectral decay. */
    public record MatrixKind(String name, int rows, int cols, double alpha) {}

    /** Model size and decomposition parameters of the demo. */
    public record Config(int layers, int hidden, int intermediate, int heads, int kvHeads, double ratio, long seed) {
        public static Config small() {
            return new Config(4, 512, 1408, 8, 2, 0.25, 1234L);
        }

        /** A tiny configuration for tests. */
        public static Config tiny() {
            return new Config(2, 64, 176, 4, 2, 0.25, 7L);
        }

        public List<MatrixKind> kinds() {
            int kv = hidden / heads * kvHeads;
            return List.of(
                    new MatrixKind("self_attn.q_proj", hidden, hidden, 0.55),
                    new MatrixKind("self_attn.k_proj", kv, hidden, 0.70),
                    new MatrixKind("self_attn.v_proj", kv, hidden, 0.35),
                    new MatrixKind("self_attn.o_proj", hidden, hidden, 0.40),
                    new MatrixKind("mlp.gate_proj", intermediate, hidden, 0.30),
                    new MatrixKind("mlp.up_proj", intermediate, hidden, 0.25),
                    new MatrixKind("mlp.down_proj", hidden, intermediate, 0.30));
        }
    }

    /** Accuracy and speed of one shape group. */
    public record GroupResult(String label, int count, int rows, int cols, int k, double exactSeconds,
                              double randomizedSeconds, double svErrRandomized, double svErrExact,
                              double maxAngleDegRandomized, double residualRatioRandomized) {}

    private KernelDemo() {}

    /** Runs the demo on {@code backend}, printing a table to {@code out}; returns the per-group figures. */
    public static List<GroupResult> run(Backend backend, Config cfg, SvdOptions randomized, PrintWriter out) {
        Map<String, List<String>> names = new LinkedHashMap<>();
        Map<String, List<MatrixKind>> kinds = new LinkedHashMap<>();
        for (MatrixKind kind : cfg.kinds()) {
            String key = kind.rows() + "x" + kind.cols();
            for (int l = 0; l < cfg.layers(); l++) {
                names.computeIfAbsent(key, x -> new ArrayList<>()).add("model.layers." + l + "." + kind.name() + ".weight");
                kinds.computeIfAbsent(key, x -> new ArrayList<>()).add(kind);
            }
        }
        int total = names.values().stream().mapToInt(List::size).sum();
        out.printf(Locale.ROOT, "Sculpt kernel demo: %d weight matrices of a small LLaMA (%d layers, hidden %d, intermediate %d,"
                + " %d heads / %d kv heads) on %s%n", total, cfg.layers(), cfg.hidden(), cfg.intermediate(), cfg.heads(),
                cfg.kvHeads(), backend.describe());
        out.printf(Locale.ROOT, "k = round(%.2f * min(m, n)); randomized: oversample %d, power iterations %d, seed %d%n",
                cfg.ratio(), randomized.oversample(), randomized.powerIters(), randomized.seed());
        out.printf(Locale.ROOT, "%-22s %5s %11s %5s %9s %9s %8s %11s %11s %10s %10s%n", "group", "count", "shape", "k",
                "exact s", "rand s", "speedup", "sv.err rnd", "sv.err ex", "angle rnd", "resid/opt");
        List<GroupResult> results = new ArrayList<>();
        double exactTotal = 0;
        double randTotal = 0;
        int gi = 0;
        for (String key : names.keySet()) {
            List<MatrixKind> ks = kinds.get(key);
            int m = ks.get(0).rows();
            int n = ks.get(0).cols();
            int count = ks.size();
            int k = (int) Math.max(1, Math.round(cfg.ratio() * Math.min(m, n)));
            Truth[] truth = new Truth[count];
            try (MatrixBatch a = MatrixBatch.allocateHost(count, m, n).withNames(names.get(key).toArray(String[]::new))) {
                for (int b = 0; b < count; b++) {
                    truth[b] = Truth.generate(m, n, ks.get(b).alpha(), cfg.seed(), gi * 1000L + b);
                    float[] f = new float[m * n];
                    for (int i = 0; i < f.length; i++) f[i] = (float) truth[b].a[i];
                    a.buffer().put((int) a.offset(b), f);
                }
                long t0 = System.nanoTime();
                SvdResult ex = Svd.topK(backend, a, k, randomized.withMethod(SvdMethod.EXACT));
                double exactS = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                SvdResult rnd = Svd.topK(backend, a, k, randomized.withMethod(SvdMethod.RANDOMIZED));
                double randS = (System.nanoTime() - t0) / 1e9;
                double svR = 0, svE = 0, angle = 0, resid = 0;
                try (ex; rnd) {
                    for (int b = 0; b < count; b++) {
                        svR = Math.max(svR, truth[b].svError(rnd, b, k));
                        svE = Math.max(svE, truth[b].svError(ex, b, k));
                        angle = Math.max(angle, truth[b].maxAngleDegrees(rnd, b, k));
                        resid = Math.max(resid, truth[b].residualRatio(rnd, b, k));
                    }
                }
                String label = String.join(",", ks.stream().map(x -> x.name().substring(x.name().indexOf('.') + 1))
                        .distinct().toList());
                GroupResult g = new GroupResult(label, count, m, n, k, exactS, randS, svR, svE, angle, resid);
                results.add(g);
                exactTotal += exactS;
                randTotal += randS;
                out.printf(Locale.ROOT, "%-22s %5d %11s %5d %9.3f %9.3f %7.1fx %11.2e %11.2e %9.2f° %10.4f%n", label, count,
                        m + "x" + n, k, exactS, randS, exactS / randS, svR, svE, angle, resid);
                out.flush();
            }
            gi++;
        }
        out.printf(Locale.ROOT, "%-22s %5d %11s %5s %9.3f %9.3f %7.1fx%n", "total", total, "", "", exactTotal, randTotal,
                exactTotal / randTotal);
        out.println("sv.err: max relative error of the top-k singular values against the generated truth; angle: largest"
                + " principal angle between computed and true top-k left singular subspaces; resid/opt: ||A - U S V^T||_F"
                + " over the optimal rank-k residual (1 = optimal).");
        out.flush();
        return results;
    }

    /** A generated matrix A = U diag(s) V^T (float64, row-major) with its known singular triplets. */
    static final class Truth {
        final int m;
        final int n;
        final double[] a;
        final double[] u;     // m x r
        final double[] s;     // r
        final double[] v;     // n x r

        private Truth(int m, int n, double[] a, double[] u, double[] s, double[] v) {
            this.m = m;
            this.n = n;
            this.a = a;
            this.u = u;
            this.s = s;
            this.v = v;
        }

        static Truth generate(int m, int n, double alpha, long seed, long stream) {
            int r = Math.min(m, n);
            double[] u = orthonormal(m, r, seed, 2 * stream);
            double[] v = orthonormal(n, r, seed, 2 * stream + 1);
            double[] s = new double[r];
            for (int i = 0; i < r; i++) s[i] = Math.pow(1 + i, -alpha);
            double[] us = new double[m * r];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < r; j++) us[i * r + j] = u[i * r + j] * s[j];
            }
            double[] a = new double[m * n];
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, r, 1.0, us, r, v, r, 0.0, a, n);
            return new Truth(m, n, a, u, s, v);
        }

        /** Q of the QR factorisation of a rows x cols Philox Gaussian (rows >= cols). */
        private static double[] orthonormal(int rows, int cols, long seed, long stream) {
            double[] q = new double[rows * cols];
            for (int i = 0; i < q.length; i++) q[i] = Philox.gaussian(seed, stream, i);
            double[] tau = new double[cols];
            check(LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, rows, cols, q, cols, tau), "dgeqrf");
            check(LAPACKE_dorgqr(LAPACK_ROW_MAJOR, rows, cols, cols, q, cols, tau), "dorgqr");
            return q;
        }

        double svError(SvdResult r, int b, int k) {
            double worst = 0;
            for (int i = 0; i < k; i++) {
                worst = Math.max(worst, Math.abs(r.s().get(b, 0, i) - s[i]) / s[i]);
            }
            return worst;
        }

        /** Largest principal angle between span(U_true[:, :k]) and span(U_computed), in degrees. */
        double maxAngleDegrees(SvdResult r, int b, int k) {
            double[] c = new double[k * k];   // U_true_k^T U_computed
            int rr = s.length;
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double ut = u[i * rr + p];
                    for (int q = 0; q < k; q++) c[p * k + q] += ut * r.u().get(b, i, q);
                }
            }
            double[] sv = new double[k];
            check(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'N', k, k, c, k, sv, new double[1], 1, new double[1], 1), "dgesdd");
            double cosMin = Math.min(1.0, sv[k - 1]);
            return Math.toDegrees(Math.acos(cosMin));
        }

        /** ||A - U S V^T||_F / sqrt(sum_{i>=k} s_i^2). */
        double residualRatio(SvdResult r, int b, int k) {
            double err = 0;
            double[] row = new double[n];
            for (int i = 0; i < m; i++) {
                System.arraycopy(a, i * n, row, 0, n);
                for (int p = 0; p < k; p++) {
                    double us = r.u().get(b, i, p) * (double) r.s().get(b, 0, p);
                    for (int j = 0; j < n; j++) row[j] -= us * r.v().get(b, j, p);
                }
                for (int j = 0; j < n; j++) err += row[j] * row[j];
            }
            double opt = 0;
            for (int i = k; i < s.length; i++) opt += s[i] * s[i];
            return opt == 0 ? Math.sqrt(err) : Math.sqrt(err / opt);
        }

        private static void check(int info, String what) {
            if (info != 0) throw new SculptException("kernel demo: LAPACK " + what + " failed with info " + info);
        }
    }
}
