package dev.sculpt.osft;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.backend.Svd;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.ops.Bf16;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.ScalarSums;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.cpu.CpuOps;
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
 * The OSFT subspace constraint, usable by any JVM trainer. Register named m x n weight matrices (tensors of the
 * guard's {@link Ops} provider, or heap {@code float[]} / {@code FloatBuffer}s) with the rank to preserve, call
 * {@link #protect()} once per task, then project every update before applying it:
 *
 * <pre>{@code
 * try (SubspaceGuard guard = SubspaceGuard.builder().build()) {
 *     guard.register("w1", w1, 256, 128, 64);   // float[] row-major, keep the top 64 directions
 *     guard.protect();                          // SVD (batched by shape), bases onto the provider
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
 * <h2>Where things live</h2>
 * The decomposition runs on the {@link Backend} ({@link Svd#topK}, method auto, one batch per shape); the protected
 * bases {@code U_h} (m x k) and {@code V_h} (n x k) are then uploaded to the provider, as are the two products the
 * invariant needs, {@code U_h^T W0} (k x n) and {@code W0 V_h} (m x k). W0 itself is not kept anywhere. Projections
 * are {@link Ops#project}; the invariant check is three {@link Ops#gemm}s into scratch allocated once (shared by
 * all matrices) and four squared norms per matrix, added up by the provider ({@link Ops#scalarSums}) and read back
 * together in one copy per check; for matrices registered as tensors it allocates nothing. Heap
 * registrations and heap updates are adapters: they copy through the provider ({@link Ops#upload} /
 * {@link Ops#download}) on every call. With accumulation on, the bases of successive {@code protect()} calls are
 * united (re-orthonormalised).
 *
 * <h2>The invariant and its float32 floor</h2>
 * Every {@code checkEvery} steps the guard records {@code ||U_h^T (W - W0)||_F}, {@code ||(W - W0) V_h||_F} and
 * {@code ||U_h^T (W - W0) V_h||_F}, computed W0-free as {@code U_h^T W - (U_h^T W0)} and {@code W V_h - (W0 V_h)}.
 * Both products are float32 sums of m (resp. n) terms, so each entry of {@code U_h^T W} is off by at most
 * {@code gamma_m ||W_{:,c}||_2} (Cauchy-Schwarz with a unit column of U_h; gamma_m = m u / (1 - m u), u = 2^-24;
 * typically about {@code u sqrt(m)} times that column norm), the stored product by as much for W0, and the
 * subtraction adds one rounding. Over the k x n entries the computed left residual is therefore within
 * {@code gamma_{m+1} sqrt(k) (||W||_F + ||W0||_F)} of the exact {@code ||U_h^T (W - W0)||_F} (right: gamma_{n+1};
 * block: the left bound plus {@code gamma_n sqrt(k)} times the left residual). This cancellation floor scales
 * with {@code ||W||}, not with the change {@code ||W - W0||}, which is why {@link InvariantResidual} divides by
 * {@code ||W||_F}: a relative residual near {@code 2 sqrt(k) gamma_{m+1}} (and far below it in practice) is
 * rounding, while a leak into the protected subspace shows up as a fraction of the change.
 *
 * <h2>The recorded bound, and bf16 bases</h2>
 * The bases are stored in float32 or, with {@link Builder#basisPrecision} bf16, rounded to bf16 (half the memory; the
 * invariant products widen them exactly and compute in float32, the projection runs on bf16 operands
 * ({@link Ops#project}); {@code U_h^T W0} and {@code W0 V_h} stay float32, since rounding them would add
 * {@code 2^-8 ||U_h^T W0||} to every check). A rounded basis
 * {@code U~ = U + E} is no longer orthonormal: with {@code |E| <= u_b |U|} element-wise, {@code u_b = 2^-8},
 * {@code ||E||_F <= u_b sqrt(k)} and {@code eta_U = ||I - U~^T U~||_F <= 2 u_b sqrt(k) + u_b^2 k} (float32 bases:
 * {@code u_b = 2^-24} plus the decomposition's own orthogonality loss). The projection with it leaks: two-sided,
 * {@code U~^T P(D) = (I - U~^T U~) U~^T D (I - V~ V~^T)}, so
 * {@code ||U~^T P(D)||_F <= eta_U sqrt(1 + eta_U) (1 + eta_V) ||D||_F}, and the other modes likewise within
 * {@code c = (eta_U + eta_V + eta_U eta_V)(1 + eta_U)(1 + eta_V)} times {@code ||D||_F}: about {@code 4 u_b sqrt(k)},
 * 0.06 for k = 64 in bf16, per unit of update, adding up over the steps (the leaks of successive steps need not
 * cancel). The guard measures {@code eta_U} and {@code eta_V} of the stored bases when it installs them, adds up
 * {@code ||D_t||_F^2} of every projected update on the provider (read back with the check's residuals), and records with every
 * check the bound on the residual the mode promises (left and right for two-sided, block for high-block),
 * with {@code S = sqrt(T sum_t ||D_t||_F^2) >= sum_t ||D_t||_F} over the T updates since the bases were installed,
 * {@code g(n) = n 2^-24 / (1 - n 2^-24)} and {@code f = (1 + eta_U)(1 + eta_V)}:
 * <pre>
 *   bound = c S                                                (the rounded bases' leak)
 *         + 4 u_b (1 + u_b)^3 f^2 S                            (bf16 bases only: the projection's bf16 operands)
 *         + 4 sqrt(k) g(max(m, n) + k + 2) f S                 (float32 arithmetic of the projections)
 *         + 2 sqrt(k) g(max(m, n) + 1) f (2 ||W||_F + S)       (the check's W0-free cancellation, above)
 *         + T 2^-24 f (||W||_F + S)                            (rounding W + P(D) in float32 at every step)
 * </pre>
 * The operand term: a left removal {@code D1 = D - U~ q(U~^T q(D))} (q: rounding to bf16, |q(x) - x| <= u_b |x|)
 * leaves {@code U~^T D1 = N U~^T D - (I - N)(U~^T E1 + E2)} with {@code N = I - U~^T U~}, E1 the rounding of D and
 * E2 that of {@code U~^T q(D)}, so the rounding adds at most {@code 2 u_b (1 + u_b)(1 + eta_U)^(3/2) ||D||}; the right
 * removal's two roundings reach the left residual through {@code U~^T (E3 V~ + E4) V~^T}, at most
 * {@code 2 u_b (1 + u_b)(1 + eta_U)^(3/2)(1 + eta_V) ||D||} (||D1|| <= (1 + eta_U) ||D||); the high block's four
 * roundings likewise. {@code 4 u_b (1 + u_b)^3 f^2} covers each mode: 0.016 per unit of update, the size of the
 * bases' own c for k near 1 and far below it for the ranks OSFT keeps.
 * In float32 mode the last two terms dominate; in bf16 mode the first two. A training-state checkpoint carries the update
 * sums ({@link #updateSums}), so a run resumed inside a task records the same bounds as an uninterrupted one.
 */
public final class SubspaceGuard implements UpdateConstraint, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SubspaceGuard.class);

    private final Backend backend;
    private final Ops ops;
    private final boolean ownsOps;
    private final ProjectionMode mode;
    private final SvdOptions svdOptions;
    private final int checkEvery;
    private final boolean accumulate;
    private final Map<String, Target> targets = new LinkedHashMap<>();
    private final List<InvariantResidual> history = new ArrayList<>();
    private final Map<String, InvariantResidual> latest = new LinkedHashMap<>();
    private final DType basisType;
    private final long batchElements;   // the most input elements of one decomposition batch
    private Tensor scratch;         // the invariant check's [k, n], [m, k], [k, k] results, shared by all matrices
    private ScalarSums sums;        // per protected target, 5 slots from 5 x its slot: the check's ||W||^2 and three squared
                                    // residuals (reset at each check), and sum_t ||D_t||_F^2 of the updates since install
    private boolean scratchBound;   // every protected target has its views of the current scratch
    private int protectCount;

    private final class Target {
        final String name;
        final int rows;
        final int cols;
        int rank;
        final WeightSource source;
        boolean isProtected;
        int ku;                 // columns of U_h
        int kv;                 // columns of V_h
        Tensor u;               // U_h padded to k = max(ku, kv) zero columns: [rows, k]; null when k = 0
        Tensor v;               // V_h padded: [cols, k]
        Tensor u0w;             // U_h^T W0: [k, cols]
        Tensor w0v;             // W0 V_h: [rows, k]
        Tensor left;            // views of the scratch: [k, cols], [rows, k], [k, k]
        Tensor right;
        Tensor block;
        int slot = -1;          // this target's index into sums (slots 5 slot .. 5 slot + 4)
        int oldSlot = -1;       // its index before the last re-binding
        long updates;           // updates projected since the bases were installed
        double etaU;            // ||I - U~^T U~||_F of the stored bases, measured at install
        double etaV;
        double carriedSquares;  // sum of ||D_t||^2 from a training-state checkpoint (resume), put into its slot at binding

        Target(String name, int rows, int cols, int rank, WeightSource source) {
            this.name = name;
            this.rows = rows;
            this.cols = cols;
            this.rank = rank;
            this.source = source;
        }

        int k() { return Math.max(ku, kv); }

        void free() {
            for (Tensor t : new Tensor[] {u, v, u0w, w0v}) if (t != null) t.close();
            u = v = u0w = w0v = left = right = block = null;
        }
    }

    private SubspaceGuard(Builder b) {
        this.backend = b.backend;
        this.ownsOps = b.ops == null;
        this.ops = b.ops == null ? new CpuOps() : b.ops;
        this.mode = b.mode;
        this.svdOptions = b.svdOptions;
        this.checkEvery = b.checkEvery;
        this.accumulate = b.accumulate;
        this.basisType = b.basisType;
        this.batchElements = b.batchElements;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Settings of a guard. Defaults: CPU backend for the decomposition, a guard-owned {@code cpu} ops provider,
     * two-sided projection, SVD method auto, check every 50 steps, no accumulation.
     */
    public static final class Builder {
        private Backend backend = Backends.cpu();
        private Ops ops;
        private ProjectionMode mode = ProjectionMode.TWO_SIDED;
        private SvdOptions svdOptions = SvdOptions.defaults();
        private int checkEvery = 50;
        private boolean accumulate;
        private DType basisType = DType.FLOAT32;
        private long batchElements = DecompositionChunks.MAX_ELEMENTS;

        /** Where the decompositions run. */
        public Builder backend(Backend b) { this.backend = Objects.requireNonNull(b); return this; }
        /** The provider the weights and updates live on (the caller keeps and closes it); default: a host provider of the guard's own. */
        public Builder ops(Ops o) { this.ops = Objects.requireNonNull(o); return this; }
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
        /** How the protected bases are stored: float32 (default) or bf16 (see the class comment for the bound). */
        public Builder basisPrecision(DType d) { this.basisType = Objects.requireNonNull(d); return this; }
        /**
         * The most input elements of one decomposition batch (default {@link DecompositionChunks#MAX_ELEMENTS}, which
         * the memory planner assumes); smaller batches hold less memory at the start of a task, one matrix at least.
         */
        public Builder decompositionBatchElements(long elements) {
            if (elements < 1) throw new SculptException("decomposition batch elements must be >= 1, got " + elements);
            this.batchElements = elements;
            return this;
        }
        public SubspaceGuard build() { return new SubspaceGuard(this); }
    }

    // ---- registration ----

    /**
     * Registers a weight matrix held in a tensor of this guard's provider: rank 2, [rows, cols] row-major (read when
     * protecting and checking, never copied to the heap except to decompose it).
     */
    public SubspaceGuard register(String name, Tensor weights, int rank) {
        if (weights == null) throw new SculptException("register " + name + ": the weight tensor is missing (null)");
        weights.ensureOpen();
        if (weights.rank() != 2) throw new SculptException("register " + name + ": tensor " + weights.describe() + " is not a matrix");
        if (weights.device() != ops.device()) {
            throw new SculptException("register " + name + ": tensor " + weights.describe() + " does not live where the guard's provider "
                    + ops.name() + " computes (" + ops.device() + ")");
        }
        int rows = weights.dim(0), cols = weights.dim(1);
        checkSize(name, weights.size(), rows, cols);
        return add(new Target(name, rows, cols, checkRank(name, rank, rows, cols), WeightSource.of(weights, ops)));
    }

    /** Registers a heap matrix (row-major rows x cols; copied through the provider when protecting and checking). */
    public SubspaceGuard register(String name, float[] weights, int rows, int cols, int rank) {
        checkSize(name, weights.length, rows, cols);
        return add(new Target(name, rows, cols, checkRank(name, rank, rows, cols), WeightSource.of(weights, rows, cols, ops, name)));
    }

    /** Registers a matrix held in a (direct or heap) FloatBuffer, absolute indexing from 0. */
    public SubspaceGuard register(String name, FloatBuffer weights, int rows, int cols, int rank) {
        checkSize(name, weights.capacity(), rows, cols);
        return add(new Target(name, rows, cols, checkRank(name, rank, rows, cols), WeightSource.of(weights, rows, cols, ops, name)));
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
     * Decomposes every registered matrix (one {@link Svd#topK} call per batch of same-shape matrices, batches of at
     * most {@link DecompositionChunks#MAX_ELEMENTS} input elements, k = the largest rank asked for that shape),
     * installs U_h and V_h on the provider (united with the earlier ones when accumulating) with the products of the
     * current weights W0 the invariant needs, and clears the residual records of the previous task. First the
     * provider's cached free device blocks go back to the device ({@link DeviceMemory#releaseCached()}), so that the
     * decomposition's buffers, which a device backend takes outside the provider, find the room the previous task's
     * optimizer state and activations held.
     */
    public void protect() {
        history.clear();
        latest.clear();
        ops.memory().ifPresent(DeviceMemory::releaseCached);
        Map<String, List<Target>> byShape = new LinkedHashMap<>();
        for (Target t : targets.values()) byShape.computeIfAbsent(t.rows + "x" + t.cols, s -> new ArrayList<>()).add(t);
        Map<Target, ProtectedBasis> fresh = new LinkedHashMap<>();
        for (List<Target> shape : byShape.values()) {
            int kmax = 0;
            for (Target t : shape) kmax = Math.max(kmax, t.rank);
            Target first = shape.get(0);
            int m = first.rows, n = first.cols;
            if (kmax == 0) {
                for (Target t : shape) fresh.put(t, ProtectedBasis.empty(m, n));
                continue;
            }
            long t0 = System.nanoTime();
            List<List<Target>> batches = DecompositionChunks.split(shape, (long) m * n, batchElements);
            SvdMethod method = null;
            for (List<Target> batch : batches) method = decompose(batch, m, n, kmax, fresh);
            LOG.debug("decomposed {} matrices of {} x {} (k = {}, {}, {} batches) in {} ms", shape.size(), m, n, kmax, method,
                    batches.size(), (System.nanoTime() - t0) / 1_000_000);
        }
        protectCount++;
        for (Map.Entry<Target, ProtectedBasis> e : fresh.entrySet()) {
            Target t = e.getKey();
            ProtectedBasis b = accumulate && t.isProtected
                    ? ProtectedBasis.union(basis(t), e.getValue(), Math.min(t.rows, t.cols) - 1) : e.getValue();
            install(t, b);
            LOG.info("osft rank {} ({} x {}): U_h {} columns, V_h {} columns", t.name, t.rows, t.cols, t.ku, t.kv);
        }
    }

    /**
     * One batched decomposition of same-shape targets (m x n, top kmax), through a host staging batch to the backend;
     * puts each target's bases, cut to its rank, into {@code fresh}. Returns the method the backend used.
     */
    private SvdMethod decompose(List<Target> batch, int m, int n, int kmax, Map<Target, ProtectedBasis> fresh) {
        String[] names = new String[batch.size()];
        MatrixBatch host = MatrixBatch.allocateHost(batch.size(), m, n);
        MatrixBatch input = null;
        SvdResult r = null;
        try {
            for (int b = 0; b < batch.size(); b++) {
                names[b] = batch.get(b).name;
                host.buffer().put((int) host.offset(b), batch.get(b).source.read());
            }
            host.withNames(names);
            input = backend.upload(host).withNames(names);
            host.close();
            r = Svd.topK(backend, input, kmax, svdOptions.withSeed(svdOptions.seed() + protectCount));
            float[] u = heapCopy(r.u());
            float[] v = heapCopy(r.v());
            int k = r.u().cols();
            for (int b = 0; b < batch.size(); b++) {
                Target t = batch.get(b);
                fresh.put(t, new ProtectedBasis(m, n, t.rank, slice(u, b, m, k, t.rank), t.rank, slice(v, b, n, k, t.rank)));
            }
            return r.method();
        } finally {
            if (r != null) r.close();
            if (input != null) input.close();
            host.close();
        }
    }

    private float[] heapCopy(MatrixBatch b) {
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

    /**
     * Installs bases computed elsewhere (for example restored from disk on resume); the current weights are W0 from
     * here on.
     */
    public void restore(String name, ProtectedBasis basis) {
        Target t = target(name);
        if (basis.rows() != t.rows || basis.cols() != t.cols) {
            throw new SculptException("basis for " + name + " is " + basis.rows() + " x " + basis.cols() + ", matrix is " + t.rows + " x " + t.cols);
        }
        install(t, basis);
    }

    /** Puts a basis on the provider with U_h^T W0 and W0 V_h of the current weights W0. */
    private void install(Target t, ProtectedBasis b) {
        t.free();
        scratchBound = false;
        t.ku = b.leftRank();
        t.kv = b.rightRank();
        t.isProtected = true;
        int k = t.k();
        if (k == 0) return;
        try {
            t.u = upload(b.paddedU(k), t.name + " U_h", t.rows, k);
            t.v = upload(b.paddedV(k), t.name + " V_h", t.cols, k);
            t.etaU = orthonormalityDefect(t.u, t.ku, k);
            t.etaV = orthonormalityDefect(t.v, t.kv, k);
            t.updates = 0;
            t.carriedSquares = 0;
            t.oldSlot = -1;     // new bases: nothing carries over from the slot of the old ones
            scratchBound = false;
            t.u0w = ops.allocate(t.name + " U_h^T W0", k, t.cols);
            t.w0v = ops.allocate(t.name + " W0 V_h", t.rows, k);
            Tensor w = t.source.current();
            try {
                leftProduct(t, w, 0f, t.u0w);
                rightProduct(t, w, 0f, t.w0v);
            } finally {
                t.source.done(w);
            }
        } catch (RuntimeException e) {
            t.free();
            t.isProtected = false;
            throw e;
        }
    }

    /** The basis on the provider in the guard's basis precision (bf16: rounded there from the float32 values). */
    private Tensor upload(float[] values, String name, int rows, int cols) {
        try (Tensor h = Tensor.ofHost(name + " (host)", values, rows, cols)) {
            if (basisType == DType.FLOAT32) return ops.upload(h, name);
            try (Tensor f = ops.upload(h, name + " (float32)")) {
                Tensor b = ops.allocate(name, basisType, rows, cols);
                try {
                    ops.convert(f, b);
                } catch (RuntimeException e) {
                    b.close();
                    throw e;
                }
                return b;
            }
        }
    }

    /**
     * {@code ||I_keep - B^T B||_F} over the first {@code keep} columns of a stored basis padded to k (the padding
     * columns are zero and do not count): how far rounding (and the decomposition) left it from orthonormal.
     */
    private double orthonormalityDefect(Tensor basis, int keep, int k) {
        if (keep == 0) return 0;
        int rows = basis.dim(0);
        float[] eye = new float[keep * keep];
        for (int i = 0; i < keep; i++) eye[i * keep + i] = 1f;
        try (Tensor h = Tensor.ofHost(basis.name() + " identity (host)", eye, keep, keep);
             Tensor g = ops.upload(h, basis.name() + " B^T B - I")) {
            ops.gemm(true, false, 1, keep, keep, rows, 1f, basis, 0, k, 0, basis, 0, k, 0, -1f, g, 0, keep, 0);
            return Math.sqrt(ops.sumOfSquares(g));
        }
    }

    /** c = U_h^T w + beta c ([k, cols]). */
    private void leftProduct(Target t, Tensor w, float beta, Tensor c) {
        int k = t.k();
        ops.gemm(true, false, 1, k, t.cols, t.rows, 1f, t.u, 0, k, 0, w, 0, t.cols, 0, beta, c, 0, t.cols, 0);
    }

    /** c = w V_h + beta c ([rows, k]). */
    private void rightProduct(Target t, Tensor w, float beta, Tensor c) {
        int k = t.k();
        ops.gemm(false, false, 1, t.rows, k, t.cols, 1f, w, 0, t.cols, 0, t.v, 0, k, 0, beta, c, 0, k, 0);
    }

    // ---- projection ----

    @Override
    public boolean constrains(String name) {
        return targets.containsKey(name);
    }

    /** Projects an update held in a tensor of the provider ([rows, cols]) in place. */
    public void project(String name, Tensor delta) {
        Target t = protectedTarget(name);
        if (delta == null || delta.rank() != 2 || delta.dim(0) != t.rows || delta.dim(1) != t.cols) {
            throw new SculptException("update of " + name + " is " + (delta == null ? "missing (null)" : delta.describe())
                    + ", expected [" + t.rows + ", " + t.cols + "]");
        }
        if (t.k() == 0) return;
        bindScratch();
        sums.addSumOfSquares(5 * t.slot + 4, delta);
        t.updates++;
        ops.project(delta, t.u, t.v, mode);
    }

    /** Projects a heap update in place (copied to the provider and back). */
    public void project(String name, float[] delta) {
        Target t = protectedTarget(name);
        if (delta.length < t.rows * t.cols) throw new SculptException("update of " + name + " has " + delta.length + " values, expected " + t.rows * t.cols);
        if (t.k() == 0) return;
        float[] d = projectedCopy(t, java.util.Arrays.copyOf(delta, t.rows * t.cols));
        System.arraycopy(d, 0, delta, 0, d.length);
    }

    /** Projects an update held in a FloatBuffer (absolute indexing from 0) in place (copied to the provider and back). */
    public void project(String name, FloatBuffer delta) {
        Target t = protectedTarget(name);
        if (delta.capacity() < t.rows * t.cols) throw new SculptException("update of " + name + " has " + delta.capacity() + " values, expected " + t.rows * t.cols);
        if (t.k() == 0) return;
        float[] d = new float[t.rows * t.cols];
        delta.get(0, d);
        delta.put(0, projectedCopy(t, d));
    }

    private float[] projectedCopy(Target t, float[] d) {
        try (Tensor h = Tensor.ofHost(t.name + " update (host)", d, t.rows, t.cols);
             Tensor onProvider = ops.upload(h, t.name + " update")) {
            bindScratch();
            sums.addSumOfSquares(5 * t.slot + 4, onProvider);
            t.updates++;
            ops.project(onProvider, t.u, t.v, mode);
            try (Tensor back = ops.download(onProvider, t.name + " update (projected)")) {
                return back.toArray();
            }
        }
    }

    /** Projects, one matrix at a time on the provider, every update of the map that belongs to a registered matrix. */
    @Override
    public void project(Map<String, Tensor> updates) {
        for (Map.Entry<String, Tensor> e : updates.entrySet()) {
            if (targets.containsKey(e.getKey())) project(e.getKey(), e.getValue());
        }
    }

    private Target protectedTarget(String name) {
        Target t = target(name);
        if (!t.isProtected) throw new SculptException("matrix " + name + " has no protected basis yet: call protect() first");
        return t;
    }

    // ---- bookkeeping ----

    @Override
    public void afterStep(long step) {
        if (checkEvery > 0 && step % checkEvery == 0) checkInvariant(step);
    }

    /** Computes and records the invariant residuals of every matrix now. */
    public List<InvariantResidual> checkInvariant(long step) {
        bindScratch();
        List<Target> checked = new ArrayList<>();
        for (Target t : targets.values()) if (t.isProtected) checked.add(t);
        List<InvariantResidual> out = new ArrayList<>();
        if (checked.isEmpty()) return out;
        // four squared norms per matrix, added up where the provider computes, and read back in one copy with the
        // updates' squared norms (a fifth slot per matrix)
        for (Target t : checked) {
            for (int j = 0; j < 4; j++) sums.reset(5 * t.slot + j);
            squaredResiduals(t, sums, 5 * t.slot);
        }
        double[] sq = sums.read();
        for (Target t : checked) {
            int o = 5 * t.slot;
            double w = Math.sqrt(sq[o]);
            double s = Math.sqrt(Math.max(1, t.updates) * sq[o + 4]);
            InvariantResidual r = new InvariantResidual(t.name, step, Math.sqrt(sq[o + 1]), Math.sqrt(sq[o + 2]),
                    Math.sqrt(sq[o + 3]), w, s, bound(t, w, s));
            out.add(r);
            latest.put(t.name, r);
        }
        history.addAll(out);
        return out;
    }

    /**
     * The bound of the class comment on the residual the mode promises, for ||W||_F = w and update sum s (a bound on
     * the sum of the update norms since install).
     */
    private double bound(Target t, double w, double s) {
        int k = t.k();
        if (k == 0) return 0;
        double u = 0x1p-24, big = Math.max(t.rows, t.cols);
        double f = (1 + t.etaU) * (1 + t.etaV);
        double c = (t.etaU + t.etaV + t.etaU * t.etaV) * f;
        double rk = Math.sqrt(k);
        double ub = Bf16.UNIT_ROUNDOFF;
        double operands = basisType == DType.BF16 ? 4 * ub * Math.pow(1 + ub, 3) * f * f * s : 0;
        return c * s + operands + 4 * rk * gamma(big + k + 2) * f * s + 2 * rk * gamma(big + 1) * f * (2 * w + s)
                + Math.max(1, t.updates) * u * f * (w + s);
    }

    private static double gamma(double n) {
        double nu = n * 0x1p-24;
        return nu / (1 - nu);
    }

    /**
     * The a-priori size of {@code ||I - B^T B||_F} for a basis with k orthonormal columns rounded to the guard's basis
     * precision: {@code 2 u_b sqrt(k) + u_b^2 k} (class comment), u_b = 2^-8 for bf16 and 2^-24 for float32 (the
     * decomposition's own orthogonality loss comes on top).
     */
    public double expectedOrthonormalityDefect(int k) {
        double ub = basisType == DType.BF16 ? Bf16.UNIT_ROUNDOFF : 0x1p-24;
        return 2 * ub * Math.sqrt(k) + ub * ub * k;
    }

    /** The measured {@code ||I - U~^T U~||_F} and {@code ||I - V~^T V~||_F} of a matrix's stored bases. */
    public double[] orthonormalityDefects(String name) {
        Target t = protectedTarget(name);
        return new double[] {t.etaU, t.etaV};
    }

    /** How the bases are stored. */
    public DType basisPrecision() { return basisType; }

    /** Sizes the shared scratch for the largest protected matrix and gives every target its views (once per protect). */
    private void bindScratch() {
        if (scratchBound) return;
        int slots = 0;
        for (Target t : targets.values()) t.slot = t.isProtected ? slots++ : -1;
        // the update sums of targets whose bases stayed (re-installed ones start again) move to the new slots
        boolean carry = false;
        for (Target t : targets.values()) carry |= t.slot >= 0 && t.updates > 0 && t.oldSlot >= 0;
        double[] before = sums == null || !carry ? null : sums.read();
        Map<Target, Double> kept = new LinkedHashMap<>();
        if (before != null) {
            for (Target t : targets.values()) if (t.slot >= 0 && t.updates > 0 && t.oldSlot >= 0) kept.put(t, before[5 * t.oldSlot + 4]);
        }
        if (sums != null) sums.close();
        sums = null;
        sums = ops.scalarSums("subspace guard invariant", 5 * Math.max(1, slots));
        for (Map.Entry<Target, Double> e : kept.entrySet()) sums.add(5 * e.getKey().slot + 4, e.getValue());
        // a resumed sum goes into the slot itself (0 + s = s exactly), so later updates add to it in the uninterrupted order
        for (Target t : targets.values()) {
            if (t.slot >= 0 && t.carriedSquares != 0) sums.add(5 * t.slot + 4, t.carriedSquares);
            t.carriedSquares = 0;
        }
        for (Target t : targets.values()) t.oldSlot = t.slot;
        long need = 0;
        for (Target t : targets.values()) {
            int k = t.k();
            if (t.isProtected && k > 0) need = Math.max(need, (long) k * t.cols + (long) t.rows * k + (long) k * k);
        }
        if (scratch == null || scratch.size() < need) {
            if (scratch != null) scratch.close();
            scratch = null;
            scratch = ops.allocate("subspace guard invariant scratch", Math.toIntExact(Math.max(1, need)));
        }
        for (Target t : targets.values()) {
            int k = t.k();
            if (!t.isProtected || k == 0) continue;
            long l = (long) k * t.cols, r = (long) t.rows * k;
            t.left = scratch.view(t.name + " U_h^T (W - W0)", 0, k, t.cols);
            t.right = scratch.view(t.name + " (W - W0) V_h", l, t.rows, k);
            t.block = scratch.view(t.name + " U_h^T (W - W0) V_h", l + r, k, k);
        }
        scratchBound = true;
    }

    /**
     * Adds to slots {@code first ..+3} of {@code sums}: ||W||_F^2, ||U_h^T (W - W0)||_F^2, ||(W - W0) V_h||_F^2 and
     * ||U_h^T (W - W0) V_h||_F^2 (the last three stay 0 when nothing is protected).
     */
    private void squaredResiduals(Target t, ScalarSums sums, int first) {
        Tensor w = t.source.current();
        try {
            sums.addSumOfSquares(first, w);
            if (t.k() == 0) return;
            ops.copy(t.u0w, t.left);
            leftProduct(t, w, -1f, t.left);       // U_h^T W - U_h^T W0
            ops.copy(t.w0v, t.right);
            rightProduct(t, w, -1f, t.right);     // W V_h - W0 V_h
            int k = t.k();
            ops.gemm(false, false, 1, k, k, t.cols, 1f, t.left, 0, t.cols, 0, t.v, 0, k, 0, 0f, t.block, 0, k, 0);
            sums.addSumOfSquares(first + 1, t.left);
            sums.addSumOfSquares(first + 2, t.right);
            sums.addSumOfSquares(first + 3, t.block);
        } finally {
            t.source.done(w);
        }
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

    /**
     * Per protected matrix: {number of updates projected since its bases were installed, the sum of their squared
     * Frobenius norms} (one read-back), for a training-state checkpoint; {@link #restoreUpdateSums} continues them.
     */
    public Map<String, double[]> updateSums() {
        bindScratch();
        double[] sq = sums.read();
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Target t : targets.values()) {
            if (t.slot >= 0) out.put(t.name, new double[] {t.updates, sq[5 * t.slot + 4]});
        }
        return out;
    }

    /** Continues the update sums of {@link #updateSums} (after {@link #restore} of the same bases, to resume a task). */
    public void restoreUpdateSums(Map<String, double[]> saved) {
        for (Map.Entry<String, double[]> e : saved.entrySet()) {
            Target t = protectedTarget(e.getKey());
            t.updates = (long) e.getValue()[0];
            t.carriedSquares = e.getValue()[1];
        }
        scratchBound = false;   // the next binding puts the sums into their slots
    }

    /** Preserved rank (columns of U_h) per matrix, in registration order; before protect(), the requested ranks. */
    public Map<String, Integer> ranks() {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (Target t : targets.values()) out.put(t.name, t.isProtected ? t.k() : t.rank);
        return Collections.unmodifiableMap(out);
    }

    /** A heap copy of the protected basis of a matrix (null before protect()). */
    public ProtectedBasis basis(String name) {
        Target t = target(name);
        return t.isProtected ? basis(t) : null;
    }

    private ProtectedBasis basis(Target t) {
        int k = t.k();
        if (k == 0) return ProtectedBasis.empty(t.rows, t.cols);
        return new ProtectedBasis(t.rows, t.cols, t.ku, unpad(t.u, t.rows, k, t.ku), t.kv, unpad(t.v, t.cols, k, t.kv));
    }

    private float[] unpad(Tensor padded, int rows, int k, int keep) {
        float[] all;
        if (padded.dtype() != DType.FLOAT32) {
            try (Tensor f = ops.allocate(padded.name() + " (widened)", padded.shape());
                 Tensor h = widenedDownload(padded, f)) {
                all = h.toArray();
            }
        } else {
            try (Tensor h = ops.download(padded, padded.name() + " (download)")) {
                all = h.toArray();
            }
        }
        return keep == k ? all : slice(all, 0, rows, k, keep);
    }

    private Tensor widenedDownload(Tensor bf16, Tensor f) {
        ops.convert(bf16, f);
        return ops.download(f, bf16.name() + " (download)");
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
    /** The provider the bases, products and projections live on. */
    public Ops ops() { return ops; }

    @Override
    public void close() {
        for (Target t : targets.values()) t.free();
        if (scratch != null) scratch.close();
        scratch = null;
        if (sums != null) sums.close();
        sums = null;
        scratchBound = false;
        if (ownsOps) ops.close();
    }
}
