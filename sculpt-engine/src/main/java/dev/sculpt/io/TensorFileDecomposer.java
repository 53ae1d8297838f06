package dev.sculpt.io;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Svd;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.osft.DecompositionChunks;
import dev.sculpt.tensor.MatrixBatch;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Decomposes every 2-D float tensor {@code NAME} [m, n] of a safetensors file into {@code NAME.U} [m, k],
 * {@code NAME.S} [k] and {@code NAME.V} [n, k] (F32) in another safetensors file, so that
 * NAME ~ U diag(S) V^T. Tensors of one shape are decomposed together, in batches of at most 2^27 input elements
 * ({@link DecompositionChunks}, as a task's start batches them), through {@link Svd#topK}; other ranks and non-float dtypes are skipped with a note. The output is written atomically
 * (nothing appears under its name unless every tensor succeeded); the input is only read.
 *
 * <p>Every input tensor gets exactly one report line: either the decomposition (shape, k, method, time, estimated
 * relative error {@code sqrt(max(0, ||A||_F^2 - sum s_i^2)) / ||A||_F}) or the reason it was skipped. The time of a
 * batch is shared equally among its tensors. Output tensors are ordered batch by batch.
 */
public final class TensorFileDecomposer {
    /** How k is chosen for an m x n tensor: a fixed rank or a ratio of min(m, n). */
    public record RankRule(Integer rank, Double ratio) {
        public RankRule {
            if ((rank == null) == (ratio == null)) {
                throw new SculptException("give exactly one of --rank K or --ratio R");
            }
            if (rank != null && rank <= 0) throw new SculptException("--rank must be positive, got " + rank);
            if (ratio != null && !(ratio > 0 && ratio <= 1)) {
                throw new SculptException("--ratio must be in (0, 1], got " + ratio);
            }
        }

        public static RankRule rank(int k) { return new RankRule(k, null); }

        public static RankRule ratio(double r) { return new RankRule(null, r); }

        /** k for the named m x n tensor; throws naming it when k is impossible (k < 1 or k > min(m, n)). */
        public int k(String name, long m, long n) {
            long min = Math.min(m, n);
            long k = rank != null ? rank : Math.round(ratio * min);
            if (k < 1 || k > min) {
                throw new SculptException("tensor '" + name + "' [" + m + ", " + n + "]: "
                        + (rank != null ? "--rank " + rank : "--ratio " + ratio + " gives k = " + k)
                        + " is impossible: k must be between 1 and min(m, n) = " + min);
            }
            return (int) k;
        }
    }

    /** One decomposed tensor. */
    public record Outcome(String name, int m, int n, int k, String method, double seconds, double relError) {
        public String line() {
            return String.format(Locale.ROOT, "%s  [%d, %d]  k=%d  %s  %.3f s  est.rel.err %.3e",
                    name, m, n, k, method, seconds, relError);
        }
    }

    private TensorFileDecomposer() {}

    /**
     * Decomposes {@code in} into {@code out}. {@code report} receives one line per input tensor as soon as it is
     * known. Returns the decomposed tensors' outcomes.
     */
    public static List<Outcome> run(Path in, Path out, RankRule rule, Backend backend, SvdOptions options,
                                    Consumer<String> report) {
        checkPaths(in, out);
        try (SafeTensors src = SafeTensors.open(in)) {
            // plan: every check that needs only the header happens before any work
            Map<String, List<TensorInfo>> groups = new LinkedHashMap<>();
            Map<String, Integer> ks = new LinkedHashMap<>();
            List<String> skipped = new ArrayList<>();
            for (TensorInfo t : src.tensors()) {
                if (t.rank() != 2) {
                    skipped.add("skip " + t.name() + "  " + t.shapeString() + "  rank " + t.rank() + " (only 2-D tensors are decomposed)");
                } else if (!t.dtype().readableAsFloat()) {
                    skipped.add("skip " + t.name() + "  " + t.shapeString() + "  dtype " + t.dtype() + " (only F32, F16, BF16)");
                } else if (t.elementCount() == 0) {
                    skipped.add("skip " + t.name() + "  " + t.shapeString() + "  empty matrix (no singular values)");
                } else if (t.dim(0) > Integer.MAX_VALUE || t.dim(1) > Integer.MAX_VALUE
                        || t.dim(0) * t.dim(1) > DecompositionChunks.MAX_ELEMENTS) {
                    throw new SculptException("tensor '" + t.name() + "' " + t.shapeString() + " is too large to decompose");
                } else {
                    ks.put(t.name(), rule.k(t.name(), t.dim(0), t.dim(1)));
                    groups.computeIfAbsent(t.dim(0) + "x" + t.dim(1), s -> new ArrayList<>()).add(t);
                }
            }
            List<List<TensorInfo>> batches = new ArrayList<>();
            for (List<TensorInfo> g : groups.values()) {   // the batches a task's start makes
                batches.addAll(DecompositionChunks.split(g, Math.max(1, g.get(0).elementCount()), DecompositionChunks.MAX_ELEMENTS));
            }
            List<TensorSpec> specs = new ArrayList<>();
            for (List<TensorInfo> b : batches) {
                for (TensorInfo t : b) {
                    int k = ks.get(t.name());
                    specs.add(new TensorSpec(t.name() + ".U", DType.F32, new long[] {t.dim(0), k}));
                    specs.add(new TensorSpec(t.name() + ".S", DType.F32, new long[] {k}));
                    specs.add(new TensorSpec(t.name() + ".V", DType.F32, new long[] {t.dim(1), k}));
                }
            }
            skipped.forEach(report);
            Map<String, String> meta = new LinkedHashMap<>(src.metadata());
            meta.put("sculpt.decompose.source", String.valueOf(in.getFileName()));
            meta.put("sculpt.decompose.options", options.toString());
            List<Outcome> outcomes = new ArrayList<>();
            try (SafeTensorsWriter w = SafeTensorsWriter.create(out, specs, meta)) {
                for (List<TensorInfo> b : batches) {
                    decomposeBatch(src, b, ks.get(b.get(0).name()), backend, options, w, outcomes, report);
                }
                w.commit();
            }
            return outcomes;
        }
    }

    private static void checkPaths(Path in, Path out) {
        if (!Files.isRegularFile(in)) throw new SculptException("--in " + in + ": no such file");
        boolean same = in.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize());
        try {
            same |= Files.exists(out) && Files.isSameFile(in, out);
        } catch (IOException e) {
            throw new SculptException("--out " + out + ": " + e.getMessage(), e);
        }
        if (same) throw new SculptException("--out " + out + " is the input file; the input is never overwritten");
        if (Files.isDirectory(out)) throw new SculptException("--out " + out + " is a directory");
    }

    private static void decomposeBatch(SafeTensors src, List<TensorInfo> tensors, int k, Backend backend,
                                       SvdOptions options, SafeTensorsWriter w, List<Outcome> outcomes,
                                       Consumer<String> report) {
        int count = tensors.size();
        int m = (int) tensors.get(0).dim(0);
        int n = (int) tensors.get(0).dim(1);
        String[] names = tensors.stream().map(TensorInfo::name).toArray(String[]::new);
        double[] normSq = new double[count];
        try (MatrixBatch a = MatrixBatch.allocateHost(count, m, n).withNames(names)) {
            for (int b = 0; b < count; b++) {
                src.read(names[b], a, b);
                normSq[b] = checkFiniteAndNormSq(names[b], a, b);
            }
            long t0 = System.nanoTime();
            try (SvdResult r = Svd.topK(backend, a, k, options)) {
                double seconds = (System.nanoTime() - t0) / 1e9 / count;
                for (int b = 0; b < count; b++) {
                    double sumSq = 0;
                    FloatBuffer s = r.s().buffer();
                    for (int i = 0; i < k; i++) {
                        double v = s.get((int) r.s().offset(b) + i);
                        sumSq += v * v;
                    }
                    double rel = normSq[b] == 0 ? 0 : Math.sqrt(Math.max(0, normSq[b] - sumSq) / normSq[b]);
                    Outcome o = new Outcome(names[b], m, n, k, r.method().name().toLowerCase(Locale.ROOT), seconds, rel);
                    w.write(names[b] + ".U", TensorSource.of(r.u(), b));
                    w.write(names[b] + ".S", TensorSource.of(r.s(), b, k));
                    w.write(names[b] + ".V", TensorSource.of(r.v(), b));
                    outcomes.add(o);
                    report.accept(o.line());
                }
            }
        }
    }

    /** Sum of squares in float64; throws naming the tensor and the element at the first NaN or infinity. */
    private static double checkFiniteAndNormSq(String name, MatrixBatch a, int b) {
        FloatBuffer buf = a.buffer();
        int base = (int) a.offset(b);
        int size = (int) a.matrixSize();
        double sum = 0;
        for (int i = 0; i < size; i++) {
            float v = buf.get(base + i);
            if (!Float.isFinite(v)) {
                throw new SculptException("tensor '" + name + "' contains " + v + " at [" + i / a.cols() + ", " + i % a.cols() + "]");
            }
            sum += (double) v * v;
        }
        return sum;
    }
}
