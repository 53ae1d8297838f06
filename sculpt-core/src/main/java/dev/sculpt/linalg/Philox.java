package dev.sculpt.linalg;

/**
 * Counter-based Gaussian numbers for the randomized-SVD sketch, bit-identical on every backend.
 *
 * <p>Philox4x32-10 (Salmon et al., SC'11) maps (counter, key) to four 32-bit words. Element {@code e} of
 * matrix {@code b} under {@code seed} uses counter {@code {lo(e/2), hi(e/2), b, 0}} and key
 * {@code {lo(seed), hi(seed)}}; the four words give two 53-bit uniforms u1 = ((w0 << 21) ^ (w1 >>> 11) + 0.5) 2^-53
 * and u2 likewise from (w2, w3), and Box-Muller turns them into two Gaussians, of which element e takes
 * number {@code e & 1}, rounded to float.
 *
 * <p>To be reproducible bit for bit on the GPU, the logarithm, sine and cosine below use only IEEE
 * operations that are correctly rounded everywhere (+, -, *, /, sqrt, no fused multiply-add): the CUDA
 * kernel (native/cuda/philox.cuh) mirrors this file line for line and is compiled without FMA contraction.
 * The polynomials stop at about 1e-9 (sine) and 1e-10 (cosine, logarithm), below float rounding: a sample
 * differs from the exactly transformed one by at most one float ulp, and shorter polynomials made the sketch
 * 1.6x faster.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;
    private static final int W1 = 0xBB67AE85;

    private static final double TWO_POW_M53 = 1.1102230246251565e-16; // 2^-53
    private static final double LN2 = 0.6931471805599453;
    private static final double HALF_PI = 1.5707963267948966;

    private Philox() {}

    /** Philox4x32-10 of {@code counter} under {@code key}, written into {@code out} (4 words). */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int round = 0; round < 10; round++) {
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int hi0 = (int) (p0 >>> 32), lo0 = (int) p0;
            int hi1 = (int) (p1 >>> 32), lo1 = (int) p1;
            int n0 = hi1 ^ c1 ^ k0;
            int n2 = hi0 ^ c3 ^ k1;
            c0 = n0;
            c1 = lo1;
            c2 = n2;
            c3 = lo0;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** The Gaussian of element {@code e} of matrix {@code b} under {@code seed}. */
    public static float gaussian(long seed, long b, long e) {
        int[] w = new int[4];
        long pair = e >>> 1;
        block((int) pair, (int) (pair >>> 32), (int) b, 0, (int) seed, (int) (seed >>> 32), w);
        return boxMuller(w, (int) (e & 1));
    }

    /** Fills {@code out[off .. off+len)} with elements {@code e0 .. e0+len) of matrix b; two per Philox block. */
    public static void fill(long seed, long b, long e0, float[] out, int off, int len) {
        int[] w = new int[4];
        long e = e0;
        int i = 0;
        while (i < len) {
            long pair = e >>> 1;
            block((int) pair, (int) (pair >>> 32), (int) b, 0, (int) seed, (int) (seed >>> 32), w);
            out[off + i] = boxMuller(w, (int) (e & 1));
            i++;
            e++;
            if (i < len && (e & 1) == 1) {
                out[off + i] = boxMuller(w, 1);
                i++;
                e++;
            }
        }
    }

    static float boxMuller(int[] w, int which) {
        double u1 = uniform53(w[0], w[1]);
        double u2 = uniform53(w[2], w[3]);
        double r = Math.sqrt(-2.0 * log(u1));
        // theta = 2 pi u2 = (q + f) * pi/2 with quadrant q and fraction f in [0, 1)
        double x = u2 * 4.0;
        int q = (int) x;
        double phi = (x - q) * HALF_PI;
        double s = sinPoly(phi);
        double c = cosPoly(phi);
        double cosT, sinT;
        switch (q) {
            case 0: cosT = c; sinT = s; break;
            case 1: cosT = -s; sinT = c; break;
            case 2: cosT = -c; sinT = -s; break;
            default: cosT = s; sinT = -c; break;
        }
        return (float) (which == 0 ? r * cosT : r * sinT);
    }

    static double uniform53(int hi, int lo) {
        long a = ((hi & 0xFFFFFFFFL) << 21) ^ ((lo & 0xFFFFFFFFL) >>> 11);
        return (a + 0.5) * TWO_POW_M53;
    }

    /** Natural log for x in (0, 1]: x = m 2^k with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)). */
    static double log(double x) {
        long bits = Double.doubleToRawLongBits(x);
        int k = (int) ((bits >>> 52) & 0x7FF) - 1023;
        double m = Double.longBitsToDouble((bits & 0x000FFFFFFFFFFFFFL) | 0x3FF0000000000000L);
        if (m > 1.4142135623730951) {
            m = m * 0.5;
            k = k + 1;
        }
        double s = (m - 1.0) / (m + 1.0);
        double s2 = s * s;
        // atanh(s)/s = sum s^(2i) / (2i+1), |s| <= 0.1716, s^2 <= 0.0295: the terms to s^10 leave < 5e-11
        // (relative), far below float rounding of the samples; more terms cost time and gain nothing
        double p = 1.0 / 11.0;
        p = p * s2 + 1.0 / 9.0;
        p = p * s2 + 1.0 / 7.0;
        p = p * s2 + 1.0 / 5.0;
        p = p * s2 + 1.0 / 3.0;
        p = p * s2 + 1.0;
        return k * LN2 + 2.0 * s * p;
    }

    /** sin x for x in [0, pi/2), Taylor to x^13 (truncation below 7e-10). */
    static double sinPoly(double x) {
        double x2 = x * x;
        double p = 1.0 / 6227020800.0;                      // 1/13!
        p = p * x2 - 1.0 / 39916800.0;                      // -1/11!
        p = p * x2 + 1.0 / 362880.0;                        // 1/9!
        p = p * x2 - 1.0 / 5040.0;                          // -1/7!
        p = p * x2 + 1.0 / 120.0;                           // 1/5!
        p = p * x2 - 1.0 / 6.0;                             // -1/3!
        p = p * x2 + 1.0;
        return x * p;
    }

    /** cos x for x in [0, pi/2), Taylor to x^14 (truncation below 7e-11). */
    static double cosPoly(double x) {
        double x2 = x * x;
        double p = -1.0 / 87178291200.0;                    // -1/14!
        p = p * x2 + 1.0 / 479001600.0;                     // 1/12!
        p = p * x2 - 1.0 / 3628800.0;                       // -1/10!
        p = p * x2 + 1.0 / 40320.0;                         // 1/8!
        p = p * x2 - 1.0 / 720.0;                           // -1/6!
        p = p * x2 + 1.0 / 24.0;                            // 1/4!
        p = p * x2 - 0.5;
        p = p * x2 + 1.0;
        return p;
    }
}
