package dev.sculpt.backend.cpu;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasNonUnit;
import static org.bytedeco.openblas.global.openblas.CblasRight;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.CblasUpper;
import static org.bytedeco.openblas.global.openblas.LAPACK_COL_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_sgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_spotrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_ssyevd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_strtri;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;
import static org.bytedeco.openblas.global.openblas.cblas_ssyrk;
import static org.bytedeco.openblas.global.openblas.cblas_strmm;

import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Randomized top-k SVD of one m x n matrix (Halko, Martinsson, Tropp 2011, algorithms 4.4 and 5.1), with
 * scratch space sized once for a batch and reused for each of its matrices.
 *
 * <p>Orientation: let r = min(m, n), c = max(m, n) and M the r x c operator (A itself when m <= n, A^T
 * otherwise, applied through the BLAS transpose flag, never copied). The range finder works in the smaller
 * space, so the more numerous QRs are the cheaper ones:
 * <pre>
 *   Omega (c x l) = Philox sketch of (seed, matrix index): element (i, j) = gaussian(seed, b, i * l + j)
 *   Y = M Omega; Y = basis(Y)
 *   q times: Z = M^T Y; Z = basis(Z); Y = M Z; Y = basis(Y)
 *   Bt = M^T Y                          (c x l, the transpose of B = Q^T M)
 * </pre>
 * with l = min(k + p, r). The last Y is Q and gets the full {@link TallSkinnyQr#orthonormalize} (CholeskyQR2,
 * Householder fallback); the panels before it only carry the span into the next product, so they get
 * {@link TallSkinnyQr#spanBasis} (one CholeskyQR pass while the panel is well conditioned), which saves four
 * of the ten passes at the default q = 2.
 *
 * <p>Small SVD: the Gram matrix G = B B^T (ssyrk, l x l) and its eigen-decomposition (ssyevd) give the
 * left singular vectors W of B; then U_M = Q W_k and V_M = Bt W_k with its columns scaled to unit length
 * (those lengths are the singular values, a Rayleigh quotient, accurate even where the eigenvalues are
 * not) and re-orthonormalised by one Cholesky pass (which is a pure scaling when the Gram step was
 * accurate). Squaring loses accuracy for singular values far below the largest, so when
 * lambda_k < {@link #GRAM_RATIO} lambda_1 the kernel runs sgesdd on B instead (B is Bt's memory read
 * column-major, so no copy).
 */
final class RandomizedSvdKernel implements AutoCloseable {
    /** The Gram-matrix eigen path is used while lambda_k / lambda_1 >= this (sigma_k / sigma_1 >= ~0.03). */
    static final float GRAM_RATIO = 1e-3f;

    private final int m, n, k, l, q, r, c;
    private final boolean tall;
    private final boolean parallelFill;
    private final int productThreads;
    private final Workspace ws = new Workspace();
    private final Workspace.Slot y, z, g, w, wk, h;
    private Workspace.Slot vt;        // only for the sgesdd path
    private final TallSkinnyQr qr;
    private final float[] sigma;
    private final int[] order;
    int householderFallbacks;
    /** Intermediate panels that one CholeskyQR pass sufficed for (see {@link TallSkinnyQr#spanBasis}). */
    int onePassBases;
    int gesddFallbacks;
    /** Nanoseconds spent per phase: sketch generation, products with A, QR, small SVD (for debug logs). */
    final long[] phaseNanos = new long[4];

    /**
     * @param productThreads OpenBLAS threads for every BLAS/LAPACK call of the kernel (the worker's whole
     *     share of the machine: all cores when a batch runs one matrix at a time, one otherwise). The
     *     l-wide steps (QR panels, Gram, small SVD) are a third of the flops at k = n/4 and ran 1.7x
     *     slower on one thread (2048 x 2048, k = 512: QR 160 ms on one thread, 95 ms on two)
     */
    RandomizedSvdKernel(int m, int n, int k, int l, int q, int productThreads) {
        this.m = m;
        this.n = n;
        this.k = k;
        this.l = l;
        this.q = q;
        this.tall = m > n;
        this.r = Math.min(m, n);
        this.c = Math.max(m, n);
        this.productThreads = productThreads;
        this.parallelFill = productThreads > 1;
        y = ws.slot((long) r * l);
        z = ws.slot((long) c * l);
        g = ws.slot((long) l * l);
        w = ws.slot(l);
        wk = ws.slot((long) k * l);
        h = ws.slot((long) k * k);
        qr = new TallSkinnyQr(ws, l);
        sigma = new float[k];
        order = new int[k];
    }

    /**
     * Decomposes matrix {@code b} of {@code in} (m x n) into matrix b of u (m x k), s (1 x k) and v (n x k).
     * The index b also selects the matrix's sketch.
     */
    void run(MatrixBatch in, int b, long seed, MatrixBatch uOut, MatrixBatch sOut, MatrixBatch vOut) {
        if (productThreads > 1) BlasThreads.set(productThreads);
        decompose(in.pointer(b), b, seed, uOut, sOut, vOut);
    }

    private void decompose(FloatPointer a, int b, long seed, MatrixBatch uOut, MatrixBatch sOut, MatrixBatch vOut) {
        FloatPointer u = uOut.pointer(b);
        FloatPointer v = vOut.pointer(b);
        int tM = tall ? CblasTrans : CblasNoTrans;
        int tMT = tall ? CblasNoTrans : CblasTrans;
        FloatPointer yp = y.ptr();
        FloatPointer zp = z.ptr();
        long t0 = System.nanoTime();
        GaussianFill.fill(z.buf(), 0, (long) c * l, seed, b, parallelFill);
        long t1 = System.nanoTime();
        phaseNanos[0] += t1 - t0;
        // Only the last Y must be orthonormal (it is Q); the panels before it just carry the span forward
        product(tM, r, c, a, zp, yp);
        t1 = lap(t1, 1);
        orthonormalize(yp, r, q == 0);
        t1 = lap(t1, 2);
        for (int i = 0; i < q; i++) {
            product(tMT, c, r, a, yp, zp);
            t1 = lap(t1, 1);
            orthonormalize(zp, c, false);
            t1 = lap(t1, 2);
            product(tM, r, c, a, zp, yp);
            t1 = lap(t1, 1);
            orthonormalize(yp, r, i == q - 1);
            t1 = lap(t1, 2);
        }
        product(tMT, c, r, a, yp, zp);   // Bt
        t1 = lap(t1, 1);
        // U_M = Q W_k lands in U of A when m <= n, in V of A otherwise; V_M the other way round
        FloatPointer ur = tall ? v : u;
        FloatPointer vr = tall ? u : v;
        MatrixBatch vrBatch = tall ? uOut : vOut;
        MatrixBatch urBatch = tall ? vOut : uOut;
        if (!gramSvd(ur, vr)) {
            gesddFallbacks++;
            gesddSvd(ur, vrBatch.buffer(), (int) vrBatch.offset(b));
        }
        sortDescending(urBatch.buffer(), (int) urBatch.offset(b), vrBatch.buffer(), (int) vrBatch.offset(b));
        sOut.buffer().put((int) sOut.offset(b), sigma, 0, k);
        lap(t1, 3);
    }

    private long lap(long since, int phase) {
        long now = System.nanoTime();
        phaseNanos[phase] += now - since;
        return now;
    }

    /** out (rows x l) = op(A) (rows x inner) times x (inner x l). */
    private void product(int transA, int rows, int inner, FloatPointer a, FloatPointer x, FloatPointer out) {
        gemm(transA, CblasNoTrans, rows, l, inner, a, n, x, l, out, l);
    }

    /** out = op(x) op(y) (rows x cols) by sgemm. */
    private void gemm(int tx, int ty, int rows, int cols, int inner, FloatPointer x, int ldx, FloatPointer y, int ldy,
                      FloatPointer out, int ldo) {
        cblas_sgemm(CblasRowMajor, tx, ty, rows, cols, inner, 1f, x, ldx, y, ldy, 0f, out, ldo);
    }

    private void orthonormalize(FloatPointer x, int rows, boolean finalBasis) {
        TallSkinnyQr.Path path = finalBasis ? qr.orthonormalize(x, rows, l) : qr.spanBasis(x, rows, l);
        if (path == TallSkinnyQr.Path.HOUSEHOLDER) householderFallbacks++;
        if (path == TallSkinnyQr.Path.CHOLESKY_QR) onePassBases++;
    }

    /** The Gram path; false when B is too ill-conditioned for it (nothing useful written then). */
    private boolean gramSvd(FloatPointer ur, FloatPointer vr) {
        FloatPointer gp = g.ptr();
        FloatBuffer gb = g.buf();
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, l, c, 1f, z.ptr(), l, 0f, gp, l);
        // row-major upper = column-major lower; eigenvector j comes back as row j of the row-major view
        if (LAPACKE_ssyevd(LAPACK_COL_MAJOR, (byte) 'V', (byte) 'L', l, gp, l, w.ptr()) != 0) return false;
        float top = w.buf().get(l - 1);
        float kth = w.buf().get(l - k);
        if (!(top > 0f) || !(kth >= GRAM_RATIO * top)) return false;
        FloatBuffer wkb = wk.buf();
        float[] row = new float[l];
        for (int i = 0; i < k; i++) {               // W_k^T, largest eigenvalue first
            gb.get((l - 1 - i) * l, row, 0, l);
            wkb.put(i * l, row, 0, l);
        }
        gemm(CblasNoTrans, CblasTrans, r, k, l, y.ptr(), l, wk.ptr(), l, ur, k);
        gemm(CblasNoTrans, CblasTrans, c, k, l, z.ptr(), l, wk.ptr(), l, vr, k);
        // H = Vraw^T Vraw: its diagonal gives the singular values, its Cholesky factor orthonormalises V
        FloatPointer hp = h.ptr();
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, k, c, 1f, vr, k, 0f, hp, k);
        for (int i = 0; i < k; i++) sigma[i] = (float) Math.sqrt(Math.max(0f, h.buf().get(i * k + i)));
        if (LAPACKE_spotrf(LAPACK_COL_MAJOR, (byte) 'L', k, hp, k) != 0) return false;
        if (LAPACKE_strtri(LAPACK_COL_MAJOR, (byte) 'L', (byte) 'N', k, hp, k) != 0) return false;
        cblas_strmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, c, k, 1f, hp, k, vr, k);
        return true;
    }

    /** sgesdd of B (l x c): Bt's row-major memory is B column-major. Overwrites Bt. */
    private void gesddSvd(FloatPointer ur, FloatBuffer dst, int dstOff) {
        if (vt == null) vt = ws.slot((long) l * c);
        FloatPointer gp = g.ptr();          // U_B, column-major l x l = row-major U_B^T
        int info = LAPACKE_sgesdd(LAPACK_COL_MAJOR, (byte) 'S', l, c, z.ptr(), l, w.ptr(), gp, l, vt.ptr(), l);
        if (info != 0) throw new IllegalStateException("sgesdd of the projected " + l + " x " + c + " matrix failed: info " + info);
        gemm(CblasNoTrans, CblasTrans, r, k, l, y.ptr(), l, gp, l, ur, k);
        // V_B^T column-major (l x c) is V_B row-major (c x l): keep its first k columns
        FloatBuffer src = vt.buf();
        float[] row = new float[k];
        for (int i = 0; i < c; i++) {
            src.get(i * l, row, 0, k);
            dst.put(dstOff + i * k, row, 0, k);
        }
        for (int i = 0; i < k; i++) sigma[i] = w.buf().get(i);
    }

    /** Puts sigma in descending order and permutes the columns of U_M and V_M to match (rarely needed). */
    private void sortDescending(FloatBuffer ur, int urOff, FloatBuffer vr, int vrOff) {
        boolean sorted = true;
        for (int i = 1; i < k; i++) if (sigma[i] > sigma[i - 1]) sorted = false;
        if (!sorted) {
            Integer[] idx = new Integer[k];
            for (int i = 0; i < k; i++) idx[i] = i;
            java.util.Arrays.sort(idx, (x1, x2) -> Float.compare(sigma[x2], sigma[x1]));
            for (int i = 0; i < k; i++) order[i] = idx[i];
            permuteColumns(ur, urOff, r);
            permuteColumns(vr, vrOff, c);
            float[] s2 = new float[k];
            for (int i = 0; i < k; i++) s2[i] = sigma[order[i]];
            System.arraycopy(s2, 0, sigma, 0, k);
        }
    }

    private void permuteColumns(FloatBuffer buf, int off, int rows) {
        float[] row = new float[k];
        float[] out = new float[k];
        for (int i = 0; i < rows; i++) {
            buf.get(off + i * k, row, 0, k);
            for (int j = 0; j < k; j++) out[j] = row[order[j]];
            buf.put(off + i * k, out, 0, k);
        }
    }

    @Override
    public void close() {
        ws.close();
    }
}
