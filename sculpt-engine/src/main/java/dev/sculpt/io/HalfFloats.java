package dev.sculpt.io;

/**
 * Exact conversions between float32 and the two 16-bit float formats of checkpoints: IEEE 754 binary16 (F16)
 * and bfloat16 (BF16). Widening is exact (every 16-bit value is a float32 value, subnormals included);
 * narrowing rounds to nearest, ties to even, overflows to infinity, and keeps NaN a NaN with the top payload
 * bits, so that F16/BF16 -> float32 -> F16/BF16 is the identity on bit patterns.
 */
public final class HalfFloats {
    private HalfFloats() {}

    /** binary16 bits -> float32 (exact). */
    public static float f16ToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {                       // infinity or NaN: payload moves to the top mantissa bits
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {                          // zero or subnormal: mant * 2^-24, exact in float32
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** float32 -> binary16 bits, round to nearest even. */
    public static short floatToF16(float f) {
        int x = Float.floatToRawIntBits(f);
        int sign = (x >>> 16) & 0x8000;
        int exp = (x >>> 23) & 0xff;
        int mant = x & 0x7fffff;
        if (exp == 0xff) {
            if (mant == 0) return (short) (sign | 0x7c00);
            int m = mant >>> 13;
            return (short) (sign | 0x7c00 | (m != 0 ? m : 0x200));   // keep it a NaN
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00);               // >= 2^16: infinity
        if (e >= 1) {                                                 // normal range; a carry may reach infinity
            int base = (e << 10) | (mant >>> 13);
            int rest = mant & 0x1fff;
            if (rest > 0x1000 || (rest == 0x1000 && (base & 1) != 0)) base++;
            return (short) (sign | base);
        }
        // subnormal or zero: value in units of 2^-24 is sig * 2^(exp - 126)
        int shift = 126 - exp;
        if (shift > 24) return (short) sign;                          // below half of the smallest subnormal
        int sig = mant | 0x800000;
        int m = sig >>> shift;
        int rest = sig & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rest > halfway || (rest == halfway && (m & 1) != 0)) m++;
        return (short) (sign | m);
    }

    /** bfloat16 bits -> float32 (exact); {@link dev.sculpt.ops.Bf16#toFloat}. */
    public static float bf16ToFloat(short b) {
        return dev.sculpt.ops.Bf16.toFloat(b);
    }

    /** float32 -> bfloat16 bits, round to nearest even; {@link dev.sculpt.ops.Bf16#fromFloat}. */
    public static short floatToBf16(float f) {
        return dev.sculpt.ops.Bf16.fromFloat(f);
    }
}
