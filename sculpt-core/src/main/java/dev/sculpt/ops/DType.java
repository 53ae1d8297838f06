package dev.sculpt.ops;

import java.util.Locale;

/**
 * Element type of a {@link Tensor}. Every op computes on {@link #FLOAT32}; {@link #BF16} (bfloat16: 1 sign, 8 exponent
 * and 7 stored significand bits, so unit roundoff 2^-8) exists for compute copies of weights and for the A and B operands
 * of {@link Ops#gemm}, which widens them exactly and accumulates in float32. {@link Ops#convert} moves between the two.
 */
public enum DType {
    FLOAT32(4), BF16(2);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /** "float32" or "bf16", for messages. */
    @Override
    public String toString() { return this == FLOAT32 ? "float32" : name().toLowerCase(Locale.ROOT); }
}
