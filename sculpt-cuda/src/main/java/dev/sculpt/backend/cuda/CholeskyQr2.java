package dev.sculpt.backend.cuda;

/**
 * Orthonormalises the columns of every matrix of a batch (row-major rows x cols, rows >= cols) in place by
 * CholeskyQR2: twice {@code G = Y^T Y} (double), {@code G = R^T R}, {@code Y <- Y R^{-1}} (cuBLAS). A matrix whose
 * Gram matrix is too ill-conditioned for Cholesky (a pivot below {@link #REL_TOL} of the largest diagonal
 * entry: rank-deficient or nearly so) is redone by Householder QR instead. Column j of the result keeps the
 * direction of column j of the input minus its components along columns 0..j-1 (diag R > 0).
 *
 * <p>{@link #spanBasis} does one pass only, for the power iterations' intermediate panels, which just carry the
 * span into the next product: with G and R in double, only the float product Y R^{-1} rounds, so one pass
 * already leaves ||Q^T Q - I|| at about u cond(Y) (<= 1e-2 within {@link #REL_TOL}), a basis as good as an
 * orthonormal one for that purpose. The CPU backend makes the same split (its Gram is float, so it checks
 * the condition first).
 *
 * <p>Two ways to factor: up to {@link #BLOCKED_MIN_COLS} columns the one-block-per-matrix kernel
 * ({@link DeviceOps#choleskyInverse}) returns R^{-1} and cuBLAS multiplies; from there on cuSOLVER's blocked
 * Cholesky ({@link DeviceOps#choleskyFactor}) returns R, rounded to float, and cuBLAS solves Y R^{-1} by trsm, one
 * matrix at a time. Both apply the same pivot test; the trsm is backward stable (the solve with float R is exact for
 * an R perturbed by n u |R|), so a pass keeps the u cond(Y) accuracy above, as in the textbook CholeskyQR2 analysis,
 * which uses the triangular solve (Yamamoto et al. 2015).
 */
final class CholeskyQr2 {
    /** Cholesky is trusted while cond(Y) stays below about 1e5: the float product Y R^{-1} then loses at most 1e-2. */
    static final double REL_TOL = 1e-10;

    /**
     * Column count from which a pass takes the blocked path (cuSOLVER Dpotrf, then cuBLAS trsm) instead of the
     * one-block kernel. A guess, not a measurement (written without a GPU): to be measured by bench/gpu/run.sh, whose
     * GpuBenchmark runs CholeskyQR2 at n = 138..1034 (randomized, l = k + 10) and 1024 / 2048 (exact SVD). The
     * reasoning: the one-block kernel runs n dependent pivot steps on one SM and then one thread per column of
     * R^{-1}, so its time grows like n^3; the recorded H200 figures (bench/RESULTS.md, four calls per exact SVD) give
     * about 250 ms per call at n = 1024 and 1.9 s at 2048, which that law scales to about 4 ms at 256 and 0.5 ms at 128.
     * The blocked path costs a handful of library calls per matrix (well under a millisecond for potrf at 256 is
     * expected), but it loops over the batch, where the kernel factors all matrices at once, one block each. So the
     * kernel keeps the small batched sketches (l = 138 at the benchmark's k = 128), and from 256 on, where its cost
     * per call passes milliseconds and grows cubically, the blocked path takes over.
     */
    static final int BLOCKED_MIN_COLS = 256;

    private final DeviceOps ops;
    private final DeviceArena ws;
    private final int count;
    private final int blockedMinCols;
    private long work;
    private long workDoubles;
    private final long gram;
    private final long rinv;
    private final long fail;
    private final long tmp;
    private final int maxCols;
    private final long maxRows;

    /** Workspace (from ws) for batches of {@code count} matrices of at most maxRows x maxCols. */
    CholeskyQr2(DeviceOps ops, DeviceArena ws, int count, int maxRows, int maxCols) {
        this(ops, ws, count, maxRows, maxCols, BLOCKED_MIN_COLS);
    }

    /** As above, with the blocked path from {@code blockedMinCols} columns on (tests drive both paths with it). */
    CholeskyQr2(DeviceOps ops, DeviceArena ws, int count, int maxRows, int maxCols, int blockedMinCols) {
        this.ops = ops;
        this.ws = ws;
        this.count = count;
        this.blockedMinCols = blockedMinCols;
        this.maxRows = maxRows;
        this.maxCols = maxCols;
        this.gram = ws.doubles((long) count * maxCols * maxCols);
        this.rinv = ws.floats((long) count * maxCols * maxCols);   // R^{-1}, or R on the blocked path
        this.fail = ws.ints(count);
        this.tmp = ws.floats((long) count * maxRows * maxCols);
    }

    /** Orthonormalises y (count x rows x cols, device) in place. */
    void run(long y, int rows, int cols) {
        checkShape(rows, cols);
        pass(y, tmp, rows, cols);
        pass(tmp, y, rows, cols);
    }

    /** Replaces y in place by a well-conditioned basis of its span: one CholeskyQR pass (Householder where flagged). */
    void spanBasis(long y, int rows, int cols) {
        checkShape(rows, cols);
        pass(y, tmp, rows, cols);
        ops.copy(y, tmp, (long) count * rows * cols * Float.BYTES, CudaKernels.D2D);
    }

    private void checkShape(int rows, int cols) {
        if (rows > maxRows || cols > maxCols || rows < cols) {
            throw new IllegalArgumentException("CholeskyQr2 of " + rows + " x " + cols + " in a " + maxRows + " x " + maxCols + " workspace");
        }
    }

    /** out = in R^{-1} for every matrix, by Householder for the flagged ones. */
    private void pass(long in, long out, int rows, int cols) {
        ops.gram(in, count, rows, cols, gram);
        long size = (long) rows * cols;
        if (cols >= blockedMinCols) {
            long square = (long) cols * cols;
            long need = ops.choleskyWorkDoubles(gram, cols);
            if (need > workDoubles) {
                work = ws.doubles(need);
                workDoubles = need;
            }
            for (int b = 0; b < count; b++) {
                ops.choleskyFactor(gram + b * square * Double.BYTES, cols, REL_TOL, work, workDoubles,
                        rinv + b * square * Float.BYTES, fail + (long) b * Integer.BYTES);
            }
            ops.copy(out, in, count * size * Float.BYTES, CudaKernels.D2D);
            for (int b = 0; b < count; b++) {
                ops.solveRightUpper(out + b * size * Float.BYTES, rows, cols, rinv + b * square * Float.BYTES);
            }
        } else {
            ops.choleskyInverse(gram, count, cols, REL_TOL, rinv, fail);
            ops.gemm(false, false, rows, cols, cols, 1f, in, cols, size, rinv, cols, (long) cols * cols, 0f, out, cols, size, count);
        }
        int[] flags = ops.readInts(fail, count);
        for (int b = 0; b < count; b++) {
            if (flags[b] != 0) ops.householderQ(in + b * size * Float.BYTES, out + b * size * Float.BYTES, rows, cols);
        }
    }
}
