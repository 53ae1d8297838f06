package dev.sculpt.backend.cuda;

import dev.sculpt.linalg.ProjectionMode;

/**
 * In-place subspace projections of a device batch d (count x m x n) with bases u (count x m x k) and
 * v (count x n x k), as strided-batched cuBLAS products (compute-bound for the ranks used, so cuBLAS is the
 * fastest way to do them). The two-sided form is folded into two rank-k updates of D:
 * {@code D - U(U^T D) - (D V)V^T + U(U^T D V)V^T = D - U(T - C V^T) - (D V) V^T} with {@code T = U^T D},
 * {@code C = T V}.
 */
final class CudaProjection {
    private CudaProjection() {}

    static void run(DeviceOps ops, ProjectionMode mode, long d, long u, long v, int count, int m, int n, int k) {
        long mn = (long) m * n, mk = (long) m * k, nk = (long) n * k, kn = (long) k * n, kk = (long) k * k;
        try (DeviceArena ws = new DeviceArena(ops)) {
            switch (mode) {
                case LEFT: {
                    long t = ws.floats(count * kn);
                    ops.gemm(true, false, k, n, m, 1f, u, k, mk, d, n, mn, 0f, t, n, kn, count);     // T = U^T D
                    ops.gemm(false, false, m, n, k, -1f, u, k, mk, t, n, kn, 1f, d, n, mn, count);   // D -= U T
                    break;
                }
                case RIGHT: {
                    long dv = ws.floats(count * mk);
                    ops.gemm(false, false, m, k, n, 1f, d, n, mn, v, k, nk, 0f, dv, k, mk, count);   // DV = D V
                    ops.gemm(false, true, m, n, k, -1f, dv, k, mk, v, k, nk, 1f, d, n, mn, count);   // D -= DV V^T
                    break;
                }
                case HIGH_BLOCK: {
                    long t = ws.floats(count * kn);
                    long c = ws.floats(count * kk);
                    ops.gemm(true, false, k, n, m, 1f, u, k, mk, d, n, mn, 0f, t, n, kn, count);     // T = U^T D
                    ops.gemm(false, false, k, k, n, 1f, t, n, kn, v, k, nk, 0f, c, k, kk, count);    // C = T V
                    ops.gemm(false, true, k, n, k, 1f, c, k, kk, v, k, nk, 0f, t, n, kn, count);     // T = C V^T
                    ops.gemm(false, false, m, n, k, -1f, u, k, mk, t, n, kn, 1f, d, n, mn, count);   // D -= U T
                    break;
                }
                case TWO_SIDED:
                default: {
                    long t = ws.floats(count * kn);
                    long dv = ws.floats(count * mk);
                    long c = ws.floats(count * kk);
                    ops.gemm(true, false, k, n, m, 1f, u, k, mk, d, n, mn, 0f, t, n, kn, count);     // T = U^T D
                    ops.gemm(false, false, m, k, n, 1f, d, n, mn, v, k, nk, 0f, dv, k, mk, count);   // DV = D V
                    ops.gemm(false, false, k, k, n, 1f, t, n, kn, v, k, nk, 0f, c, k, kk, count);    // C = T V
                    ops.gemm(false, true, k, n, k, -1f, c, k, kk, v, k, nk, 1f, t, n, kn, count);    // T -= C V^T
                    ops.gemm(false, false, m, n, k, -1f, u, k, mk, t, n, kn, 1f, d, n, mn, count);   // D -= U T
                    ops.gemm(false, true, m, n, k, -1f, dv, k, mk, v, k, nk, 1f, d, n, mn, count);   // D -= DV V^T
                    break;
                }
            }
            ops.synchronize();
        }
    }
}
