package dev.sculpt.ops;

/**
 * One block of device memory in use, as {@link DeviceMemory#allocationsAtPeak()} lists it.
 *
 * @param what       what it was allocated for: a tensor's description ("tensor 'name' [shape]") or op scratch
 * @param tensor     the tensor's name; null for op scratch
 * @param requested  bytes asked for
 * @param block      bytes of the block that serves it ({@link DeviceBlocks#size} of {@code requested})
 */
public record Allocation(String what, String tensor, long requested, long block) {}
