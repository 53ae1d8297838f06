package dev.sculpt.ops.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.ops.MemoryLimit;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A caching allocator over a {@link CudaRuntime}'s raw memory, so that steady-state training calls no cudaMalloc or
 * cudaFree: a block is taken from the runtime once, and a released block goes to a free list of its size class, from
 * which the next request of that class is served. Size classes are four per power of two (at most 25% rounding
 * waste), from 512 bytes up. When the runtime runs out, the cached free blocks are returned to it and the request is
 * tried once more; if it still fails, the error names what was being allocated, the bytes, and what the arena holds.
 *
 * <p>A {@link MemoryLimit} caps the bytes the arena takes from the runtime (in use plus cached): a request that would
 * pass it is treated as the runtime running out (the cache is returned, then the request is tried once more), and
 * refused with a SculptException naming the tensor, the bytes, the cap, how the cap was chosen and the plan component
 * the limit's function gives for the tensor. The same message serves a device that runs out below the cap.
 *
 * <p>Reuse is safe without synchronization because every user of the memory runs on the runtime's one stream, in
 * order. After {@link #close()} the cache is emptied and blocks still in use go straight back to the runtime when
 * released (a provider's tensors outlive the provider). Synchronized: a tensor may be closed on any thread.
 */
final class CachingArena implements AutoCloseable {
    static final long MIN_BLOCK = 512;
    private final CudaRuntime runtime;
    private final String provider;
    private final Map<Long, Long> inUse = new HashMap<>();                       // address -> size class
    private final TreeMap<Long, ArrayDeque<Long>> free = new TreeMap<>();       // size class -> free addresses
    private long bytesInUse;
    private long bytesCached;
    private long runtimeAllocations;
    private long peakInUse;
    private MemoryLimit limit;   // null: only the runtime bounds the arena
    private boolean closed;

    CachingArena(CudaRuntime runtime, String provider) {
        this.runtime = runtime;
        this.provider = provider;
    }

    /** The size class of a request: {@code bytes} in (2^k, 2^(k+1)] rounded up to a multiple of 2^(k-2). */
    static long sizeClass(long bytes) {
        if (bytes <= MIN_BLOCK) return MIN_BLOCK;
        int k = 63 - Long.numberOfLeadingZeros(bytes - 1);   // 2^k < bytes <= 2^(k+1)
        long step = 1L << (k - 2);                            // classes 1.25, 1.5, 1.75 and 2 times 2^k
        return Math.multiplyExact((bytes + step - 1) / step, step);
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
        inUse.put(a, size);
        bytesInUse += size;
        peakInUse = Math.max(peakInUse, bytesInUse);
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
        Long size = inUse.remove(address);
        if (size == null) throw new SculptException(provider + ": release of an address this arena did not hand out");
        bytesInUse -= size;
        if (closed) {
            runtime.free(address);
            return;
        }
        free.computeIfAbsent(size, s -> new ArrayDeque<>()).push(address);
        bytesCached += size;
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
