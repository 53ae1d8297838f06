package dev.sculpt.backend.cuda;

import dev.sculpt.bench.Timings;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.osft.DecompositionChunks;
import dev.sculpt.osft.RankPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Issue 15's decomposition benchmark, for bench/gpu/run.sh (not a unit test): the top-k factors of all 224 targets of
 * a LLaMA-7B-shaped random model (32 layers of q, k, v, o at 4096 x 4096, gate and up at 11008 x 4096, down at
 * 4096 x 11008), k = round(0.5 min(m, n)), as the start of a task computes them ({@link dev.sculpt.osft.SubspaceGuard#protect}:
 * batched randomized SVDs of same-shape matrices, at most 2^27 input elements a batch ({@link DecompositionChunks}), p = 10, q = 2), against a loop of cuSOLVER gesvdj exact SVDs, one matrix at
 * a time ({@link CudaExactSvd}, the backend's exact path: the full economy SVD, then the top k re-orthonormalised). Target: 10x.
 *
 * <p>Each batch is filled on the device with Philox Gaussians just before it is decomposed (the fill is not
 * timed); both timings include their device workspace allocations, as in a run. The exact loop over all 224
 * matrices would take minutes, so {@code samples} matrices of each shape (default 1) are decomposed exactly and the
 * loop's time is their median times the shape's count: an extrapolation, stated as such in the table. The first
 * CUDA calls (handles, kernel loading) are made on a 256 x 256 warm-up matrix before anything is timed.
 *
 * <p>The accuracy column compares the batched sigma_1..k of the sampled matrices with their exact ones: on
 * Gaussian matrices (a flat spectrum, the randomized method's worst case) the trailing values are off by the
 * method's own error, a few percent, while sigma_1 is within a fraction of a percent.
 *
 * <p>Arguments: output Markdown file, rank ratio (default 0.5), exact samples per shape (default 1), shape
 * ({@code 7b}, the default, or {@code tiny} to check the program off the GPU).
 */
public final class TargetDecompositionBenchmark {
    private TargetDecompositionBenchmark() {}

    /** A LLaMA's target matrices by shape: {@code count} matrices of {@code rows x cols}. */
    record Group(String what, int count, int rows, int cols) {}

    /** The decoder's sizes: hidden, intermediate, layers and the k/v projections' output width. */
    record ModelShape(String label, int hidden, int inter, int layers, int kvWidth) {
        static final ModelShape LLAMA_7B = new ModelShape("LLaMA-2-7B shape", 4096, 11008, 32, 4096);
        static final ModelShape TINY = new ModelShape("tiny", 48, 80, 2, 24);

        /** The targets grouped by shape, as the guard batches them (q and o with k and v when kv = hidden). */
        List<Group> groups() {
            List<Group> g = new ArrayList<>();
            if (kvWidth == hidden) {
                g.add(new Group("q, k, v, o", 4 * layers, hidden, hidden));
            } else {
                g.add(new Group("q, o", 2 * layers, hidden, hidden));
                g.add(new Group("k, v", 2 * layers, kvWidth, hidden));
            }
            g.add(new Group("gate, up", 2 * layers, inter, hidden));
            g.add(new Group("down", layers, hidden, inter));
            return g;
        }
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "decomposition-results.md");
        double ratio = args.length > 1 ? Double.parseDouble(args[1]) : 0.5;
        int samples = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        ModelShape shape = args.length > 3 && args[3].equals("tiny") ? ModelShape.TINY : ModelShape.LLAMA_7B;
        if (!CudaProbe.usable()) throw new IllegalStateException("no CUDA device: " + CudaProbe.unavailableReason());
        String md = run(new NativeDeviceOps(CudaLibraries.create()), CudaProbe.description(), shape, ratio, samples);
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "decomposition-results", ".tmp");
        Files.writeString(tmp, md, StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println("wrote " + out);
    }

    /** The benchmark's Markdown section, printing each row as it is measured. */
    static String run(DeviceOps ops, String device, ModelShape shape, double ratio, int samples) {
        if (samples < 1) throw new IllegalArgumentException("exact samples per shape must be >= 1, got " + samples);
        SvdOptions opts = SvdOptions.defaults();
        warmUp(ops, opts);
        StringBuilder md = new StringBuilder();
        md.append("# Decomposition of all targets at the start of a task\n\n").append(device).append("\n\n");
        int targets = shape.groups().stream().mapToInt(Group::count).sum();
        md.append(String.format(Locale.ROOT, "%s, %d targets, k = round(%.2f min(m, n)): batched randomized SVDs of same-shape matrices "
                        + "(p = %d, q = %d) against a loop of cuSOLVER gesvdj exact SVDs, one matrix at a time (the loop's time: the "
                        + "median of %d exact SVD(s) per shape times the shape's count); batches of at most 2^27 input elements as a task's start makes them. Device-resident float32 Gaussian matrices.%n%n",
                shape.label(), targets, ratio, opts.oversample(), opts.powerIters(), samples));
        md.append("| targets | count x m x n | k | batches | small solver | batched randomized ms | exact ms per matrix | exact loop ms (extrapolated) "
                + "| speed-up | sigma_1 rel err | max rel err sigma_1..k |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        System.out.print(md);
        double batchedTotal = 0, loopTotal = 0;
        for (Group g : shape.groups()) {
            double[] row = group(ops, g, RankPolicy.rankFor(ratio, g.rows(), g.cols()), opts, samples, md);
            batchedTotal += row[0];
            loopTotal += row[1];
        }
        String total = String.format(Locale.ROOT, "| all %d | | | | | %.0f | | %.0f | %.1fx | | |%n", targets, batchedTotal, loopTotal,
                loopTotal / batchedTotal);
        md.append(total);
        System.out.print(total);
        return md.toString();
    }

    /**
     * Decomposes one group in the guard's batches ({@link DecompositionChunks}), appends its row; returns {batched ms,
     * extrapolated exact loop ms}. Each batch is filled just before its decomposition (not timed).
     */
    private static double[] group(DeviceOps ops, Group g, int k, SvdOptions opts, int samples, StringBuilder md) {
        int count = g.count(), m = g.rows(), n = g.cols();
        long mn = (long) m * n;
        int[] batches = DecompositionChunks.sizes(count, mn);
        int largest = batches[0];
        List<Long> owned = new ArrayList<>();
        try {
            long a = alloc(ops, owned, 4L * largest * mn);
            long u = alloc(ops, owned, 4L * largest * m * k), s = alloc(ops, owned, 4L * largest * k);
            long v = alloc(ops, owned, 4L * largest * n * k);
            double batched = 0;
            CudaRandomizedSvd.SmallSolver solver = null;
            float[] randomized = null;
            for (int i = batches.length - 1; i >= 0; i--) {   // the first batch last: its inputs stay for the exact samples
                ops.philoxFill(a, batches[i], m, n, 1000L + m + n + i);
                ops.synchronize();
                long t0 = System.nanoTime();
                solver = CudaRandomizedSvd.run(ops, a, batches[i], m, n, k, opts.oversample(), opts.powerIters(), opts.seed(), u, s, v);
                ops.synchronize();
                batched += (System.nanoTime() - t0) / 1e6;
                if (i == 0) randomized = ops.readFloats(s, batches[i] * k);
            }
            int sampled = Math.min(samples, largest);
            double[] exactMs = new double[sampled];
            double first = 0, worst = 0;
            long u1 = alloc(ops, owned, 4L * m * k), s1 = alloc(ops, owned, 4L * k), v1 = alloc(ops, owned, 4L * n * k);
            for (int j = 0; j < sampled; j++) {
                ops.synchronize();
                long t0 = System.nanoTime();
                CudaExactSvd.run(ops, a + 4L * j * mn, 1, m, n, k, u1, s1, v1);
                ops.synchronize();
                exactMs[j] = (System.nanoTime() - t0) / 1e6;
                float[] exact = ops.readFloats(s1, k);
                first = Math.max(first, Math.abs(randomized[j * k] - exact[0]) / exact[0]);
                for (int i = 0; i < k; i++) worst = Math.max(worst, Math.abs(randomized[j * k + i] - exact[i]) / exact[i]);
            }
            double perMatrix = Timings.median(exactMs), loop = perMatrix * count;
            String row = String.format(Locale.ROOT, "| %s | %d x %d x %d | %d | %d of at most %d | %s | %.0f | %.0f | %.0f | %.1fx | %.1e | %.1e |%n",
                    g.what(), count, m, n, k, batches.length, largest, solver.name().toLowerCase(Locale.ROOT), batched, perMatrix, loop,
                    loop / batched, first, worst);
            md.append(row);
            System.out.print(row);
            return new double[] {batched, loop};
        } finally {
            for (long b : owned) ops.free(b);
        }
    }

    /** One small randomized and one exact SVD, so that handle creation and kernel loading are not timed. */
    private static void warmUp(DeviceOps ops, SvdOptions opts) {
        int n = 256, k = 32;
        List<Long> owned = new ArrayList<>();
        try {
            long a = alloc(ops, owned, 4L * n * n);
            ops.philoxFill(a, 1, n, n, 1);
            long u = alloc(ops, owned, 4L * n * n), s = alloc(ops, owned, 4L * n), v = alloc(ops, owned, 4L * n * n);
            CudaRandomizedSvd.run(ops, a, 1, n, n, k, opts.oversample(), opts.powerIters(), opts.seed(), u, s, v);
            CudaExactSvd.run(ops, a, 1, n, n, n, u, s, v);
            ops.synchronize();
        } finally {
            for (long b : owned) ops.free(b);
        }
    }

    private static long alloc(DeviceOps ops, List<Long> owned, long bytes) {
        long a = ops.malloc(bytes);
        owned.add(a);
        return a;
    }
}
