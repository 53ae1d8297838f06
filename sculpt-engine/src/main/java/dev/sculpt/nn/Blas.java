package dev.sculpt.nn;

import dev.sculpt.backend.cpu.BlasThreads;
import org.bytedeco.openblas.global.openblas;

/**
 * Row-major float32 matrix products through OpenBLAS {@code cblas_sgemm}, addressed by element offsets into
 * {@link FloatArray}s so that strided sub-matrices (one attention head, one sequence of a packed batch) need no
 * copies.
 *
 * <p>Threading ({@link BlasThreads#runProduct}): products below {@link BlasThreads#SMALL_MNK} multiply-adds (default 2^27, about 8 ms of one core; set
 * {@code -Dsculpt.blas.smallMnk=N}) run on one OpenBLAS thread; larger ones use OpenBLAS's configured thread
 * count (OPENBLAS_NUM_THREADS). Measured on a 2-core machine under load 8-20 (other processes running), a tiny
 * LLaMA step (8 x 48 tokens) took 50-75 ms with single-threaded products and 280-860 ms with OpenBLAS's own
 * threading: its spin-waiting pool collapses when cores are oversubscribed, and a tiny model's step is made of
 * small products that gain little from a second thread anyway. The thread count is process-wide and owned by
 * {@link BlasThreads}.
 */
public final class Blas {
    private Blas() {}

    /**
     * C[m,n] = alpha * op(A) op(B) + beta * C, all row-major; op(A) is [m,k] (A stored [k,m] when transposed),
     * op(B) is [k,n] (B stored [n,k] when transposed); lda/ldb/ldc are the stored row strides.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            FloatArray a, int aOff, int lda, FloatArray b, int bOff, int ldb,
                            float beta, FloatArray c, int cOff, int ldc) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            // BLAS would scale C by beta; keep that meaning explicitly
            if (beta == 0f) {
                for (int i = 0; i < m; i++) c.zero(cOff + i * ldc, n);
            } else if (beta != 1f) {
                for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                    int idx = cOff + i * ldc + j;
                    c.set(idx, c.get(idx) * beta);
                }
            }
            return;
        }
        BlasThreads.runProduct((long) m * n * k, () -> openblas.cblas_sgemm(openblas.CblasRowMajor,
                transA ? openblas.CblasTrans : openblas.CblasNoTrans,
                transB ? openblas.CblasTrans : openblas.CblasNoTrans,
                m, n, k, alpha, a.at(aOff), lda, b.at(bOff), ldb, beta, c.at(cOff), ldc));
    }
}
