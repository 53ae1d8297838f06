package dev.sculpt.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PhiloxBulkTest {
    @Test
    void bulkFillIsBitIdenticalToElementwiseFromEveryOffsetAndLength() {
        SplittableRandom rnd = new SplittableRandom();
        for (int trial = 0; trial < 200; trial++) {
            long seed = rnd.nextLong();
            long b = rnd.nextInt(1000);
            long e0 = trial < 100 ? rnd.nextInt(50) : rnd.nextLong() >>> 2;   // small and huge counters, odd and even
            int len = rnd.nextInt(40);
            float[] out = new float[len + 3];
            PhiloxBulk.fill(seed, b, e0, out, 3, len);
            for (int i = 0; i < len; i++) {
                assertEquals(Float.floatToRawIntBits(Philox.gaussian(seed, b, e0 + i)), Float.floatToRawIntBits(out[3 + i]),
                        "seed " + seed + " matrix " + b + " element " + (e0 + i));
            }
        }
    }
}
