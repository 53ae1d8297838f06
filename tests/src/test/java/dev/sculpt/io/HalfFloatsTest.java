package dev.sculpt.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** F16/BF16 conversions against hand-computed bit patterns and an independent float64 formula. */
class HalfFloatsTest {

    private static void f16(int bits, float value) {
        assertEquals(Float.floatToRawIntBits(value), Float.floatToRawIntBits(HalfFloats.f16ToFloat((short) bits)),
                () -> "f16 0x" + Integer.toHexString(bits) + " -> float");
    }

    private static void toF16(float value, int bits) {
        assertEquals(bits, HalfFloats.floatToF16(value) & 0xffff, () -> "float " + value + " -> f16");
    }

    @Test
    void f16HandComputedPatterns() {
        f16(0x3C00, 1.0f);
        f16(0xC000, -2.0f);
        f16(0x7BFF, 65504.0f);                 // largest finite
        f16(0x0400, 0x1p-14f);                 // smallest normal
        f16(0x0001, 0x1p-24f);                 // smallest subnormal
        f16(0x03FF, 1023 * 0x1p-24f);          // largest subnormal
        f16(0x8001, -0x1p-24f);
        f16(0x0000, 0.0f);
        f16(0x8000, -0.0f);
        f16(0x7C00, Float.POSITIVE_INFINITY);
        f16(0xFC00, Float.NEGATIVE_INFINITY);
        f16(0x3555, 0.333251953125f);          // 1/3 rounded: 1.0101010101b * 2^-2
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(HalfFloats.f16ToFloat((short) 0x7C01)));
    }

    @Test
    void floatToF16RoundsToNearestEven() {
        toF16(1.0f / 3.0f, 0x3555);
        toF16(65504.0f, 0x7BFF);
        toF16(65519.996f, 0x7BFF);             // just below the midpoint to 65536
        toF16(65520.0f, 0x7C00);               // midpoint, ties to even: infinity
        toF16(1e6f, 0x7C00);
        toF16(-1e6f, 0xFC00);
        toF16(1.0f + 0x1p-11f, 0x3C00);        // tie between 0x3C00 and 0x3C01 -> even
        toF16(1.0f + 3 * 0x1p-11f, 0x3C02);    // tie between 0x3C01 and 0x3C02 -> even
        toF16(1.0f + 0x1p-11f + 0x1p-20f, 0x3C01);
        toF16(0x1p-25f, 0x0000);               // half the smallest subnormal: tie -> 0
        toF16(Math.nextUp(0x1p-25f), 0x0001);
        toF16(1.5f * 0x1p-24f, 0x0002);        // tie between 1 and 2 units -> 2
        toF16(2.5f * 0x1p-24f, 0x0002);        // tie between 2 and 3 units -> 2
        toF16(1023.5f * 0x1p-24f, 0x0400);     // rounds up into the smallest normal
        toF16(Float.MIN_VALUE, 0x0000);        // float subnormal
        toF16(-Float.MIN_VALUE, 0x8000);
        toF16(-0.0f, 0x8000);
        toF16(Float.POSITIVE_INFINITY, 0x7C00);
        int nan = HalfFloats.floatToF16(Float.intBitsToFloat(0x7F800001)) & 0xffff;
        assertTrue((nan & 0x7C00) == 0x7C00 && (nan & 0x3FF) != 0, "NaN stays NaN");
    }

    @Test
    void f16AllPatternsMatchFormulaAndRoundTrip() {
        for (int h = 0; h < 65536; h++) {
            float f = HalfFloats.f16ToFloat((short) h);
            int e = (h >>> 10) & 0x1f;
            int m = h & 0x3ff;
            double sign = (h & 0x8000) != 0 ? -1 : 1;
            if (e == 0x1f) {
                assertTrue(m == 0 ? Float.isInfinite(f) : Float.isNaN(f));
            } else {
                double ref = e == 0 ? sign * m * Math.pow(2, -24) : sign * (1 + m / 1024.0) * Math.pow(2, e - 15);
                assertEquals(ref, (double) f, 0.0, "f16 " + Integer.toHexString(h));
                if (ref == 0) assertEquals(sign < 0, Float.floatToRawIntBits(f) < 0);
            }
            assertEquals(h, HalfFloats.floatToF16(f) & 0xffff, "round trip of f16 " + Integer.toHexString(h));
        }
    }

    @Test
    void floatToF16IsNearestOnRandomFloats() {
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            float x = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(x) || Math.abs(x) > 65504f) continue;
            int h = HalfFloats.floatToF16(x) & 0xffff;
            double err = Math.abs((double) x - HalfFloats.f16ToFloat((short) h));
            for (int d : new int[] {-1, 1}) {
                int nb = (h & 0x7fff) + d;
                if (nb < 0 || nb > 0x7BFF) continue;
                double other = Math.abs((double) x - HalfFloats.f16ToFloat((short) ((h & 0x8000) | nb)));
                assertTrue(err < other || (err == other && (h & 1) == 0),
                        () -> "float " + x + " -> 0x" + Integer.toHexString(h) + " is not the nearest even half");
            }
        }
    }

    @Test
    void bf16HandComputedPatterns() {
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3F80));
        assertEquals(-2.0f, HalfFloats.bf16ToFloat((short) 0xC000));
        assertEquals(0x1p-133f, HalfFloats.bf16ToFloat((short) 0x0001));   // smallest subnormal
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.bf16ToFloat((short) 0x7F80));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.bf16ToFloat((short) 0xFF80));
        assertTrue(Float.isNaN(HalfFloats.bf16ToFloat((short) 0x7FC0)));
        assertEquals(0x3F80, HalfFloats.floatToBf16(1.0f) & 0xffff);
        assertEquals(0x3F80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808000)) & 0xffff);  // tie, even stays
        assertEquals(0x3F82, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F818000)) & 0xffff);  // tie, odd rounds up
        assertEquals(0x3F81, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F808001)) & 0xffff);
        assertEquals(0x3F80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3F807FFF)) & 0xffff);
        assertEquals(0x7F80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff);   // rounds to infinity
        assertEquals(0x0001, HalfFloats.floatToBf16(0x1p-133f) & 0xffff);
        assertEquals(0x0000, HalfFloats.floatToBf16(0x1p-134f) & 0xffff);         // tie -> even 0
        assertEquals(0x8000, HalfFloats.floatToBf16(-0.0f) & 0xffff);
        assertEquals(0x7FC0, HalfFloats.floatToBf16(Float.intBitsToFloat(0x7F800001)) & 0xffff); // NaN kept NaN
        assertEquals(0x7FC0, HalfFloats.floatToBf16(Float.NaN) & 0xffff);
    }

    @Test
    void bf16AllPatternsRoundTrip() {
        for (int b = 0; b < 65536; b++) {
            float f = HalfFloats.bf16ToFloat((short) b);
            assertEquals(b << 16, Float.floatToRawIntBits(f));
            assertEquals(b, HalfFloats.floatToBf16(f) & 0xffff, "round trip of bf16 " + Integer.toHexString(b));
        }
    }
}
