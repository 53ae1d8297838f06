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
import static org.bytedeco.openblas.global.openblas.LAPACKE_strcon;
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
 * <p>{@link #spanBasis} is for the power iterations' intermediate panels, whose only job is to carry the span
 * into the next product with A: there one pass suffices when LAPACK's condition estimate of R (strcon)
 * shows cond(X) <= {@link #ONE_PASS_MAX_COND}. The pass then leaves ||Q^T Q - I|| around u cond^2 <= 0.06, a
 * basis as well conditioned as an orthonormal one for that purpose, and its span is exactly the span a second
 * pass would keep (the second pass only repairs orthogonality). The final basis always gets both passes.
 *
 * <p>Row-major upper triangles are column-major lower triangles, so LAPACK is called column-major on the
 * same memory, without the transposed copies LAPACKE's row-major layer would make.
 */
final class TallSkinnyQr {
    /** Largest R_max/R_min diagonal ratio (a lower bound of cond(X)) accepted by the first pass. */
    static final float MAX_DIAG_RATIO = 1e4f;
    /** Largest |(Q1^T Q1 - I)_ij| for which the second pass is trusted. */
    static final float MAX_SECOND_GRAM_ERROR = 0.5f;
    /** Largest estimated cond(X) for which {@link #spanBasis} stops after one pass. */
    static final float ONE_PASS_MAX_COND = 1e3f;

    /** How a call ended: one CholeskyQR pass, CholeskyQR2, or the Householder fallback. */
    enum Path { CHOLESKY_QR, CHOLESKY_QR2, HOUSEHOLDER }

    private final Workspace.Slot gram;   // l x l
    private final Workspace.Slot tau;    // l
    private final Workspace.Slot rcond;  // 1

    TallSkinnyQr(Workspace ws, int l) {
        this.gram = ws.slot((long) l * l);
        this.tau = ws.slot(l);
        this.rcond = ws.slot(1);
    }

    /** Orthonormalises X in place (same span, Q^T Q = I to float precision). */
    Path orthonormalize(FloatPointer x, int rows, int l) {
        return run(x, rows, l, false);
    }

    /**
     * Replaces X in place by a well-conditioned basis of its span: one CholeskyQR pass when X is well
     * conditioned (||Q^T Q - I|| up to ~0.06), otherwise the full {@link #orthonormalize}.
     */
    Path spanBasis(FloatPointer x, int rows, int l) {
        return run(x, rows, l, true);
    }

    private Path run(FloatPointer x, int rows, int l, boolean spanOnly) {
        float cond = choleskyPass(x, rows, l, false, spanOnly);
        if (Float.isNaN(cond)) {
            householder(x, rows, l);
            return Path.HOUSEHOLDER;
        }
        if (spanOnly && cond <= ONE_PASS_MAX_COND) return Path.CHOLESKY_QR;
        if (Float.isNaN(choleskyPass(x, rows, l, true, false))) {
            householder(x, rows, l);
            return Path.HOUSEHOLDER;
        }
        return Path.CHOLESKY_QR2;
    }

    /**
     * One CholeskyQR pass. Returns NaN (with x still spanning the same space) when it cannot be trusted,
     * else R's estimated condition number when {@code estimate} asks for it, else R's diagonal ratio.
     */
    private float choleskyPass(FloatPointer x, int rows, int l, boolean second, boolean estimate) {
        FloatPointer g = gram.ptr();
        FloatBuffer gb = gram.buf();
        cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, l, rows, 1f, x, l, 0f, g, l);
        if (second) {
            for (int i = 0; i < l; i++) {
                for (int j = i; j < l; j++) {
                    float d = gb.get(i * l + j) - (i == j ? 1f : 0f);
                    if (!(Math.abs(d) <= MAX_SECOND_GRAM_ERROR)) return Float.NaN;
                }
            }
        }
        if (LAPACKE_spotrf(LAPACK_COL_MAJOR, (byte) 'L', l, g, l) != 0) return Float.NaN;
        float max = 0f;
        float min = Float.POSITIVE_INFINITY;
        for (int i = 0; i < l; i++) {
            float d = gb.get(i * l + i);
            max = Math.max(max, d);
            min = Math.min(min, d);
        }
        if (!(min > 0f) || !(max / min <= MAX_DIAG_RATIO)) return Float.NaN;
        float cond = max / min;
        if (estimate) {
            // 1-norm estimate (Hager/Higham), O(l^2); a failed estimate reads as ill-conditioned
            boolean ok = LAPACKE_strcon(LAPACK_COL_MAJOR, (byte) '1', (byte) 'L', (byte) 'N', l, g, l, rcond.ptr()) == 0;
            float rc = rcond.buf().get(0);
            cond = ok && rc > 0f ? Math.max(cond, 1f / rc) : Float.POSITIVE_INFINITY;
        }
        if (LAPACKE_strtri(LAPACK_COL_MAJOR, (byte) 'L', (byte) 'N', l, g, l) != 0) return Float.NaN;
        cblas_strmm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, rows, l, 1f, g, l, x, l);
        return cond;
    }

    private void householder(FloatPointer x, int rows, int l) {
        int info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, rows, l, x, l, tau.ptr());
        if (info == 0) info = LAPACKE_sorgqr(LAPACK_ROW_MAJOR, rows, l, l, x, l, tau.ptr());
        if (info != 0) throw new IllegalStateException("Householder QR failed: LAPACK info " + info);
    }
}
