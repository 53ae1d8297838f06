package dev.sculpt.backend.cuda;

/**
 * Exact SVD of every matrix of a device batch by cuSOLVER (gesvdj, economy size), truncated to the top k.
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
            ops.synchronize();
        }
    }
}
