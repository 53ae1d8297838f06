package dev.sculpt.ops;

import java.util.List;

/**
 * The memory of a device provider's device, and a cap on how much of it the provider takes. Host providers have none
 * ({@link Ops#memory()} is empty): their tensors live in the host's memory, which no plan sizes.
 */
public interface DeviceMemory {
    /** Bytes of the device's memory: what a run's memory plan is held against when the user states no size. */
    long totalBytes();

    /** Bytes free on the device now (what other processes and this one hold excluded). */
    long freeBytes();

    /** Where {@link #totalBytes()} comes from, for messages: "cudaMemGetInfo of device 0", ... */
    String source();

    /**
     * Caps the bytes the provider takes from the device for its tensors and op scratch at {@code limit.bytes()}
     * (counting memory it keeps cached for reuse); an allocation beyond the cap, like one the device itself refuses,
     * is a SculptException naming the tensor, the bytes asked for, the cap and the plan component the tensor belongs
     * to. Replaces an earlier limit; memory already held stays valid.
     */
    void limit(MemoryLimit limit);

    /** Bytes handed out to tensors and scratch now (rounded as the provider allocates). */
    long bytesInUse();

    /**
     * Returns the provider's cached free blocks to the device, so that memory taken outside the provider (a device SVD
     * backend's buffers at the start of a task) finds the room they held; the next allocations take blocks from the
     * device again. Blocks in use are untouched.
     */
    void releaseCached();

    /** The most bytes that were handed out at once since the provider was made. */
    long peakBytesInUse();

    /**
     * Starts (or restarts) tracing the peak, for diagnostics: from now on, whenever the bytes in use pass the traced
     * peak, the provider keeps a list of the blocks in use at that moment ({@link #allocationsAtPeak()}). The traced
     * peak starts at the bytes in use now, so on a fresh provider it is {@link #peakBytesInUse()}. Each new peak
     * copies the list of blocks in use: meant for tests and diagnostics, not for long runs.
     */
    void tracePeak();

    /**
     * The blocks in use at the traced peak, largest block first (their blocks add up to that peak); empty when
     * {@link #tracePeak()} was not called.
     */
    List<Allocation> allocationsAtPeak();
}
