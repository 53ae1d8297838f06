package dev.sculpt.backend.cuda;

/**
 * The right triangular solve of CholeskyQR's blocked path, {@code Y <- Y R^{-1}} with Y row-major rows x n and R
 * row-major n x n upper triangular, on a column-major BLAS (cuBLAS trsm). A row-major matrix is the column-major
 * transpose: Y is the column-major n x rows matrix Y^T and R the column-major lower triangular L = R^T. From
 * X R = Y follows R^T X^T = Y^T, i.e. {@code L X^T = Y^T}: a left-side solve with the lower triangle, no transposition,
 * leading dimension n for both operands.
 */
final class RowMajorTrsm {
    /**
     * A column-major single-matrix STRSM: B (m x n, ldb) becomes alpha op(A)^{-1} B (left) or alpha B op(A)^{-1}
     * (right), A triangular (only its lower or upper triangle is read) with a non-unit diagonal.
     */
    interface ColumnMajor {
        void trsm(boolean left, boolean lower, boolean transA, int m, int n, float alpha, long a, int lda, long b, int ldb);
    }

    private RowMajorTrsm() {}

    /** y (row-major rows x n) becomes y R^{-1}, R at r (row-major n x n upper triangular, diag > 0). */
    static void rightUpper(ColumnMajor blas, int rows, int n, long r, long y) {
        if (rows == 0 || n == 0) return;
        blas.trsm(true, true, false, n, rows, 1f, r, n, y, n);
    }
}
