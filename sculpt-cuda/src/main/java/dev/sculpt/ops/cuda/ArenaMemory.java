package dev.sculpt.ops.cuda;

import dev.sculpt.ops.Allocation;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.MemoryLimit;
import java.util.List;

/** A CUDA provider's {@link DeviceMemory}: the runtime's size and free memory, the arena's use, cap and peak. */
final class ArenaMemory implements DeviceMemory {
    private final CudaRuntime runtime;
    private final CachingArena arena;

    ArenaMemory(CudaRuntime runtime, CachingArena arena) {
        this.runtime = runtime;
        this.arena = arena;
    }

    @Override public long totalBytes() { return runtime.totalMemory(); }

    @Override public long freeBytes() { return runtime.freeMemory(); }

    @Override public String source() { return runtime.memorySource(); }

    @Override public void limit(MemoryLimit limit) { arena.limit(limit); }

    @Override public long bytesInUse() { return arena.bytesInUse(); }

    @Override public long peakBytesInUse() { return arena.peakBytesInUse(); }

    @Override public void releaseCached() { arena.releaseCached(); }

    @Override public void tracePeak() { arena.tracePeak(); }

    @Override public List<Allocation> allocationsAtPeak() { return arena.allocationsAtPeak(); }
}
