package dev.sculpt.backend.cuda;

/**
 * Row-major products on a column-major BLAS (cuBLAS). A row-major matrix is the column-major transpose, so
 * row-major {@code C = op(A) op(B)} (C: m x n) is column-major {@code C^T = op(B)^T op(A)^T}: swap the operands
 * and the dimensions m, n, keep the transposition flags and the leading dimensions (row lengths).
 */
public final class RowMajorGemm {
    /** A column-major strided-batched SGEMM: C = alpha op(A) op(B) + beta C, C m x n, op(A) m x k. */
    public interface ColumnMajor {
        void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long strideA,
                  long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch);
    }

    private RowMajorGemm() {}

    public static void gemm(ColumnMajor blas, boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda,
                     long strideA, long b, int ldb, long strideB, float beta, long c, int ldc, long strideC, int batch) {
        if (m == 0 || n == 0 || batch == 0) return;
        blas.gemm(transB, transA, n, m, k, alpha, b, ldb, strideB, a, lda, strideA, beta, c, ldc, strideC, batch);
    }
}
