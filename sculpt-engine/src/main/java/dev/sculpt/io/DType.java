package dev.sculpt.io;

import dev.sculpt.SculptException;

/**
 * The element types of the safetensors format. Only {@link #F32}, {@link #F16} and {@link #BF16} can be read
 * as float32 (see {@link #readableAsFloat()}); the others are listed so that callers can recognise and skip
 * them with a note instead of failing on an unknown name.
 */
public enum DType {
    F64(8), F32(4), F16(2), BF16(2),
    F8_E4M3(1), F8_E5M2(1),
    I64(8), I32(4), I16(2), I8(1),
    U64(8), U32(4), U16(2), U8(1),
    BOOL(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int byteSize() {
        return bytes;
    }

    /** Whether {@link SafeTensors} converts this type to float32 on reading and can write it. */
    public boolean readableAsFloat() {
        return this == F32 || this == F16 || this == BF16;
    }

    /** The dtype named {@code s} exactly as safetensors spells it (e.g. "BF16"), or null when unknown. */
    public static DType byName(String s) {
        for (DType d : values()) {
            if (d.name().equals(s)) return d;
        }
        return null;
    }

    /** Parses a user-supplied name such as "bf16" for writing; only float32-convertible types are accepted. */
    public static DType parseWritable(String s) {
        DType d = s == null ? null : byName(s.toUpperCase());
        if (d == null || !d.readableAsFloat()) {
            throw new SculptException("unsupported dtype '" + s + "' (expected F32, F16 or BF16)");
        }
        return d;
    }
}
