package dev.sculpt;

/**
 * Rounding-error bounds of float32 arithmetic, for test tolerances that come from the computation rather than
 * from what passed on one machine (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., ch. 3).
 *
 * <p>A sum of n products computed in float32 in any order (any BLAS kernel, any blocking, FMA or not, any
 * thread split) is within {@code gamma(n) * sum |a_i b_i|} of the exact sum. The bound is relative to the
 * scale of the terms summed, not to the result: where terms cancel, the result can be far smaller than its
 * error. Two float32 evaluations of the same quantity in different orders differ by at most twice the bound.
 * The typical error grows like sqrt(n) u rather than n u, so these worst-case bounds leave headroom, while a
 * real bug (a missing or doubled term) is an error of the order of the terms themselves.
 */
public final class FloatBounds {
    /** Unit roundoff of float32 (round to nearest): 2^-24, about 6.0e-8. */
    public static final double U = 0x1p-24;

    private FloatBounds() {}

    /** gamma_n = n u / (1 - n u): the relative error of n successive float32 roundings. */
    public static double gamma(int n) {
        if (n < 0 || n * U >= 1) throw new IllegalArgumentException("gamma(" + n + ")");
        return n * U / (1 - n * U);
    }

    /**
     * Probabilistic counterpart of {@link #gamma}, for long sums where the worst case (all n roundings in one
     * direction at full size) is far from reachable: Higham and Mary (SIAM J. Sci. Comput. 41(5), 2019,
     * Theorem 2.4) show that with independent mean-zero rounding errors the relative error of n roundings is at
     * most exp(lambda sqrt(n) u + n u^2 / (1 - u)) - 1 with probability at least 1 - 2 n exp(-lambda^2 (1 - u)^2 / 2).
     * Here lambda = 10: failure probability below n 4e-22.
     */
    public static double probable(int n) {
        if (n < 0) throw new IllegalArgumentException("probable(" + n + ")");
        return Math.expm1(10 * Math.sqrt(n) * U + n * U * U / (1 - U));
    }

    /** Worst-case error of a float32 sum of n terms whose absolute values add up to absSum. */
    public static double sum(int n, double absSum) {
        return gamma(n) * absSum;
    }

    /** max_i |a_i|. */
    public static double maxAbs(float[] a) {
        double m = 0;
        for (float x : a) m = Math.max(m, Math.abs(x));
        return m;
    }

    /** max_i |a_i - b_i|, in double. */
    public static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) throw new IllegalArgumentException(a.length + " vs " + b.length);
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }
}
