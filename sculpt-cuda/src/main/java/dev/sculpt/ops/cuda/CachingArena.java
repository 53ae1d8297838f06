package dev.sculpt.ops.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.ops.Allocation;
import dev.sculpt.ops.DeviceBlocks;
import dev.sculpt.ops.MemoryLimit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator over a {@link CudaRuntime}'s raw memory, so that steady-state training calls no cudaMalloc or
 * cudaFree: a block is taken from the runtime once, and a released block goes to a free list of its size class, from
 * which the next request of that class is served. Size classes are {@link DeviceBlocks#size}'s: four per power of two
 * from 512 bytes up to 8 MiB (less than 25% rounding waste), 2 MiB multiples above (less than 2 MiB waste), the
 * rounding a memory plan counts. When the runtime runs out, the cached free blocks are returned to it and the request is
 * tried once more; if it still fails, the error names what was being allocated, the bytes, and what the arena holds.
 *
 * <p>A {@link MemoryLimit} caps the bytes the arena takes from the runtime (in use plus cached): a request that would
 * pass it is treated as the runtime running out (the cache is returned, then the request is tried once more), and
 * refused with a SculptException naming the tensor, the bytes, the cap, how the cap was chosen and the plan component
 * the limit's function gives for the tensor. The same message serves a device that runs out below the cap.
 *
 * <p>Reuse is safe without synchronization because every user of the memory runs on the runtime's one stream, in
 * order. {@link #tracePeak()} keeps, for diagnostics, the blocks in use at the traced peak (what each was allocated
 * for, requested and block bytes). After {@link #close()} the cache is emptied and blocks still in use go straight back to the runtime when
 * released (a provider's tensors outlive the provider). Synchronized: a tensor may be closed on any thread.
 */
final class CachingArena implements AutoCloseable {
    static final long MIN_BLOCK = DeviceBlocks.MIN_BLOCK;
    private final CudaRuntime runtime;
    private final String provider;
    private final Map<Long, Allocation> inUse = new HashMap<>();                 // address -> what, requested, size class
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();       // size class -> free addresses
    private long bytesInUse;
    private long bytesCached;
    private long runtimeAllocations;
    private long peakInUse;
    private MemoryLimit limit;   // null: only the runtime bounds the arena
    private boolean closed;
    private boolean tracing;
    private long tracedPeak;
    private List<Allocation> atTracedPeak = List.of();

    CachingArena(CudaRuntime runtime, String provider) {
        this.runtime = runtime;
        this.provider = provider;
    }

    /** The size class of a request ({@link DeviceBlocks#size}). */
    static long sizeClass(long bytes) {
        return DeviceBlocks.size(bytes);
    }

    /** As {@link #allocate(String, String, long)} for memory that belongs to no named tensor (op scratch). */
    synchronized long allocate(String what, long bytes) {
        return allocate(what, null, bytes);
    }

    /**
     * {@code bytes} of device memory for {@code what} (a tensor's description, or a scratch buffer's purpose), held by
     * the tensor {@code tensor} (its name; null for op scratch); its old contents are undefined. Throws a
     * SculptException naming {@code what} when the device, or the arena's {@link MemoryLimit}, has no room.
     */
    synchronized long allocate(String what, String tensor, long bytes) {
        if (bytes < 0) throw new SculptException(provider + ": negative size " + bytes + " for " + what);
        long size = sizeClass(bytes);
        ArrayDeque<Long> list = closed ? null : free.get(size);
        long a;
        if (list != null && !list.isEmpty()) {
            a = list.pop();
            bytesCached -= size;
        } else {
            a = withinLimit(size) ? runtime.malloc(size) : 0;
            if (a == 0 && bytesCached > 0) {
                releaseCache();
                a = withinLimit(size) ? runtime.malloc(size) : 0;
            }
            if (a == 0) throw outOfMemory(what, tensor, bytes, size);
            runtimeAllocations++;
        }
        inUse.put(a, new Allocation(what, tensor, bytes, size));
        bytesInUse += size;
        peakInUse = Math.max(peakInUse, bytesInUse);
        if (tracing && bytesInUse > tracedPeak) traceNow();
        return a;
    }

    private boolean withinLimit(long size) {
        return limit == null || size <= limit.bytes() - bytesInUse - bytesCached;
    }

    private SculptException outOfMemory(String what, String tensor, long bytes, long size) {
        boolean capped = !withinLimit(size);
        StringBuilder sb = new StringBuilder(provider).append(": out of device memory for ").append(what);
        if (limit != null) {
            String component = limit.component().apply(tensor);
            if (component != null) sb.append(" (memory plan component ").append(component).append(')');
        }
        sb.append(": needs ").append(bytes).append(" bytes (").append(size).append(" with rounding); ")
                .append(bytesInUse).append(" bytes are in use in ").append(inUse.size()).append(" blocks of this provider, none cached");
        if (limit != null) {
            sb.append(capped ? "; that passes the arena's limit of " : "; the device refused it below the arena's limit of ")
                    .append(limit.bytes()).append(" bytes");
            if (!limit.basis().isEmpty()) sb.append(" (").append(limit.basis()).append(')');
        }
        return new SculptException(sb.append(" (").append(runtime.describe()).append(')').toString());
    }

    /** Caps the bytes taken from the runtime (see the class comment); replaces an earlier limit. */
    synchronized void limit(MemoryLimit limit) {
        this.limit = limit;
    }

    /** Gives a block back: to the cache, or to the runtime once the arena is closed. */
    synchronized void release(long address) {
        Allocation block = inUse.remove(address);
        if (block == null) throw new SculptException(provider + ": release of an address this arena did not hand out");
        long size = block.block();
        bytesInUse -= size;
        if (closed) {
            runtime.free(address);
            return;
        }
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
        bytesCached += size;
    }

    /** Returns every cached free block to the runtime (DeviceMemory#releaseCached). */
    synchronized void releaseCached() {
        releaseCache();
    }

    private void releaseCache() {
        for (ArrayDeque<Long> list : free.values()) {
            for (long a : list) runtime.free(a);
        }
        free.clear();
        bytesCached = 0;
    }

    /** Bytes handed out and not released (rounded to size classes). */
    synchronized long bytesInUse() { return bytesInUse; }

    /** Bytes held in the free lists. */
    synchronized long bytesCached() { return bytesCached; }

    /** The most bytes in use at once since the arena was made. */
    synchronized long peakBytesInUse() { return peakInUse; }

    /** Starts tracing the peak from the bytes in use now (see {@link dev.sculpt.ops.DeviceMemory#tracePeak()}). */
    synchronized void tracePeak() {
        tracing = true;
        traceNow();
    }

    private void traceNow() {
        tracedPeak = bytesInUse;
        List<Allocation> live = new ArrayList<>(inUse.values());
        live.sort(Comparator.comparingLong(Allocation::block).reversed().thenComparing(Allocation::what));
        atTracedPeak = List.copyOf(live);
    }

    /** The blocks in use at the traced peak, largest first; empty when not tracing. */
    synchronized List<Allocation> allocationsAtPeak() { return atTracedPeak; }

    /** How many times the arena asked the runtime for memory. */
    synchronized long runtimeAllocations() { return runtimeAllocations; }

    /** Returns the cached blocks to the runtime; blocks in use are returned when released. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        releaseCache();
    }
}
