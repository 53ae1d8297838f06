package dev.sculpt.ops;

/**
 * The block a device provider's caching arena hands out for a request of {@code bytes}, and so what a memory plan
 * must count for it. Two regimes:
 * <ul>
 *   <li>up to {@link #LARGE} (8 MiB): size classes, four per power of two from {@link #MIN_BLOCK} up: a request in
 *       (2^k, 2^(k+1)] is rounded up to a multiple of 2^(k-2). A block wastes less than a quarter of its request
 *       and, since 2^(k-2) &lt;= 1 MiB for 2^(k+1) &lt;= 8 MiB, less than 1 MiB;</li>
 *   <li>above 8 MiB: a multiple of {@link #LARGE_ROUNDING} (2 MiB), so a block wastes less than 2 MiB however large
 *       it is (quarter classes would waste up to a quarter: 16 MiB of a 65 MiB request). This is what PyTorch's
 *       CUDACachingAllocator does with large requests (c10/cuda/CUDACachingAllocator.cpp: requests of at least
 *       kMinLargeAlloc = 10 MiB get segments rounded up to kRoundLarge = 2 MiB); here the threshold is 8 MiB, where
 *       the quarter classes' step reaches 2 MiB, so that block sizes grow with the request.</li>
 * </ul>
 * Every block is a multiple of 512 bytes.
 */
public final class DeviceBlocks {
    /** The smallest block. */
    public static final long MIN_BLOCK = 512;
    /** Requests above this are rounded to {@link #LARGE_ROUNDING} multiples. */
    public static final long LARGE = 8L << 20;
    /** The rounding of requests above {@link #LARGE}. */
    public static final long LARGE_ROUNDING = 2L << 20;

    private DeviceBlocks() {}

    /** The bytes of the block a request of {@code bytes} takes. */
    public static long size(long bytes) {
        if (bytes <= MIN_BLOCK) return MIN_BLOCK;
        long step;
        if (bytes > LARGE) {
            step = LARGE_ROUNDING;
        } else {
            int k = 63 - Long.numberOfLeadingZeros(bytes - 1);   // 2^k < bytes <= 2^(k+1)
            step = 1L << (k - 2);                                 // classes 1.25, 1.5, 1.75 and 2 times 2^k
        }
        return Math.multiplyExact((bytes + step - 1) / step, step);
    }

    /** What the block of a request of {@code bytes} holds beyond it: {@code size(bytes) - bytes}. */
    public static long waste(long bytes) {
        return size(bytes) - bytes;
    }
}
