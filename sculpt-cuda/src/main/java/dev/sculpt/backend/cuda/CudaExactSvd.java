package dev.sculpt.backend.cuda;

/**
 * Exact SVD of every matrix of a device batch by cuSOLVER (gesvdj, economy size), truncated to the top k, with
 * the kept factors re-orthonormalised (see the comment in {@link #run}).
 * cuSOLVER is column-major and is always handed the orientation with at least as many rows as columns:
 * a row-major m x n matrix is the column-major n x m matrix A^T = V S U^T, used as is when n >= m (cuSOLVER's
 * left factor is then our V); otherwise it is transposed first (column-major A = U S V^T). The factors come back
 * column-major and are transposed into the row-major outputs.
 */
final class CudaExactSvd {
    private CudaExactSvd() {}

    static void run(DeviceOps ops, long a, int count, int m, int n, int k, long u, long s, long v) {
        int p = Math.min(m, n);
        long mn = (long) m * n;
        try (DeviceArena ws = new DeviceArena(ops)) {
            long scratch = ws.floats(mn);
            long sv = ws.floats(p);
            long uFactor = ws.floats((long) m * p);  // column-major m x p: U of A
            long vFactor = ws.floats((long) n * p);  // column-major n x p: V of A
            for (int b = 0; b < count; b++) {
                long ab = a + b * mn * Float.BYTES;
                if (n >= m) {
                    ops.copy(scratch, ab, mn * Float.BYTES, CudaKernels.D2D);
                    ops.svd(scratch, n, m, sv, vFactor, uFactor);
                } else {
                    ops.transpose(ab, 1, m, n, scratch);
                    ops.svd(scratch, m, n, sv, uFactor, vFactor);
                }
                // the first k columns of a column-major r x p matrix are the row-major k x r matrix at its start
                ops.transpose(uFactor, 1, k, m, u + (long) b * m * k * Float.BYTES);
                ops.transpose(vFactor, 1, k, n, v + (long) b * n * k * Float.BYTES);
                ops.copy(s + (long) b * k * Float.BYTES, sv, (long) k * Float.BYTES, CudaKernels.D2D);
            }
            // gesvdj stops on a norm-wise test (off-diagonal mass against ||A||_F), so its factors' columns are not
            // orthonormal to working precision: measured on an H200, ||U^T U - I||_max reached 1.8e-4 for a flat
            // 200 x 200 matrix and 1.3e-4 for fast decay (the contract allows c k u = 2.4e-6). One CholeskyQR2 pass
            // over the kept k columns (k^2 (m + n) flops, small next to the SVD) makes them orthonormal to about u
            // without moving their span; a rank-deficient factor goes through Householder QR instead.
            CholeskyQr2 qr = new CholeskyQr2(ops, ws, count, Math.max(m, n), k);
            qr.run(u, m, k);
            qr.run(v, n, k);
            rayleighSingularValues(ops, ws, a, count, m, n, k, u, s, v);
            ops.synchronize();
        }
    }

    /**
     * Replaces s by the Rayleigh quotients {@code s_j = u_j^T A v_j} of the orthonormalised factors. gesvdj's own
     * singular values are only as accurate as its norm-wise stopping test (measured on an H200: 9.2e-5 off for a flat
     * 200 x 200 matrix, against the contract's 3e-5 rounding bound); with u_j and v_j off by delta the quotient is off
     * by O(delta^2 ||A||) plus the rounding of its m + n term sums. Ties that rounding reorders are clamped to keep s
     * non-increasing (a change no larger than the rounding itself).
     */
    private static void rayleighSingularValues(DeviceOps ops, DeviceArena ws, long a, int count, int m, int n, int k,
                                               long u, long s, long v) {
        long t = ws.floats((long) k * n);   // U_b^T A_b, k x n
        long p = ws.floats((long) k * k);   // U_b^T A_b V_b, k x k
        long mn = (long) m * n;
        float[] diag = new float[k];
        for (int b = 0; b < count; b++) {
            long ub = u + (long) b * m * k * Float.BYTES, vb = v + (long) b * n * k * Float.BYTES;
            ops.gemm(true, false, k, n, m, 1f, ub, k, 0, a + b * mn * Float.BYTES, n, 0, 0f, t, n, 0, 1);
            ops.gemm(false, false, k, k, n, 1f, t, n, 0, vb, k, 0, 0f, p, k, 0, 1);
            float[] product = ops.readFloats(p, k * k);
            float previous = Float.POSITIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                diag[j] = Math.max(0f, Math.min(product[j * k + j], previous));   // non-increasing and >= 0
                previous = diag[j];
            }
            ops.writeFloats(s + (long) b * k * Float.BYTES, diag);
        }
    }
}
