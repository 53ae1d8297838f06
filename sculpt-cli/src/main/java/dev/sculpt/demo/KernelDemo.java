package dev.sculpt.demo;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.cblas_dgemm;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Svd;
import dev.sculpt.linalg.Philox;
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
 * speed. The matrices are generated deterministically as L diag(s) R^T with random orthogonal L, R (see
 * {@link Truth}) and power-law spectra s_i = (1 + i)^-alpha, whose decay differs by matrix kind as in trained
 * models, so every figure is checked against a known truth.
 *
 * <p>Accuracy per shape group: the largest relative error of the top-k singular values, the largest principal angle
 * between the computed and the true leading min(8, k/4)-dimensional left subspaces (the top-k subspace itself is ill-determined where the
 * spectrum decays slowly: its last directions can rotate freely among near-equal singular values), and the residual ||A - U S V^T||_F divided by the optimal
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
                              double angleDegRandomized, double residualRatioRandomized) {}

    /** Largest dimension of the leading subspaces whose principal angle is reported. */
    static final int ANGLE_DIMS = 8;

    /** The leading subspace compared: min(8, ceil(k / 4)) directions, well inside the top k. */
    public static int leadingDims(int k) {
        return Math.min(ANGLE_DIMS, (k + 3) / 4);
    }

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
                "exact s", "rand s", "speedup", "sv.err rnd", "sv.err ex", "angle lead", "resid/opt");
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
                        angle = Math.max(angle, truth[b].maxAngleDegrees(rnd, b, leadingDims(k)));
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
                + " principal angle between the computed and true leading left singular subspaces of dimension min(" + ANGLE_DIMS
                + ", k/4); resid/opt: ||A - U S V^T||_F"
                + " over the optimal rank-k residual (1 = optimal).");
        out.flush();
        return results;
    }

    /**
     * A generated matrix A = L diag(s) R^T (float64, row-major) with known singular values {@code s} and singular
     * vectors: L and R are products of three Householder reflections I - 2 w w^T with Philox Gaussian directions,
     * so generating costs O(mn) instead of a QR. Both SVD methods are invariant under orthogonal changes of basis
     * (the Gaussian sketch is rotation invariant), so the figures depend on the spectrum, not on this choice.
     */
    static final class Truth {
        private static final int REFLECTIONS = 3;
        final int m;
        final int n;
        final double[] a;
        final double[] s;
        final double[][] left;    // reflection directions of L, applied as L = H0 H1 H2

        private Truth(int m, int n, double[] a, double[] s, double[][] left) {
            this.m = m;
            this.n = n;
            this.a = a;
            this.s = s;
            this.left = left;
        }

        static Truth generate(int m, int n, double alpha, long seed, long stream) {
            int r = Math.min(m, n);
            double[] s = new double[r];
            for (int i = 0; i < r; i++) s[i] = Math.pow(1 + i, -alpha);
            double[][] lw = new double[REFLECTIONS][];
            double[][] rw = new double[REFLECTIONS][];
            for (int h = 0; h < REFLECTIONS; h++) {
                lw[h] = unitVector(m, seed, stream * 16 + h);
                rw[h] = unitVector(n, seed, stream * 16 + 8 + h);
            }
            double[] a = new double[m * n];
            for (int i = 0; i < r; i++) a[i * n + i] = s[i];
            for (int h = REFLECTIONS - 1; h >= 0; h--) reflectRows(a, m, n, lw[h]);   // L D
            for (int h = REFLECTIONS - 1; h >= 0; h--) reflectCols(a, m, n, rw[h]);   // (L D) R^T, R^T = H2 H1 H0
            return new Truth(m, n, a, s, lw);
        }

        private static double[] unitVector(int len, long seed, long stream) {
            double[] w = new double[len];
            double norm = 0;
            for (int i = 0; i < len; i++) {
                w[i] = Philox.gaussian(seed, stream, i);
                norm += w[i] * w[i];
            }
            norm = Math.sqrt(norm);
            for (int i = 0; i < len; i++) w[i] /= norm;
            return w;
        }

        /** x = (I - 2 w w^T) x for the rows x cols row-major matrix x. */
        private static void reflectRows(double[] x, int rows, int cols, double[] w) {
            double[] wx = new double[cols];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) wx[j] += w[i] * x[i * cols + j];
            }
            for (int i = 0; i < rows; i++) {
                double f = 2 * w[i];
                for (int j = 0; j < cols; j++) x[i * cols + j] -= f * wx[j];
            }
        }

        /** x = x (I - 2 w w^T). */
        private static void reflectCols(double[] x, int rows, int cols, double[] w) {
            for (int i = 0; i < rows; i++) {
                double d = 0;
                for (int j = 0; j < cols; j++) d += x[i * cols + j] * w[j];
                d *= 2;
                for (int j = 0; j < cols; j++) x[i * cols + j] -= d * w[j];
            }
        }

        double svError(SvdResult r, int b, int k) {
            double worst = 0;
            for (int i = 0; i < k; i++) {
                worst = Math.max(worst, Math.abs(r.s().get(b, 0, i) - s[i]) / s[i]);
            }
            return worst;
        }

        private static double[] toDouble(float[] f) {
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return d;
        }

        /**
         * Largest principal angle, in degrees, between the true and the computed leading-j left singular subspaces
         * (span L[:, :j] and span U[:, :j]).
         */
        double maxAngleDegrees(SvdResult r, int b, int j) {
            int k = r.k();
            double[] x = toDouble(r.u().toArray(b));         // m x k; L^T U = H2 H1 H0 U
            for (int h = 0; h < left.length; h++) reflectRows(x, m, k, left[h]);
            double[] c = new double[j * j];                   // L[:, :j]^T U[:, :j]: first j rows and columns
            for (int p = 0; p < j; p++) System.arraycopy(x, p * k, c, p * j, j);
            double[] sv = new double[j];
            check(LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'N', j, j, c, j, sv, new double[1], 1, new double[1], 1), "dgesdd");
            double cosMin = Math.min(1.0, sv[j - 1]);
            return Math.toDegrees(Math.acos(cosMin));
        }

        /** ||A - U S V^T||_F / sqrt(sum_{i>=k} s_i^2). */
        double residualRatio(SvdResult r, int b, int k) {
            double[] us = toDouble(r.u().toArray(b));
            double[] v = toDouble(r.v().toArray(b));
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) us[i * k + p] *= r.s().get(b, 0, p);
            }
            double[] res = a.clone();
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, -1.0, us, k, v, k, 1.0, res, n);
            double err = 0;
            for (double x : res) err += x * x;
            double opt = 0;
            for (int i = k; i < s.length; i++) opt += s[i] * s[i];
            return opt == 0 ? Math.sqrt(err) : Math.sqrt(err / opt);
        }

        private static void check(int info, String what) {
            if (info != 0) throw new SculptException("kernel demo: LAPACK " + what + " failed with info " + info);
        }
    }
}
