package dev.sculpt.ops;

/**
 * bfloat16 bit patterns and float32, the reference the conversion kernels (native/cuda/engine_convert.cu) and the
 * cpu provider follow bit for bit. bf16 keeps float32's 8 exponent bits and the top 7 of its 23 stored significand
 * bits: its unit roundoff is {@code u = 2^-8} ({@link #UNIT_ROUNDOFF}), so rounding a float32 x gives
 * {@code x (1 + d)} with {@code |d| <= 2^-8} for every x in bf16's normal range (|x| >= 2^-126); widening is exact.
 */
public final class Bf16 {
    /** Unit roundoff of bf16, 2^-8 (round to nearest). */
    public static final double UNIT_ROUNDOFF = 0x1p-8;

    private Bf16() {}

    /** bf16 bits -> float32 (exact). */
    public static float toFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /**
     * float32 -> bf16 bits, round to nearest, ties to even; Inf stays Inf, values past the largest bf16 round to Inf,
     * a NaN stays a NaN (its top 7 mantissa bits kept, the quiet bit set where they are all zero).
     */
    public static short fromFloat(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7f800000) == 0x7f800000 && (x & 0x7fffff) != 0) {  // NaN: truncate, stay a NaN
            int t = x >>> 16;
            return (short) ((t & 0x7f) != 0 ? t : (t | 0x40));
        }
        int rounded = x + 0x7fff + ((x >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    /** {@code toFloat(fromFloat(f))}: f rounded to the nearest bf16 value, as float32. */
    public static float round(float f) {
        return toFloat(fromFloat(f));
    }
}
