package dev.sculpt.ops.cuda;

import dev.sculpt.SculptException;
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

    /**
     * {@code bytes} of device memory for {@code what} (a tensor's description, or a scratch buffer's purpose); its old
     * contents are undefined. Throws a SculptException naming {@code what} when the device has no room.
     */
    synchronized long allocate(String what, long bytes) {
        if (bytes < 0) throw new SculptException(provider + ": negative size " + bytes + " for " + what);
        long size = sizeClass(bytes);
        ArrayDeque<Long> list = closed ? null : free.get(size);
        long a;
        if (list != null && !list.isEmpty()) {
            a = list.pop();
            bytesCached -= size;
        } else {
            a = runtime.malloc(size);
            if (a == 0 && bytesCached > 0) {
                releaseCache();
                a = runtime.malloc(size);
            }
            if (a == 0) {
                throw new SculptException(provider + ": out of device memory for " + what + ": needs " + bytes + " bytes ("
                        + size + " with rounding); " + bytesInUse + " bytes are in use in " + inUse.size()
                        + " blocks of this provider, none cached (" + runtime.describe() + ")");
            }
            runtimeAllocations++;
        }
        inUse.put(a, size);
        bytesInUse += size;
        return a;
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
