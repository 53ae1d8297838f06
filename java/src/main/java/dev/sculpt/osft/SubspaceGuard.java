package dev.sculpt.osft;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.backend.Svd;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OSFT subspace constraint, usable by any JVM trainer. Register named m x n weight matrices (heap
 * {@code float[]}, direct {@code FloatBuffer} or a one-matrix {@link MatrixBatch}, also on a device) with the
 * rank to preserve, call {@link #protect()} once per task, then project every update before applying it:
 *
 * <pre>{@code
 * try (SubspaceGuard guard = SubspaceGuard.builder().build()) {
 *     guard.register("w1", w1, 256, 128, 64);   // float[] row-major, keep the top 64 directions
 *     guard.protect();                          // SVD (batched by shape) and a snapshot W0
 *     for (int step = 1; step <= steps; step++) {
 *         float[] delta = myOptimizer.update(w1, grad(w1));
 *         guard.project("w1", delta);           // in place: delta = P(delta)
 *         for (int i = 0; i < w1.length; i++) w1[i] += delta[i];
 *         guard.afterStep(step);                // checks the invariant every checkEvery steps
 *     }
 *     guard.ranks(); guard.residuals();         // bookkeeping
 * }
 * }</pre>
 *
 * The protected bases are the top-k singular vectors of W at {@code protect()} time; with accumulation on they
 * are united (re-orthonormalised) with the bases of earlier {@code protect()} calls. Decompositions go through
 * {@link Svd#topK} (method auto), one batch per shape; projections through {@link Backend#project}, one batch per
 * (shape, rank) group. The invariant {@code ||U_h^T (W - W0)||}, {@code ||(W - W0) V_h||} is computed every
 * {@code checkEvery} steps (in double, on the host) and recorded.
 */
public final class SubspaceGuard implements UpdateConstraint, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SubspaceGuard.class);

    private final Backend backend;
    private final ProjectionMode mode;
    private final SvdOptions svdOptions;
    private final int checkEvery;
    private final boolean accumulate;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final List<InvariantResidual> history = new ArrayList<>();
    private final Map<String, InvariantResidual> latest = new LinkedHashMap<>();
    private final Map<String, Group> groups = new LinkedHashMap<>();
    private int protectCount;

    private static final class Target {
        final String name;
        final int rows;
        final int cols;
        int rank;
        final WeightSource source;
        ProtectedBasis basis;
        float[] w0;
        MatrixBatch u1;  // one-matrix batches for single projections (lazy)
        MatrixBatch v1;
        MatrixBatch d1;

        Target(String name, int rows, int cols, int rank, WeightSource source) {
            this.name = name;
            this.rows = rows;
            this.cols = cols;
            this.rank = rank;
            this.source = source;
        }

        void freeSingles() {
            if (u1 != null) u1.close();
            if (v1 != null) v1.close();
            if (d1 != null) d1.close();
            u1 = v1 = d1 = null;
        }
    }

    /** Matrices of one shape and padded rank, projected together. */
    private static final class Group {
        final List<Target> members = new ArrayList<>();
        MatrixBatch u;
        MatrixBatch v;
        MatrixBatch d;

        void free() {
            if (u != null) u.close();
            if (v != null) v.close();
            if (d != null) d.close();
        }
    }

    private SubspaceGuard(Builder b) {
        this.backend = b.backend;
        this.mode = b.mode;
        this.svdOptions = b.svdOptions;
        this.checkEvery = b.checkEvery;
        this.accumulate = b.accumulate;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a guard. Defaults: CPU backend, two-sided projection, SVD method auto, check every 50 steps, no accumulation. */
    public static final class Builder {
        private Backend backend = Backends.cpu();
        private ProjectionMode mode = ProjectionMode.TWO_SIDED;
        private SvdOptions svdOptions = SvdOptions.defaults();
        private int checkEvery = 50;
        private boolean accumulate;

        public Builder backend(Backend b) { this.backend = Objects.requireNonNull(b); return this; }
        public Builder mode(ProjectionMode m) { this.mode = Objects.requireNonNull(m); return this; }
        public Builder svdOptions(SvdOptions o) { this.svdOptions = Objects.requireNonNull(o); return this; }
        /** Invariant check interval in steps; 0 turns the periodic check off. */
        public Builder checkEvery(int n) {
            if (n < 0) throw new SculptException("invariant check interval must be >= 0, got " + n);
            this.checkEvery = n;
            return this;
        }
        /** Unite each task's bases with the earlier ones instead of replacing them. */
        public Builder accumulate(boolean a) { this.accumulate = a; return this; }
        public SubspaceGuard build() { return new SubspaceGuard(this); }
    }

    // ---- registration ----

    /** Registers a heap matrix (row-major rows x cols, read when protecting and checking; updates are projected by the caller's calls). */
    public SubspaceGuard register(String name, float[] weights, int rows, int cols, int rank) {
        checkSize(name, weights.length, rows, cols);
        return add(new Target(name, rows, cols, checkRank(name, rank, rows, cols), WeightSource.of(weights)));
    }

    /** Registers a matrix held in a (direct or heap) FloatBuffer, absolute indexing from 0. */
    public SubspaceGuard register(String name, FloatBuffer weights, int rows, int cols, int rank) {
        checkSize(name, weights.capacity(), rows, cols);
        return add(new Target(name, rows, cols, checkRank(name, rank, rows, cols), WeightSource.of(weights, rows * cols)));
    }

    /** Registers matrix 0 of a one-matrix batch on the host or on this guard's backend's device. */
    public SubspaceGuard register(String name, MatrixBatch weights, int rank) {
        if (weights.count() != 1) throw new SculptException("register " + name + ": expected a batch of one matrix, got " + weights.shapeString());
        return add(new Target(name, weights.rows(), weights.cols(), checkRank(name, rank, weights.rows(), weights.cols()),
                WeightSource.of(weights, backend)));
    }

    /** Changes a registered matrix's preserved rank; takes effect at the next {@link #protect()}. */
    public void setRank(String name, int rank) {
        Target t = target(name);
        t.rank = checkRank(name, rank, t.rows, t.cols);
    }

    private static void checkSize(String name, long n, int rows, int cols) {
        if (rows < 1 || cols < 1) throw new SculptException("register " + name + ": shape " + rows + " x " + cols + " is empty");
        if (n < (long) rows * cols) throw new SculptException("register " + name + ": " + n + " values cannot hold " + rows + " x " + cols);
    }

    private static int checkRank(String name, int rank, int rows, int cols) {
        int max = Math.min(rows, cols) - 1;
        if (rank < 0 || rank > max) {
            throw new SculptException("matrix " + name + " (" + rows + " x " + cols + "): preserved rank " + rank + " outside [0, " + max + "]");
        }
        return rank;
    }

    private SubspaceGuard add(Target t) {
        if (targets.containsKey(t.name)) throw new SculptException("matrix " + t.name + " is already registered");
        targets.put(t.name, t);
        return this;
    }

    private Target target(String name) {
        Target t = targets.get(name);
        if (t == null) throw new SculptException("matrix " + name + " is not registered with the subspace guard");
        return t;
    }

    // ---- protection ----

    /**
     * Decomposes every registered matrix (one {@link Svd#topK} call per shape, k = the largest rank asked for that
     * shape), keeps U_h and V_h (united with the earlier ones when accumulating), snapshots W0 and clears the
     * residual records of the previous task.
     */
    public void protect() {
        freeProjectionBuffers();
        history.clear();
        latest.clear();
        Map<String, List<Target>> byShape = new LinkedHashMap<>();
        for (Target t : targets.values()) {
            t.w0 = t.source.read();
            byShape.computeIfAbsent(t.rows + "x" + t.cols, s -> new ArrayList<>()).add(t);
        }
        for (List<Target> shape : byShape.values()) {
            int kmax = 0;
            for (Target t : shape) kmax = Math.max(kmax, t.rank);
            Target first = shape.get(0);
            int m = first.rows, n = first.cols;
            if (kmax == 0) {
                for (Target t : shape) t.basis = merge(t, ProtectedBasis.empty(m, n));
                continue;
            }
            long t0 = System.nanoTime();
            MatrixBatch host = MatrixBatch.allocateHost(shape.size(), m, n);
            String[] names = new String[shape.size()];
            for (int b = 0; b < shape.size(); b++) {
                names[b] = shape.get(b).name;
                host.buffer().put((int) host.offset(b), shape.get(b).w0);
            }
            host.withNames(names);
            MatrixBatch input = host;
            SvdResult r = null;
            try {
                if (!backend.computesOnHost()) input = backend.upload(host).withNames(names);
                r = Svd.topK(backend, input, kmax, svdOptions.withSeed(svdOptions.seed() + protectCount));
                float[] u = hostCopy(r.u());
                float[] v = hostCopy(r.v());
                int k = r.u().cols();
                for (int b = 0; b < shape.size(); b++) {
                    Target t = shape.get(b);
                    float[] ub = slice(u, b, m, k, t.rank);
                    float[] vb = slice(v, b, n, k, t.rank);
                    t.basis = merge(t, new ProtectedBasis(m, n, t.rank, ub, t.rank, vb));
                }
                LOG.debug("decomposed {} matrices of {} x {} (k = {}, {}) in {} ms", shape.size(), m, n, kmax, r.method(),
                        (System.nanoTime() - t0) / 1_000_000);
            } finally {
                if (r != null) r.close();
                if (input != host) input.close();
                host.close();
            }
        }
        protectCount++;
        for (Target t : targets.values()) {
            LOG.info("osft rank {} ({} x {}): U_h {} columns, V_h {} columns", t.name, t.rows, t.cols,
                    t.basis.leftRank(), t.basis.rightRank());
        }
    }

    private ProtectedBasis merge(Target t, ProtectedBasis fresh) {
        if (!accumulate || t.basis == null) return fresh;
        return ProtectedBasis.union(t.basis, fresh, Math.min(t.rows, t.cols) - 1);
    }

    private float[] hostCopy(MatrixBatch b) {
        if (b.isHost()) return b.toArray();
        try (MatrixBatch h = backend.download(b)) {
            return h.toArray();
        }
    }

    /** Columns 0..keep-1 of matrix b of a packed count x rows x k array. */
    private static float[] slice(float[] all, int b, int rows, int k, int keep) {
        float[] out = new float[rows * keep];
        int base = b * rows * k;
        for (int r = 0; r < rows; r++) System.arraycopy(all, base + r * k, out, r * keep, keep);
        return out;
    }

    /** Installs bases computed elsewhere (for example restored from disk on resume) and snapshots W0. */
    public void restore(String name, ProtectedBasis basis) {
        Target t = target(name);
        if (basis.rows() != t.rows || basis.cols() != t.cols) {
            throw new SculptException("basis for " + name + " is " + basis.rows() + " x " + basis.cols() + ", matrix is " + t.rows + " x " + t.cols);
        }
        freeProjectionBuffers();
        t.basis = basis;
        t.w0 = t.source.read();
    }

    // ---- projection ----

    @Override
    public boolean constrains(String name) {
        return targets.containsKey(name);
    }

    /** Projects a heap update in place. */
    public void project(String name, float[] delta) {
        Target t = protectedTarget(name);
        if (delta.length < t.rows * t.cols) throw new SculptException("update of " + name + " has " + delta.length + " values, expected " + t.rows * t.cols);
        if (t.basis.rank() == 0) return;
        singleBuffers(t);
        FloatBuffer d = t.d1.buffer();
        d.put(0, delta, 0, t.rows * t.cols);
        projectSingle(t);
        d.get(0, delta, 0, t.rows * t.cols);
    }

    /** Projects an update held in a FloatBuffer (absolute indexing from 0) in place. */
    public void project(String name, FloatBuffer delta) {
        Target t = protectedTarget(name);
        if (delta.capacity() < t.rows * t.cols) throw new SculptException("update of " + name + " has " + delta.capacity() + " values, expected " + t.rows * t.cols);
        if (t.basis.rank() == 0) return;
        singleBuffers(t);
        int n = t.rows * t.cols;
        FloatBuffer d = t.d1.buffer();
        d.put(0, delta, 0, n);
        projectSingle(t);
        delta.put(0, d, 0, n);
    }

    /** Projects the host staging matrix of a target, through the device when the backend has one. */
    private void projectSingle(Target t) {
        if (backend.computesOnHost()) {
            backend.project(t.d1, t.u1, t.v1, mode);
            return;
        }
        try (MatrixBatch dev = backend.upload(t.d1)) {
            backend.project(dev, t.u1, t.v1, mode);
            try (MatrixBatch back = backend.download(dev)) {
                t.d1.buffer().put(0, back.buffer(), 0, (int) back.elementCount());
            }
        }
    }

    /** Projects a one-matrix batch in place; it must live where this guard's backend works (host for CPU). */
    public void project(String name, MatrixBatch delta) {
        Target t = protectedTarget(name);
        if (delta.count() != 1 || delta.rows() != t.rows || delta.cols() != t.cols) {
            throw new SculptException("update of " + name + " is " + delta.shapeString() + ", expected 1 x " + t.rows + " x " + t.cols);
        }
        if (t.basis.rank() == 0) return;
        singleBuffers(t);
        backend.project(delta, t.u1, t.v1, mode);
    }

    /** Projects all updates of the map that belong to registered matrices, batched by shape and rank. */
    @Override
    public void project(Map<String, FloatBuffer> updates) {
        if (groups.isEmpty()) buildGroups();
        for (Group g : groups.values()) {
            int size = g.members.get(0).rows * g.members.get(0).cols;
            FloatBuffer d = g.d.isHost() ? g.d.buffer() : null;
            MatrixBatch host = d != null ? g.d : MatrixBatch.allocateHost(g.members.size(), g.d.rows(), g.d.cols());
            boolean any = false;
            for (int b = 0; b < g.members.size(); b++) {
                FloatBuffer src = updates.get(g.members.get(b).name);
                if (src != null) any = true;
                if (src != null) host.buffer().put((int) host.offset(b), src, 0, size);
                else for (int i = 0; i < size; i++) host.buffer().put((int) host.offset(b) + i, 0f);
            }
            if (any) {
                if (d != null) {
                    backend.project(g.d, g.u, g.v, mode);
                } else {
                    try (MatrixBatch dev = backend.upload(host)) {
                        backend.project(dev, g.u, g.v, mode);
                        try (MatrixBatch back = backend.download(dev)) {
                            host.buffer().put(0, back.buffer(), 0, (int) back.elementCount());
                        }
                    }
                }
                for (int b = 0; b < g.members.size(); b++) {
                    FloatBuffer dst = updates.get(g.members.get(b).name);
                    if (dst != null) dst.put(0, host.buffer(), (int) host.offset(b), size);
                }
            }
            if (host != g.d) host.close();
        }
    }

    private Target protectedTarget(String name) {
        Target t = target(name);
        if (t.basis == null) throw new SculptException("matrix " + name + " has no protected basis yet: call protect() first");
        return t;
    }

    private void singleBuffers(Target t) {
        if (t.u1 != null) return;
        int k = t.basis.rank();
        t.u1 = toBackend(MatrixBatch.ofHost(1, t.rows, k, t.basis.paddedU(k)));
        t.v1 = toBackend(MatrixBatch.ofHost(1, t.cols, k, t.basis.paddedV(k)));
        t.d1 = MatrixBatch.allocateHost(1, t.rows, t.cols).withNames(t.name);
    }

    private MatrixBatch toBackend(MatrixBatch host) {
        if (backend.computesOnHost()) return host;
        try {
            return backend.upload(host);
        } finally {
            host.close();
        }
    }

    private void buildGroups() {
        for (Target t : targets.values()) {
            if (t.basis == null) throw new SculptException("matrix " + t.name + " has no protected basis yet: call protect() first");
            int k = t.basis.rank();
            if (k == 0) continue;
            groups.computeIfAbsent(t.rows + "x" + t.cols + "k" + k, s -> new Group()).members.add(t);
        }
        for (Group g : groups.values()) {
            Target f = g.members.get(0);
            int k = f.basis.rank(), c = g.members.size();
            float[] u = new float[c * f.rows * k];
            float[] v = new float[c * f.cols * k];
            String[] names = new String[c];
            for (int b = 0; b < c; b++) {
                Target t = g.members.get(b);
                names[b] = t.name;
                System.arraycopy(t.basis.paddedU(k), 0, u, b * f.rows * k, f.rows * k);
                System.arraycopy(t.basis.paddedV(k), 0, v, b * f.cols * k, f.cols * k);
            }
            g.u = toBackend(MatrixBatch.ofHost(c, f.rows, k, u));
            g.v = toBackend(MatrixBatch.ofHost(c, f.cols, k, v));
            g.d = backend.allocate(c, f.rows, f.cols).withNames(names);
        }
    }

    private void freeProjectionBuffers() {
        for (Group g : groups.values()) g.free();
        groups.clear();
        for (Target t : targets.values()) t.freeSingles();
    }

    // ---- bookkeeping ----

    @Override
    public void afterStep(long step) {
        if (checkEvery > 0 && step % checkEvery == 0) checkInvariant(step);
    }

    /** Computes and records the invariant residuals of every matrix now. */
    public List<InvariantResidual> checkInvariant(long step) {
        List<InvariantResidual> out = new ArrayList<>();
        for (Target t : targets.values()) {
            if (t.basis == null) continue;
            InvariantResidual r = residual(t, step);
            out.add(r);
            latest.put(t.name, r);
        }
        history.addAll(out);
        return out;
    }

    private static InvariantResidual residual(Target t, long step) {
        float[] w = t.source.read();
        int m = t.rows, n = t.cols;
        double[] d = new double[m * n];
        double dn = 0;
        for (int i = 0; i < m * n; i++) {
            d[i] = (double) w[i] - t.w0[i];
            dn += d[i] * d[i];
        }
        ProtectedBasis b = t.basis;
        int ku = b.leftRank(), kv = b.rightRank();
        float[] u = b.u(), v = b.v();
        // L = U^T D (ku x n)
        double[] l = new double[ku * n];
        for (int r = 0; r < m; r++) {
            for (int a = 0; a < ku; a++) {
                double ua = u[r * ku + a];
                if (ua == 0) continue;
                int lo = a * n, ro = r * n;
                for (int c = 0; c < n; c++) l[lo + c] += ua * d[ro + c];
            }
        }
        // R = D V (m x kv)
        double[] rr = new double[m * kv];
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                double x = d[r * n + c];
                if (x == 0) continue;
                for (int a = 0; a < kv; a++) rr[r * kv + a] += x * v[c * kv + a];
            }
        }
        // B = U^T D V = L V (ku x kv)
        double blk = 0;
        for (int a = 0; a < ku; a++) {
            for (int e = 0; e < kv; e++) {
                double s = 0;
                for (int c = 0; c < n; c++) s += l[a * n + c] * v[c * kv + e];
                blk += s * s;
            }
        }
        return new InvariantResidual(t.name, step, norm(l), norm(rr), Math.sqrt(blk), Math.sqrt(dn));
    }

    private static double norm(double[] a) {
        double s = 0;
        for (double x : a) s += x * x;
        return Math.sqrt(s);
    }

    /**
     * Puts back the residuals recorded before a run was interrupted (to resume inside a task): they join the
     * history and become the latest per matrix, in order.
     */
    public void restoreResiduals(List<InvariantResidual> earlier) {
        for (InvariantResidual r : earlier) {
            target(r.name());
            history.add(r);
            latest.put(r.name(), r);
        }
    }

    /** Preserved rank (columns of U_h) per matrix, in registration order; before protect(), the requested ranks. */
    public Map<String, Integer> ranks() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Target t : targets.values()) out.put(t.name, t.basis == null ? t.rank : t.basis.rank());
        return Collections.unmodifiableMap(out);
    }

    /** The protected basis of a matrix (null before protect()). */
    public ProtectedBasis basis(String name) {
        return target(name).basis;
    }

    /** The latest residual per matrix. */
    public Map<String, InvariantResidual> residuals() {
        return Collections.unmodifiableMap(latest);
    }

    /** Every residual recorded since the last protect(). */
    public List<InvariantResidual> residualHistory() {
        return Collections.unmodifiableList(history);
    }

    /** The largest relative residual (left, right or block, whichever the mode promises) recorded since protect(). */
    public double maxRelativeResidual() {
        double m = 0;
        for (InvariantResidual r : history) m = Math.max(m, promised(r));
        return m;
    }

    /** The residual the projection mode guarantees to keep at rounding level. */
    public double promised(InvariantResidual r) {
        switch (mode) {
            case LEFT: return r.relLeft();
            case RIGHT: return r.relRight();
            case HIGH_BLOCK: return r.relBlock();
            default: return Math.max(r.relLeft(), r.relRight());
        }
    }

    public ProjectionMode mode() { return mode; }
    public List<String> names() { return List.copyOf(targets.keySet()); }
    public Backend backend() { return backend; }

    @Override
    public void close() {
        freeProjectionBuffers();
    }
}
