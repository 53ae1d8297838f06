package dev.sculpt.linalg;

/**
 * Bulk generation of the {@link Philox} Gaussian stream, bit-identical to {@link Philox#gaussian} element by
 * element but about twice as fast: one Philox block gives the pair (2j, 2j+1) and both share the radius and
 * the angle of one Box-Muller transform, so the logarithm, sine and cosine are evaluated once per pair
 * instead of once per element. The arithmetic is the same expression for expression as {@link Philox},
 * so every result rounds identically.
 */
public final class PhiloxBulk {
    private static final double HALF_PI = 1.5707963267948966;

    private PhiloxBulk() {}

    /** Fills {@code out[off .. off+len)} with elements {@code e0 .. e0+len)} of matrix {@code b} under {@code seed}. */
    public static void fill(long seed, long b, long e0, float[] out, int off, int len) {
        if (len <= 0) return;
        int[] w = new int[4];
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        int c2 = (int) b;
        long e = e0;
        int i = off;
        int end = off + len;
        if ((e & 1) == 1) {                      // odd start: the second half of a pair
            out[i++] = Philox.gaussian(seed, b, e);
            e++;
        }
        while (i + 1 < end) {
            long pair = e >>> 1;
            Philox.block((int) pair, (int) (pair >>> 32), c2, 0, k0, k1, w);
            double u1 = Philox.uniform53(w[0], w[1]);
            double u2 = Philox.uniform53(w[2], w[3]);
            double r = Math.sqrt(-2.0 * Philox.log(u1));
            double x = u2 * 4.0;
            int q = (int) x;
            double phi = (x - q) * HALF_PI;
            double s = Philox.sinPoly(phi);
            double c = Philox.cosPoly(phi);
            double cosT;
            double sinT;
            switch (q) {
                case 0: cosT = c; sinT = s; break;
                case 1: cosT = -s; sinT = c; break;
                case 2: cosT = -c; sinT = -s; break;
                default: cosT = s; sinT = -c; break;
            }
            out[i] = (float) (r * cosT);
            out[i + 1] = (float) (r * sinT);
            i += 2;
            e += 2;
        }
        if (i < end) out[i] = Philox.gaussian(seed, b, e);
    }
}
