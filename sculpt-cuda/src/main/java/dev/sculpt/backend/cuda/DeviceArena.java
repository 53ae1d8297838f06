package dev.sculpt.backend.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * Scratch device memory for one operation: every buffer it hands out is freed by {@link #close()}, so an
 * exception half-way through an operation leaks nothing.
 */
final class DeviceArena implements AutoCloseable {
    private final DeviceOps ops;
    private final List<Long> owned = new ArrayList<>();

    DeviceArena(DeviceOps ops) {
        this.ops = ops;
    }

    long floats(long n) { return bytes(n * Float.BYTES); }

    long doubles(long n) { return bytes(n * Double.BYTES); }

    long ints(long n) { return bytes(n * Integer.BYTES); }

    long bytes(long bytes) {
        long a = ops.malloc(Math.max(1, bytes));
        owned.add(a);
        return a;
    }

    @Override
    public void close() {
        for (long a : owned) ops.free(a);
        owned.clear();
    }
}
