package dev.sculpt.ops;

/** Element type of a {@link Tensor}. Only float32 exists today; the enum keeps the type explicit in errors and shapes. */
public enum DType {
    FLOAT32(4);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }
}
