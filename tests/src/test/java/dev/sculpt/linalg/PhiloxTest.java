package dev.sculpt.linalg;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PhiloxTest {
    /** Known-answer vectors of Random123 (kat_vectors): counter[4], key[2] -> output[4]. */
    @Test
    void matchesRandom123KnownAnswers() {
        int[] out = new int[4];
        Philox.block(0, 0, 0, 0, 0, 0, out);
        assertArrayEquals(new int[] {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}, out);
        Philox.block(-1, -1, -1, -1, -1, -1, out);
        assertArrayEquals(new int[] {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}, out);
        Philox.block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, out);
    }

    @Test
    void logSinCosAgreeWithTheLibraryFarBelowFloatRounding() {
        // the polynomials are truncated where the float samples stop seeing them (below 1e-9)
        SplittableRandom r = new SplittableRandom();
        for (int i = 0; i < 100_000; i++) {
            double x = r.nextDouble() + 1e-300;
            assertEquals(Math.log(x), Philox.log(x), 1e-10 * Math.max(1, Math.abs(Math.log(x))), "log " + x);
            double a = r.nextDouble() * Math.PI / 2;
            assertEquals(Math.sin(a), Philox.sinPoly(a), 1e-9, "sin " + a);
            assertEquals(Math.cos(a), Philox.cosPoly(a), 1e-10, "cos " + a);
        }
    }

    @Test
    void fillEqualsElementwiseFromAnyOffset() {
        long seed = new SplittableRandom().nextLong();
        float[] a = new float[101];
        Philox.fill(seed, 3, 7, a, 0, a.length);
        for (int i = 0; i < a.length; i++) {
            assertEquals(Float.floatToRawIntBits(Philox.gaussian(seed, 3, 7 + i)), Float.floatToRawIntBits(a[i]), "element " + i);
        }
    }

    @Test
    void momentsAreStandardNormal() {
        long seed = new SplittableRandom().nextLong();
        int n = 400_000;
        float[] g = new float[n];
        Philox.fill(seed, 0, 0, g, 0, n);
        double m1 = 0, m2 = 0, m4 = 0;
        int within1 = 0;
        for (float x : g) {
            m1 += x;
            m2 += x * x;
            m4 += (double) x * x * x * x;
            if (Math.abs(x) < 1) within1++;
        }
        m1 /= n; m2 /= n; m4 /= n;
        double se = 1 / Math.sqrt(n);
        assertEquals(0, m1, 5 * se, "mean");
        assertEquals(1, m2, 5 * Math.sqrt(2) * se, "variance");
        assertEquals(3, m4, 5 * Math.sqrt(96) * se, "fourth moment");
        assertEquals(0.682689492, within1 / (double) n, 5 * 0.47 * se, "P(|x|<1)");
        assertTrue(Float.isFinite(g[0]));
    }
}
