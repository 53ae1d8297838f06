package dev.sculpt.plan;

import dev.sculpt.SculptException;
import java.util.Locale;

/** Storage precision of weights, activations or protected bases. */
public enum Precision {
    FP32(4), BF16(2);

    private final int bytes;

    Precision(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** "fp32" or "bf16" (case-insensitive); anything else is refused, naming the option. */
    public static Precision parse(String option, String value) {
        return switch (value == null ? "" : value.toLowerCase(Locale.ROOT)) {
            case "fp32" -> FP32;
            case "bf16" -> BF16;
            default -> throw new SculptException(option + " must be fp32 or bf16, got '" + value + "'");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
