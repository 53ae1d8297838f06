package dev.sculpt.backend.cuda;

import dev.sculpt.linalg.ProjectionMode;

/**
 * In-place subspace projections of a device batch d (count x m x n) with bases u (count x m x k) and
 * v (count x n x k). The thin products that read D (T = U^T D, S = D V) are strided-batched cuBLAS GEMMs;
 * the updates of D are one pass of the hand-written fused kernel ({@code sculpt_project_update}):
 * <pre>
 *   left        D -= U T
 *   right       D -= S V^T
 *   high block  D -= U (C V^T),            C = T V
 *   two-sided   D -= U (T - C V^T) + S V^T  (= D - U(U^T D) - (D V)V^T + U(U^T D V)V^T)
 * </pre>
 * so the two-sided form reads and writes D once for both rank-k terms instead of twice. With
 * {@code -Dsculpt.cuda.projection=cublas} the updates run as beta = 1 cuBLAS GEMMs instead (the previous
 * implementation, kept so the GPU benchmark can compare both on the same device).
 */
final class CudaProjection {
    private CudaProjection() {}

    /** Whether the updates use the fused kernel (default) or cuBLAS (system property sculpt.cuda.projection=cublas). */
    static boolean fused() {
        return !"cublas".equalsIgnoreCase(System.getProperty("sculpt.cuda.projection", "fused"));
    }

    static void run(DeviceOps ops, ProjectionMode mode, long d, long u, long v, int count, int m, int n, int k) {
        run(ops, mode, d, u, v, count, m, n, k, fused());
    }

    static void run(DeviceOps ops, ProjectionMode mode, long d, long u, long v, int count, int m, int n, int k, boolean fused) {
        long mn = (long) m * n, mk = (long) m * k, nk = (long) n * k, kn = (long) k * n, kk = (long) k * k;
        try (DeviceArena ws = new DeviceArena(ops)) {
            switch (mode) {
                case LEFT: {
                    long t = ws.floats(count * kn);
                    ops.gemm(true, false, k, n, m, 1f, u, k, mk, d, n, mn, 0f, t, n, kn, count);     // T = U^T D
                    if (fused) {
                        ops.projectUpdate(d, count, m, n, u, t, k, 0L, 0L, 0);                       // D -= U T
                    } else {
                        ops.gemm(false, false, m, n, k, -1f, u, k, mk, t, n, kn, 1f, d, n, mn, count);
                    }
                    break;
                }
                case RIGHT: {
                    long dv = ws.floats(count * mk);
                    ops.gemm(false, false, m, k, n, 1f, d, n, mn, v, k, nk, 0f, dv, k, mk, count);   // S = D V
                    if (fused) {
                        ops.projectUpdate(d, count, m, n, 0L, 0L, 0, dv, v, k);                      // D -= S V^T
                    } else {
                        ops.gemm(false, true, m, n, k, -1f, dv, k, mk, v, k, nk, 1f, d, n, mn, count);
                    }
                    break;
                }
                case HIGH_BLOCK: {
                    long t = ws.floats(count * kn);
                    long c = ws.floats(count * kk);
                    ops.gemm(true, false, k, n, m, 1f, u, k, mk, d, n, mn, 0f, t, n, kn, count);     // T = U^T D
                    ops.gemm(false, false, k, k, n, 1f, t, n, kn, v, k, nk, 0f, c, k, kk, count);    // C = T V
                    ops.gemm(false, true, k, n, k, 1f, c, k, kk, v, k, nk, 0f, t, n, kn, count);     // T = C V^T
                    if (fused) {
                        ops.projectUpdate(d, count, m, n, u, t, k, 0L, 0L, 0);                       // D -= U T
                    } else {
                        ops.gemm(false, false, m, n, k, -1f, u, k, mk, t, n, kn, 1f, d, n, mn, count);
                    }
                    break;
                }
                case TWO_SIDED:
                default: {
                    long t = ws.floats(count * kn);
                    long dv = ws.floats(count * mk);
                    long c = ws.floats(count * kk);
                    ops.gemm(true, false, k, n, m, 1f, u, k, mk, d, n, mn, 0f, t, n, kn, count);     // T = U^T D
                    ops.gemm(false, false, m, k, n, 1f, d, n, mn, v, k, nk, 0f, dv, k, mk, count);   // S = D V
                    ops.gemm(false, false, k, k, n, 1f, t, n, kn, v, k, nk, 0f, c, k, kk, count);    // C = T V
                    ops.gemm(false, true, k, n, k, -1f, c, k, kk, v, k, nk, 1f, t, n, kn, count);    // T -= C V^T
                    if (fused) {
                        ops.projectUpdate(d, count, m, n, u, t, k, dv, v, k);                        // D -= U T + S V^T
                    } else {
                        ops.gemm(false, false, m, n, k, -1f, u, k, mk, t, n, kn, 1f, d, n, mn, count);
                        ops.gemm(false, true, m, n, k, -1f, dv, k, mk, v, k, nk, 1f, d, n, mn, count);
                    }
                    break;
                }
            }
            ops.synchronize();
        }
    }
}
