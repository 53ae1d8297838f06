package dev.sculpt.backend.cpu;

import dev.sculpt.linalg.PhiloxBulk;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;

/** Writes the Philox Gaussian stream of one matrix into a direct buffer, serially or across cores. */
final class GaussianFill {
    private static final int CHUNK = 16_384;

    private GaussianFill() {}

    /**
     * {@code dst[off + e] = Philox.gaussian(seed, b, e)} for e in [0, count).
     *
     * @param parallel split the work over the common fork-join pool (use when no other worker runs)
     */
    static void fill(FloatBuffer dst, long off, long count, long seed, long b, boolean parallel) {
        int chunks = Math.toIntExact((count + CHUNK - 1) / CHUNK);
        IntStream range = IntStream.range(0, chunks);
        if (parallel && chunks > 1) range = range.parallel();
        range.forEach(ch -> {
            long e0 = (long) ch * CHUNK;
            int len = (int) Math.min(CHUNK, count - e0);
            float[] tmp = new float[len];
            PhiloxBulk.fill(seed, b, e0, tmp, 0, len);
            dst.put(Math.toIntExact(off + e0), tmp, 0, len);
        });
    }
}
