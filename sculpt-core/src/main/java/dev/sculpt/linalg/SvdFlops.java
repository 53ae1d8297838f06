package dev.sculpt.linalg;

/**
 * Floating-point operation counts of the kernels, the numerators of the benchmarks' floors
 * (floor time = flops / the sgemm rate measured in the same run) and the inputs of {@link SvdPlanner}.
 * A multiply-add counts as two flops; triangular products and Gram matrices count their essential flops
 * (half of a full product), whatever the implementation spends.
 */
public final class SvdFlops {
    private SvdFlops() {}

    /** Sketch width l = min(k + p, min(m, n)). */
    public static int sketchWidth(int m, int n, int k, int oversample) {
        return Math.min(k + oversample, Math.min(m, n));
    }

    /**
     * Randomized SVD of one m x n matrix as the CPU backend runs it (r = min, c = max, l = sketch width):
     * <ul>
     *   <li>products with A: sketch, 2q power-iteration products and B: (2q + 2) x 2 r c l;</li>
     *   <li>orthonormalisation of q + 1 panels r x l and q panels c x l: CholeskyQR2 for the last (the basis
     *       Q), one CholeskyQR pass for the 2q intermediate ones (Gram h l^2 + Cholesky l^3/3 + inverse l^3/3
     *       + triangular product h l^2 per pass and panel of h rows; the CPU backend's path for
     *       well-conditioned panels, see its TallSkinnyQr);</li>
     *   <li>small SVD: Gram of B (c l^2), symmetric eigensolver with vectors (about 4 l^3),
     *       U = Q W_k and V = Bt W_k (2 r l k + 2 c l k), V's Gram and Cholesky re-orthonormalisation
     *       (c k^2 + 2k^3/3 + c k^2).</li>
     * </ul>
     */
    public static double randomized(int m, int n, int k, int oversample, int powerIters) {
        double r = Math.min(m, n);
        double c = Math.max(m, n);
        double l = sketchWidth(m, n, k, oversample);
        double q = powerIters;
        double products = (2 * q + 2) * 2 * r * c * l;
        double qrPanel = 0;
        qrPanel += choleskyQr2(r, l) + q * choleskyQr(r, l) + q * choleskyQr(c, l);
        double small = c * l * l + 4 * l * l * l + 2 * r * l * k + 2 * c * l * k + 2 * c * k * k + 2.0 / 3 * k * k * k;
        return products + qrPanel + small;
    }

    /** CholeskyQR2 of an h x l panel. */
    public static double choleskyQr2(double h, double l) {
        return 2 * choleskyQr(h, l);
    }

    /** One CholeskyQR pass over an h x l panel. */
    public static double choleskyQr(double h, double l) {
        return h * l * l + 2.0 / 3 * l * l * l + h * l * l;
    }

    /**
     * The usual operation count of a thin SVD with both singular-vector sets (Golub and Van Loan, R-SVD):
     * 4 c r^2 + 22 r^3 for an r x c matrix, r = min(m, n). LAPACK's divide-and-conquer sgesdd does about
     * this much work, but at a fraction of the sgemm rate (bidiagonalisation is half BLAS-2).
     */
    public static double exact(int m, int n) {
        double r = Math.min(m, n);
        double c = Math.max(m, n);
        return 4 * c * r * r + 22 * r * r * r;
    }

    /** One projection of an m x n update with k protected directions. */
    public static double projection(int m, int n, int k, ProjectionMode mode) {
        double mnk = (double) m * n * k;
        return switch (mode) {
            case LEFT, RIGHT -> 4 * mnk;
            case TWO_SIDED -> 8 * mnk;
            case HIGH_BLOCK -> 4 * mnk + 4.0 * Math.min(m, n) * k * k;
        };
    }
}
