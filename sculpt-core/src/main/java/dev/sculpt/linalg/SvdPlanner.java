package dev.sculpt.linalg;

/**
 * Chooses exact or randomized SVD by estimated time: each method's flop count ({@link SvdFlops}) divided by
 * the share of the machine's sgemm rate that the method sustains.
 *
 * <p>Calibration (CPU backend, OpenBLAS 0.3.31, the project's 2-core Cooper Lake machine, November 2026):
 * sgesdd of 2048 x 2048 took 1.8-2.0 s against 175 GFLOP/s sgemm, i.e. {@link #EXACT_EFFICIENCY} = 0.67
 * of the sgemm rate on {@link SvdFlops#exact}'s count. Over shapes 128..1024 square and 256 x 1024 both
 * ways, k = n/8 .. 0.95 n, the measured time ratio exact / randomized tracked the flop ratio, with the
 * break-even at a flop ratio of about 1.1, hence {@link #RANDOMIZED_EFFICIENCY} = 0.67 / 1.1 = 0.61
 * (the randomized method spends a larger share of its time in the l-wide QR and LAPACK steps).
 * With the defaults (p = 10, q = 2) exact takes over from k = 679 on 1024 x 1024, k = 1367 on 2048 x 2048
 * and k = 1017 on 2048 x 5504 (about 2/3 of min(m, n) for square matrices, less for elongated ones), and
 * whenever the sketch would cover the whole matrix (k + p >= min(m, n)).
 *
 * <p>Small matrices always go exact ({@link #SMALL_EXACT_FLOPS}): there the flop model misleads (measured on the
 * same machine, single thread: 32x32 k=8 exact 0.13 ms vs randomized 0.13 ms, 96x96 k=48 1.0 vs 1.2 ms, 128x128
 * k=32 1.5 vs 0.8 ms), the absolute cost is a millisecond or two, and exact gives the true top-k subspace even
 * for the flat spectra of freshly initialised weights, where the randomized range finder's subspace can be off
 * by a few degrees: what OSFT protects should be exactly the top directions.
 */
public final class SvdPlanner {
    /** Share of the sgemm rate that LAPACK sgesdd sustains, on {@link SvdFlops#exact}. */
    public static final double EXACT_EFFICIENCY = 0.67;
    /** Share of the sgemm rate that the randomized method sustains, on {@link SvdFlops#randomized}. */
    public static final double RANDOMIZED_EFFICIENCY = 0.61;
    /** At or below this many exact-SVD flops ({@link SvdFlops#exact}; 128 x 128 is 5.5e7) auto picks exact. */
    public static final double SMALL_EXACT_FLOPS = 6.0e7;

    private SvdPlanner() {}

    public static SvdMethod choose(int m, int n, int k, SvdOptions options) {
        if (k + options.oversample() >= Math.min(m, n)) return SvdMethod.EXACT;
        if (SvdFlops.exact(m, n) <= SMALL_EXACT_FLOPS) return SvdMethod.EXACT;
        return randomizedCost(m, n, k, options) <= exactCost(m, n) ? SvdMethod.RANDOMIZED : SvdMethod.EXACT;
    }

    /** Estimated time of the randomized method in sgemm-flop units (divide by a sgemm rate for seconds). */
    public static double randomizedCost(int m, int n, int k, SvdOptions options) {
        return SvdFlops.randomized(m, n, k, options.oversample(), options.powerIters()) / RANDOMIZED_EFFICIENCY;
    }

    /** Estimated time of the exact method in sgemm-flop units. */
    public static double exactCost(int m, int n) {
        return SvdFlops.exact(m, n) / EXACT_EFFICIENCY;
    }
}
