package dev.sculpt.ops;

/**
 * A few double accumulators (slots) that live where an {@link Ops} provider computes, so that a training step can
 * add up its loss and squared gradient norm without a device-to-host copy per tensor, and read all slots back at
 * once ({@link #read()}: one copy of {@code 8 * slots()} bytes on a device provider). Adding a tensor's sum or sum of
 * squares gives the same double as {@code slot += ops.sum(x)} (resp. {@link Ops#sumOfSquares}) on the host: the
 * provider's partial results are added in the same order. Every slot starts at 0. Not thread-safe; close it
 * before its provider.
 */
public interface ScalarSums extends AutoCloseable {
    /** The number of slots. */
    int slots();

    /** {@code slot += sum_i x_i} (as {@link Ops#sum}), without reading anything back. */
    void addSum(int slot, Tensor x);

    /** {@code slot += sum_i x_i^2} (as {@link Ops#sumOfSquares}), without reading anything back. */
    void addSumOfSquares(int slot, Tensor x);

    /** {@code slot += value}, a host value (a host-to-device copy on a device provider). */
    void add(int slot, double value);

    /** Every slot = 0. */
    void reset();

    /** {@code slot} = 0 (the others keep their values; no copy between host and device). */
    void reset(int slot);

    /** All slots, in one device-to-host copy on a device provider (after all work queued before). */
    double[] read();

    @Override
    void close();
}
