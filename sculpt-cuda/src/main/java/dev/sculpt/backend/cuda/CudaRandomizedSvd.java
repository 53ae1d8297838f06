package dev.sculpt.backend.cuda;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Randomized top-k SVD of a device batch (Halko, Martinsson, Tropp 2011), all on the GPU:
 * <ol>
 *   <li>M = A (m <= n) or A^T (m > n), r x c with r = min(m, n), c = max(m, n), l = min(k + p, r);
 *       Omega (c x l): the Philox sketch, element (i, j) = gaussian(seed, b, i l + j), the CPU backend's sketch
 *       bit for bit;</li>
 *   <li>Y = M Omega, then q power iterations Z = M^T Q, Y = M Z, each product re-orthonormalised (one CholeskyQR pass for the
 *       intermediate panels, CholeskyQR2 for the final basis Q);</li>
 *   <li>B^T = M^T Q (c x l); the small l x l problem B B^T = W diag(lambda) W^T in double (hand-written Jacobi
 *       up to {@link #JACOBI_MAX}, cuSOLVER syevd above);</li>
 *   <li>U_M = Q W_k, S = sqrt(lambda_k), V_M = orth(B^T W_k S^{-1}) (CholeskyQR2 again, so V_M stays orthonormal
 *       even where singular values vanish); for a tall A, its U is V_M and its V is U_M.</li>
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

    /** Which eigensolver took the small l x l problem B B^T: reported by {@link #run} so the choice is observable. */
    enum SmallSolver {
        /** The one-block Jacobi kernel (l <= {@link #JACOBI_MAX}). */
        JACOBI,
        /** cuSOLVER syevd per matrix, then a selection kernel (l > {@link #JACOBI_MAX}). */
        SYEVD
    }

    /** Sketch width for k and oversampling p on an m x n matrix. */
    static int sketchWidth(int m, int n, int k, int p) {
        return (int) Math.min((long) k + p, Math.min(m, n));
    }

    /**
     * Writes the top-k factors of a (count x m x n, device) into u (count x m x k), s (count x 1 x k) and
     * v (count x n x k), all device addresses. Returns the eigensolver that took the projected problem.
     */
    static SmallSolver run(DeviceOps ops, long a, int count, int m, int n, int k, int p, int q, long seed,
                    long u, long s, long v) {
        // Work with the r x c operator M (r = min(m, n)): A when m <= n, else A^T through the transpose flag, so
        // the QRs are on the shorter side and the sketch is the CPU backend's (c x l).
        boolean tall = m > n;
        int r = Math.min(m, n), c = Math.max(m, n);
        int l = sketchWidth(m, n, k, p);
        long mn = (long) m * n, rl = (long) r * l, cl = (long) c * l, ll = (long) l * l;
        try (DeviceArena ws = new DeviceArena(ops)) {
            long omega = ws.floats(count * cl);
            long y = ws.floats(count * rl);
            long z = ws.floats(count * cl);
            CholeskyQr2 orth = new CholeskyQr2(ops, ws, count, c, l);

            ops.philoxFill(omega, count, c, l, seed);
            ops.gemm(tall, false, r, l, c, 1f, a, n, mn, omega, l, cl, 0f, y, l, rl, count);     // Y = M Omega
            // only the last Y must be orthonormal (it is Q); the panels before it carry the span forward
            if (q == 0) orth.run(y, r, l); else orth.spanBasis(y, r, l);
            for (int i = 0; i < q; i++) {
                ops.gemm(!tall, false, c, l, r, 1f, a, n, mn, y, l, rl, 0f, z, l, cl, count);    // Z = M^T Q
                orth.spanBasis(z, c, l);
                ops.gemm(tall, false, r, l, c, 1f, a, n, mn, z, l, cl, 0f, y, l, rl, count);     // Y = M Z
                if (i == q - 1) orth.run(y, r, l); else orth.spanBasis(y, r, l);
            }
            ops.gemm(!tall, false, c, l, r, 1f, a, n, mn, y, l, rl, 0f, z, l, cl, count);        // B^T = M^T Q

            long gram = ws.doubles(count * ll);
            long values = ws.floats((long) count * k);
            long w = ws.floats((long) count * l * k);
            ops.gram(z, count, c, l, gram);                                                       // B B^T
            SmallSolver solver = l <= JACOBI_MAX ? SmallSolver.JACOBI : SmallSolver.SYEVD;
            if (solver == SmallSolver.JACOBI) {
                long work = ws.doubles(count * ll);
                ops.symEigen(gram, count, l, k, MAX_SWEEPS, work, values, s, w);
            } else {
                long evals = ws.doubles((long) count * l);
                for (int b = 0; b < count; b++) {
                    ops.symmetricEigen(gram + b * ll * Double.BYTES, evals + (long) b * l * Double.BYTES, l);
                }
                ops.eigenSelect(evals, gram, count, l, k, values, s, w);
            }
            // M = U_M S V_M^T; A = M (wide) or M^T (tall, then A's U is V_M and A's V is U_M)
            long uM = tall ? v : u, vM = tall ? u : v;
            long rk = (long) r * k, ck = (long) c * k, lk = (long) l * k;
            ops.gemm(false, false, r, k, l, 1f, y, l, rl, w, k, lk, 0f, uM, k, rk, count);        // U_M = Q W_k
            ops.gemm(false, false, c, k, l, 1f, z, l, cl, w, k, lk, 0f, vM, k, ck, count);        // B^T W_k
            ops.scaleColumnsInverse(vM, count, c, k, s, 1e-30f);
            CholeskyQr2 orthV = new CholeskyQr2(ops, ws, count, c, k);
            orthV.run(vM, c, k);
            ops.synchronize();
            LOG.debug("randomized SVD on the GPU: {} x {} x {}, k {}, sketch {}, q {}, {} eigensolver", count, m, n, k, l, q, solver);
            return solver;
        }
    }
}
