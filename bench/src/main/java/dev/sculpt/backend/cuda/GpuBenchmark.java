package dev.sculpt.backend.cuda;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.bench.Timings;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * A short GPU benchmark for bench/gpu/run.sh (not a unit test): randomized top-k against cuSOLVER's exact SVD,
 * and the two-sided projection against a cuBLAS SGEMM of the same shape, on device-resident inputs. Writes a
 * Markdown table to the file named by the first argument. Median of {@code reps} timed runs after one warm-up.
 *
 * <p>Floors: the randomized SVD's large products (sketch, 2q power products, B^T = A^T Q: 2 m n l (2 + 2q) flops)
 * plus its Gram/QR steps (per CholeskyQR2: 2 x (m l^2 Gram + 2 m l^2 product)) divided by the SGEMM rate of an
 * m x l x n product measured in the same run; the projection's 4 k-rank products (8 m n k flops) over the
 * SGEMM rate of an m x k x n product.
 *
 * <p>Accuracy of the randomized rows, two columns: against the exact singular values (gesvdj), which on this slowly
 * decaying spectrum mostly measures the randomized algorithm itself, and against the same algorithm in float64 on
 * the same Philox sketch ({@link RandomizedSvdF64}), which measures the code: a backward-stable float32 pipeline
 * stays within ROUND = 3e-5 sigma_1 of it (BackendContractTest's rounding bound).
 */
public final class GpuBenchmark {
    private GpuBenchmark() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "gpu-results.md");
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Backend gpu = Backends.cuda().orElseThrow(() -> new IllegalStateException("no CUDA backend: " + Backends.cudaUnavailableReason()));
        CudaLibraries libs = CudaLibraries.create();
        StringBuilder md = new StringBuilder();
        md.append("# GPU benchmark\n\n").append(gpu.describe()).append("\n\n");
        md.append("Randomized top-k (p = 10, q = 2; median of ").append(reps).append(" after a warm-up) vs cuSOLVER gesvdj ")
                .append("(exact, full economy SVD, one cold run per shape), device-resident float32. Errors of sigma_1..k: ")
                .append("relative to the exact values (the algorithm's error on this spectrum plus the code's), and against ")
                .append("the float64 randomized algorithm on the same sketch in units of its sigma_1 (the code's alone; ")
                .append("rounding bound 3e-5).\n\n");
        md.append("| batch x m x n | k | randomized ms | exact ms | speed-up | floor ms | ratio to floor | max rel err sigma_1..k"
                + " | max abs err vs f64 algorithm / sigma_1 | sgemm GFLOP/s |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|\n");
        int[][] shapes = {{1, 1024, 1024}, {1, 2048, 2048}, {1, 2048, 5504}, {8, 1024, 1024}};
        for (int[] sh : shapes) {
            int count = sh[0], m = sh[1], n = sh[2], p = Math.min(m, n);
            try (MatrixBatch host = GpuBenchMatrices.withSpectrum(count, m, n, 0.995, 7); MatrixBatch a = gpu.upload(host)) {
                long t0 = System.nanoTime();
                float[] exact;
                try (SvdResult r = gpu.exactSvd(a, p)) {   // the cost does not depend on k: timed once per shape
                    exact = downloadS(gpu, r);
                }
                double exactMs = (System.nanoTime() - t0) / 1e6;
                for (int k : new int[] {p / 8, p / 4, p / 2}) {
                    row(md, gpu, libs, host, a, exact, exactMs, k, reps);
                    System.out.print(md.substring(md.lastIndexOf("\n|", md.length() - 2) + 1));
                }
            }
        }
        md.append("\nTwo-sided projection D - U(U^T D) - (D V)V^T + U(U^T D V)V^T, in place on the device.\n\n");
        md.append("Updates of D by the fused kernel (one pass, sculpt_project_update) and by two beta = 1 cuBLAS GEMMs"
                + " (-Dsculpt.cuda.projection=cublas).\n\n");
        md.append("| updates | batch x m x n | k | projection ms | GFLOP/s (8 m n k) | sgemm GFLOP/s (m x k x n) | ratio to floor |\n|---|---|---|---|---|---|---|\n");
        for (int[] sh : new int[][] {{1, 2048, 2048}, {1, 4096, 4096}, {1, 4096, 11008}, {16, 1024, 1024}}) {
            int count = sh[0], m = sh[1], n = sh[2];
            for (int k : new int[] {Math.min(m, n) / 8, Math.min(m, n) / 4}) {
                for (String path : new String[] {"fused", "cublas"}) {
                    System.setProperty("sculpt.cuda.projection", path);
                    projectionRow(md, path, gpu, libs, count, m, n, k, reps);
                    System.out.print(md.substring(md.lastIndexOf("\n|", md.length() - 2) + 1));
                }
            }
            System.clearProperty("sculpt.cuda.projection");
        }
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "results", ".tmp");
        Files.writeString(tmp, md.toString(), StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("wrote " + out);
    }

    /** The benchmark's randomized SVD options: p = 10, q = 2 (the defaults), sketch seed 42. */
    static SvdOptions randomizedOptions() {
        return SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED).withSeed(42);
    }

    private static void row(StringBuilder md, Backend gpu, CudaLibraries libs, MatrixBatch host, MatrixBatch a, float[] exact,
                            double exactMs, int k, int reps) {
        int count = a.count(), m = a.rows(), n = a.cols();
        SvdOptions opts = randomizedOptions();
        int l = CudaRandomizedSvd.sketchWidth(m, n, k, opts.oversample());
        float[] sr = null;
        double[] tr = new double[reps];
        for (int i = -1; i < reps; i++) {
            long t0 = System.nanoTime();
            try (SvdResult r = gpu.randomizedSvd(a, k, opts)) {
                double ms = (System.nanoTime() - t0) / 1e6;
                if (i >= 0) tr[i] = ms;
                if (i == reps - 1) sr = downloadS(gpu, r);
            }
        }
        double mr = Timings.median(tr);
        double[] err = sigmaErrors(host, exact, sr, k, opts);
        double gemmRate = sgemmRate(libs, count, m, l, n, reps);  // flop/ms
        int q = opts.powerIters();
        double big = 2.0 * m * n * l * (2 + 2 * q) * count;
        double qr = (2.0 * q + 2) * 2 * 3.0 * Math.max(m, n) * l * l * count;
        double floor = (big + qr) / gemmRate;
        md.append(String.format(Locale.ROOT, "| %d x %d x %d | %d | %.1f | %.1f | %.1fx | %.1f | %.2f | %.1e | %.1e | %.0f |%n",
                count, m, n, k, mr, exactMs, exactMs / mr, floor, mr / floor, err[0], err[1], gemmRate / 1e6));
    }

    /**
     * The accuracy columns for estimates {@code sr} (count x k) of the top k singular values of each matrix of
     * {@code host}: max_{b,j} |sr_j - exact_j| / exact_j against {@code exact} (count x min(m, n)), and
     * max_{b,j} |sr_j - f_j| / f_1 against the float64 randomized algorithm f on the same sketch (p, q and seed of opts).
     */
    static double[] sigmaErrors(MatrixBatch host, float[] exact, float[] sr, int k, SvdOptions opts) {
        int p = Math.min(host.rows(), host.cols());
        double vsExact = 0, vsF64 = 0;
        for (int b = 0; b < host.count(); b++) {
            double[] f = RandomizedSvdF64.singularValues(host, b, k, opts.oversample(), opts.powerIters(), opts.seed());
            for (int j = 0; j < k; j++) {
                float e = exact[b * p + j];
                vsExact = Math.max(vsExact, Math.abs(sr[b * k + j] - e) / Math.max(e, 1e-30f));
                vsF64 = Math.max(vsF64, Math.abs(sr[b * k + j] - f[j]) / f[0]);
            }
        }
        return new double[] {vsExact, vsF64};
    }

    private static void projectionRow(StringBuilder md, String path, Backend gpu, CudaLibraries libs, int count, int m, int n, int k,
                                      int reps) {
        try (MatrixBatch dh = GpuBenchMatrices.gaussian(count, m, n, 1); MatrixBatch uh = GpuBenchMatrices.gaussian(count, m, k, 2);
             MatrixBatch vh = GpuBenchMatrices.gaussian(count, n, k, 3);
             MatrixBatch d = gpu.upload(dh); MatrixBatch u = gpu.upload(uh); MatrixBatch v = gpu.upload(vh)) {
            double[] t = new double[reps];
            for (int i = -1; i < reps; i++) {
                long t0 = System.nanoTime();
                gpu.project(d, u, v, ProjectionMode.TWO_SIDED);   // timing only: bases need not be orthonormal
                if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
            }
            double ms = Timings.median(t);
            double flops = 8.0 * m * n * k * count;
            double gemmRate = sgemmRate(libs, count, m, k, n, reps);
            md.append(String.format(Locale.ROOT, "| %s | %d x %d x %d | %d | %.2f | %.0f | %.0f | %.2f |%n",
                    path, count, m, n, k, ms, flops / ms / 1e6, gemmRate / 1e6, ms / (flops / gemmRate)));
        }
    }

    /** Measured SGEMM rate (flop per ms) of a batch of row-major (m x n) x (n x l) products. */
    private static double sgemmRate(CudaLibraries libs, int count, int m, int l, int n, int reps) {
        try (DeviceArena ws = new DeviceArena(new NativeDeviceOps(libs))) {
            long a = ws.floats((long) count * m * n), b = ws.floats((long) count * n * l), c = ws.floats((long) count * m * l);
            CudaKernels.sculpt_philox_fill(a, count, m, n, 1, 0);
            CudaKernels.sculpt_philox_fill(b, count, n, l, 2, 0);
            double[] t = new double[reps];
            for (int i = -1; i < reps; i++) {
                Cuda.check(CudaKernels.sculpt_cuda_synchronize(), "sync");
                long t0 = System.nanoTime();
                libs.gemm(false, false, m, l, n, 1f, a, n, (long) m * n, b, l, (long) n * l, 0f, c, l, (long) m * l, count);
                Cuda.check(CudaKernels.sculpt_cuda_synchronize(), "sgemm");
                if (i >= 0) t[i] = (System.nanoTime() - t0) / 1e6;
            }
            return 2.0 * m * n * l * count / Timings.median(t);
        }
    }

    private static float[] downloadS(Backend gpu, SvdResult r) {
        try (MatrixBatch s = gpu.download(r.s())) {
            return s.toArray();
        }
    }
}
