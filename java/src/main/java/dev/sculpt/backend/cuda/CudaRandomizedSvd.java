package dev.sculpt.backend.cuda;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Randomized top-k SVD of a device batch (Halko, Martinsson, Tropp 2011), all on the GPU:
 * <ol>
 *   <li>Omega (n x l, l = min(k + p, min(m, n))): the Philox sketch, element (r, c) = gaussian(seed, b, r l + c),
 *       bit-identical to the CPU backend's;</li>
 *   <li>Y = A Omega, then q power iterations Z = A^T Q, Y = A Z, each product re-orthonormalised (CholeskyQR2);</li>
 *   <li>B^T = A^T Q (n x l); the small l x l problem B B^T = W diag(lambda) W^T in double (hand-written Jacobi
 *       up to {@link #JACOBI_MAX}, cuSOLVER syevd above);</li>
 *   <li>U = Q W_k, S = sqrt(lambda_k), V = orth(B^T W_k S^{-1}) (CholeskyQR2 again, so V stays orthonormal even
 *       where singular values vanish).</li>
 * </ol>
 * The double Gram keeps the small singular values as accurate as the float data allow (squaring in float
 * would lose them).
 */
final class CudaRandomizedSvd {
    private static final Logger LOG = LoggerFactory.getLogger(CudaRandomizedSvd.class);
    /** Largest projected problem solved by the one-block Jacobi kernel; larger ones go to cuSOLVER. */
    static final int JACOBI_MAX = 256;
    /** Largest sketch width the one-block Cholesky kernel accepts (its diagonal lives in 48 KB of shared memory). */
    static final int SKETCH_MAX = 6144;
    private static final int MAX_SWEEPS = 40;

    private CudaRandomizedSvd() {}

    /** Sketch width for k and oversampling p on an m x n matrix. */
    static int sketchWidth(int m, int n, int k, int p) {
        return (int) Math.min((long) k + p, Math.min(m, n));
    }

    /**
     * Writes the top-k factors of a (count x m x n, device) into u (count x m x k), s (count x 1 x k) and
     * v (count x n x k), all device addresses.
     */
    static void run(DeviceOps ops, long a, int count, int m, int n, int k, int p, int q, long seed,
                    long u, long s, long v) {
        int l = sketchWidth(m, n, k, p);
        long mn = (long) m * n, ml = (long) m * l, nl = (long) n * l, ll = (long) l * l;
        try (DeviceArena ws = new DeviceArena(ops)) {
            long omega = ws.floats(count * nl);
            long y = ws.floats(count * ml);
            long z = ws.floats(count * nl);
            CholeskyQr2 orth = new CholeskyQr2(ops, ws, count, Math.max(m, n), l);

            ops.philoxFill(omega, count, n, l, seed);
            ops.gemm(false, false, m, l, n, 1f, a, n, mn, omega, l, nl, 0f, y, l, ml, count);   // Y = A Omega
            orth.run(y, m, l);
            for (int i = 0; i < q; i++) {
                ops.gemm(true, false, n, l, m, 1f, a, n, mn, y, l, ml, 0f, z, l, nl, count);    // Z = A^T Q
                orth.run(z, n, l);
                ops.gemm(false, false, m, l, n, 1f, a, n, mn, z, l, nl, 0f, y, l, ml, count);   // Y = A Z
                orth.run(y, m, l);
            }
            ops.gemm(true, false, n, l, m, 1f, a, n, mn, y, l, ml, 0f, z, l, nl, count);        // B^T = A^T Q

            long gram = ws.doubles(count * ll);
            long values = ws.floats((long) count * k);
            long w = ws.floats((long) count * l * k);
            ops.gram(z, count, n, l, gram);
            if (l <= JACOBI_MAX) {
                long work = ws.doubles(count * ll);
                ops.symEigen(gram, count, l, k, MAX_SWEEPS, work, values, s, w);
            } else {
                long evals = ws.doubles((long) count * l);
                for (int b = 0; b < count; b++) {
                    ops.symmetricEigen(gram + b * ll * Double.BYTES, evals + (long) b * l * Double.BYTES, l);
                }
                ops.eigenSelect(evals, gram, count, l, k, values, s, w);
            }
            long mk = (long) m * k, nk = (long) n * k, lk = (long) l * k;
            ops.gemm(false, false, m, k, l, 1f, y, l, ml, w, k, lk, 0f, u, k, mk, count);       // U = Q W_k
            ops.gemm(false, false, n, k, l, 1f, z, l, nl, w, k, lk, 0f, v, k, nk, count);       // B^T W_k
            ops.scaleColumnsInverse(v, count, n, k, s, 1e-30f);
            CholeskyQr2 orthV = new CholeskyQr2(ops, ws, count, n, k);
            orthV.run(v, n, k);
            ops.synchronize();
        }
        LOG.debug("randomized SVD on the GPU: {} x {} x {}, k {}, sketch {}, q {}", count, m, n, k, l, q);
    }
}
