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
 */
final class CholeskyQr2 {
    /** Cholesky is trusted while cond(Y) stays below about 1e5: the float product Y R^{-1} then loses at most 1e-2. */
    static final double REL_TOL = 1e-10;

    private final DeviceOps ops;
    private final int count;
    private final long gram;
    private final long rinv;
    private final long fail;
    private final long tmp;
    private final int maxCols;
    private final long maxRows;

    /** Workspace (from ws) for batches of {@code count} matrices of at most maxRows x maxCols. */
    CholeskyQr2(DeviceOps ops, DeviceArena ws, int count, int maxRows, int maxCols) {
        this.ops = ops;
        this.count = count;
        this.maxRows = maxRows;
        this.maxCols = maxCols;
        this.gram = ws.doubles((long) count * maxCols * maxCols);
        this.rinv = ws.floats((long) count * maxCols * maxCols);
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
        ops.choleskyInverse(gram, count, cols, REL_TOL, rinv, fail);
        long size = (long) rows * cols;
        ops.gemm(false, false, rows, cols, cols, 1f, in, cols, size, rinv, cols, (long) cols * cols, 0f, out, cols, size, count);
        int[] flags = ops.readInts(fail, count);
        for (int b = 0; b < count; b++) {
            if (flags[b] != 0) ops.householderQ(in + b * size * Float.BYTES, out + b * size * Float.BYTES, rows, cols);
        }
    }
}
