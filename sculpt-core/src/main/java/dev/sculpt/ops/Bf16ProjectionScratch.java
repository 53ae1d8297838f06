package dev.sculpt.ops;

/**
 * The layout of a device provider's scratch for {@link Ops#project} with bf16 bases, shared by the provider that
 * carves it and the memory planner that counts it: the [rows, cols] update in bf16, then {@code u^T d} [k, cols],
 * {@code d v} [rows, k] and {@code u^T d v} [k, k], each in float32 and in bf16, every region starting on a 256-byte
 * boundary.
 */
public final class Bf16ProjectionScratch {
    private Bf16ProjectionScratch() {}

    /** Byte offsets of the regions (dq, ud, udq, dv, dvq, udv, udvq), then the end (the scratch's size). */
    public static long[] regions(long rows, long cols, long k) {
        long[] bytes = {2 * rows * cols, 4 * k * cols, 2 * k * cols, 4 * rows * k, 2 * rows * k, 4 * k * k, 2 * k * k};
        long[] at = new long[bytes.length + 1];
        for (int i = 0; i < bytes.length; i++) at[i + 1] = at[i] + (bytes[i] + 255) / 256 * 256;
        return at;
    }

    /** The scratch's size in bytes. */
    public static long bytes(long rows, long cols, long k) {
        long[] at = regions(rows, cols, k);
        return at[at.length - 1];
    }
}
