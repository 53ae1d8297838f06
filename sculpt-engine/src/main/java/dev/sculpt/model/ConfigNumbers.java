package dev.sculpt.model;

import com.fasterxml.jackson.databind.node.DecimalNode;
import dev.sculpt.SculptException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Floating-point config.json values written as the shortest decimal that reads back as the same number, as
 * Python's {@code repr} (and so transformers' {@code save_pretrained}) writes them: a float32 epsilon of 1e-6 is
 * written {@code 0.000001}, not the {@code 9.999999974752427E-7} of its widening to double. Java 17's
 * {@code Float.toString} / {@code Double.toString} are not always shortest (fixed only in Java 19), so the digits
 * are searched here. Whole numbers keep one decimal ({@code 10000.0}) so that Python reads them as floats.
 */
public final class ConfigNumbers {
    private ConfigNumbers() {}

    /** A float32 value (its shortest float decimal). */
    public static DecimalNode ofFloat(float v) {
        return DecimalNode.valueOf(styled(shortest(v, 9, s -> Float.parseFloat(s) == v)));
    }

    /** A double value (its shortest double decimal). */
    public static DecimalNode ofDouble(double v) {
        return DecimalNode.valueOf(styled(shortest(v, 17, s -> Double.parseDouble(s) == v)));
    }

    private interface ReadsBack { boolean test(String decimal); }

    /**
     * The decimal with the fewest significant digits (up to {@code maxDigits}, enough for any value of the type)
     * that reads back as {@code v}: for each digit count, the nearest decimal and its two neighbours (the nearest is
     * not always inside the rounding interval next to a power of two).
     */
    private static BigDecimal shortest(double v, int maxDigits, ReadsBack readsBack) {
        if (!Double.isFinite(v)) throw new SculptException("config value " + v + " is not a finite number (JSON cannot hold it)");
        if (v == 0) return BigDecimal.ZERO;
        BigDecimal exact = new BigDecimal(v);
        for (int p = 1; p <= maxDigits; p++) {
            BigDecimal nearest = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
            BigDecimal ulp = nearest.ulp();
            for (BigDecimal c : new BigDecimal[] {nearest, nearest.subtract(ulp), nearest.add(ulp)}) {
                if (readsBack.test(c.toString())) return c.stripTrailingZeros();
            }
        }
        throw new IllegalStateException("no decimal of " + maxDigits + " digits reads back as " + v); // cannot happen
    }

    /** One decimal on whole numbers below 1e16 (printed plain, e.g. 10000.0); others as they are. */
    private static BigDecimal styled(BigDecimal d) {
        if (d.scale() <= 0 && d.precision() - d.scale() <= 16) return d.setScale(1);
        return d;
    }
}
