package dev.sculpt.backend.cpu;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;

import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.tensor.MatrixBatch;
import org.bytedeco.javacpp.FloatPointer;

/**
 * In-place complement projection of one m x n update D with protected bases U (m x k) and V (n x k),
 * all by sgemm with one k-wide scratch matrix:
 * <ul>
 *   <li>LEFT: T = U^T D; D -= U T (4mnk flops);</li>
 *   <li>RIGHT: T = D V; D -= T V^T (4mnk);</li>
 *   <li>TWO_SIDED: LEFT then RIGHT, since (I - UU^T) D (I - VV^T) is the four-term formula (8mnk);</li>
 *   <li>HIGH_BLOCK: D -= U (U^T D V) V^T, contracting over the smaller side first (4mnk + 4 min(m,n) k^2).</li>
 * </ul>
 */
final class ProjectionKernel implements AutoCloseable {
    private final int m, n, k;
    private final Workspace ws = new Workspace();
    private final Workspace.Slot t, small;

    ProjectionKernel(int m, int n, int k) {
        this.m = m;
        this.n = n;
        this.k = k;
        t = ws.slot((long) Math.max(m, n) * k);
        small = ws.slot((long) k * k);
    }

    void run(MatrixBatch dIn, int b, MatrixBatch uIn, MatrixBatch vIn, ProjectionMode mode) {
        if (k == 0) return;
        FloatPointer d = dIn.pointer(b);
        FloatPointer u = uIn == null ? null : uIn.pointer(b);
        FloatPointer v = vIn == null ? null : vIn.pointer(b);
        FloatPointer tp = t.ptr();
        switch (mode) {
            case LEFT -> left(d, u, tp);
            case RIGHT -> right(d, v, tp);
            case TWO_SIDED -> {
                left(d, u, tp);
                right(d, v, tp);
            }
            case HIGH_BLOCK -> highBlock(d, u, v, tp);
        }
    }

    private void left(FloatPointer d, FloatPointer u, FloatPointer tp) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m, 1f, u, k, d, n, 0f, tp, n);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, -1f, u, k, tp, n, 1f, d, n);
    }

    private void right(FloatPointer d, FloatPointer v, FloatPointer tp) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1f, d, n, v, k, 0f, tp, k);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, -1f, tp, k, v, k, 1f, d, n);
    }

    private void highBlock(FloatPointer d, FloatPointer u, FloatPointer v, FloatPointer tp) {
        FloatPointer cp = small.ptr();
        if (m <= n) {
            // T = U^T D (k x n); C = T V (k x k); T = C V^T; D -= U T
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, n, m, 1f, u, k, d, n, 0f, tp, n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, k, n, 1f, tp, n, v, k, 0f, cp, k);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, n, k, 1f, cp, k, v, k, 0f, tp, n);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, -1f, u, k, tp, n, 1f, d, n);
        } else {
            // T = D V (m x k); C = U^T T (k x k); T = U C; D -= T V^T
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, n, 1f, d, n, v, k, 0f, tp, k);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, k, m, 1f, u, k, tp, k, 0f, cp, k);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, k, k, 1f, u, k, cp, k, 0f, tp, k);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, -1f, tp, k, v, k, 1f, d, n);
        }
    }

    @Override
    public void close() {
        ws.close();
    }
}
