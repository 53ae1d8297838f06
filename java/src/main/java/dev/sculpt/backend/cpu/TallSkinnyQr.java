package dev.sculpt.backend.cpu;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasNonUnit;
import static org.bytedeco.openblas.global.openblas.CblasRight;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.CblasTrans;
import static org.bytedeco.openblas.global.openblas.CblasUpper;
import static org.bytedeco.openblas.global.openblas.LAPACK_COL_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.bytedeco.openblas.global.openblas.LAPACKE_sgeqrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_sorgqr;
import static org.bytedeco.openblas.global.openblas.LAPACKE_spotrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_strtri;
import static org.bytedeco.openblas.global.openblas.cblas_ssyrk;
import static org.bytedeco.openblas.global.openblas.cblas_strmm;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Orthonormalises the columns of a tall-skinny row-major matrix X (rows x l, rows >= l) in place.
 *
 * <p>CholeskyQR2 (Fukaya et al. 2014): twice {G = X^T X (ssyrk), G = R^T R (spotrf), X = X R^-1
 * (strtri + strmm)}. It is all BLAS-3 and about twice as fast as Householder, but it is only reliable while
 * cond(X) stays below about u^-1/2 (~3e3 in float32). So each pass checks its factor, and the method falls
 * back to Householder (sgeqrf + sorgqr) when Cholesky fails, when the diagonal of R already shows a
 * condition number above {@link #MAX_DIAG_RATIO}, or when the second Gram matrix is not close to the
 * identity (the first pass lost too much orthogonality). The triangular solve is an explicit inverse
 * (l^3/3 flops) and an in-place strmm, which OpenBLAS runs about twice as fast as strsm.
 *
 * <p>Row-major upper triangles are column-major lower triangles, so LAPACK is called column-major on the
 * same memory, without the transposed copies LAPACKE's row-major layer would make.
 */
final class TallSkinnyQr {
    /** Largest R_max/R_min diagonal ratio (a lower bound of cond(X)) accepted by the first pass. */
    static final float MAX_DIAG_RATIO = 1e4f;
    /** Largest |(Q1^T Q1 - I)_ij| for which the second pass is trusted. */
    static final float MAX_SECOND_GRAM_ERROR = 0.5f;

    /** How a call ended: by CholeskyQR2 or by the Householder fallback. */
    enum Path { CHOLESKY_QR2, HOUSEHOLDER }

    private final Workspace.Slot gram;   // l x l
    private final Workspace.Slot tau;    // l

    TallSkinnyQr(Workspace ws, int l) {
        this.gram = ws.slot((long) l * l);
        this.tau = ws.slot(l);
    }

    Path orthonormalize(FloatPointer x, int rows, int l) {
        if (!choleskyPass(x, rows, l, false) || !choleskyPass(x, rows, l, true)) {
            householder(x, rows, l);
            return Path.HOUSEHOLDER;
        }
        return Path.CHOLESKY_QR2;
    }

    /** One CholeskyQR pass; false (with x still spanning the same space) when it cannot be trusted. */
    private boolean choleskyPass(FloatPointer x, int rows, int l, boolean second) {
        FloatPointer g = gram.ptr();
        FloatBuffer gb = gram.buf();
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, l, rows, 1f, x, l, 0f, g, l);
        if (second) {
            for (int i = 0; i < l; i++) {
                for (int j = i; j < l; j++) {
                    float d = gb.get(i * l + j) - (i == j ? 1f : 0f);
                    if (!(Math.abs(d) <= MAX_SECOND_GRAM_ERROR)) return false;
                }
            }
        }
        if (LAPACKE_spotrf(LAPACK_COL_MAJOR, (byte) 'L', l, g, l) != 0) return false;
        float max = 0f;
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i < l; i++) {
            float d = gb.get(i * l + i);
            max = Math.max(max, d);
            min = Math.min(min, d);
        }
        if (!(min > 0f) || !(max / min <= MAX_DIAG_RATIO)) return false;
        if (LAPACKE_strtri(LAPACK_COL_MAJOR, (byte) 'L', (byte) 'N', l, g, l) != 0) return false;
        cblas_strmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, rows, l, 1f, g, l, x, l);
        return true;
    }

    private void householder(FloatPointer x, int rows, int l) {
        int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, rows, l, x, l, tau.ptr());
        if (info == 0) info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, rows, l, l, x, l, tau.ptr());
        if (info != 0) throw new IllegalStateException("Householder QR failed: LAPACK info " + info);
    }
}
