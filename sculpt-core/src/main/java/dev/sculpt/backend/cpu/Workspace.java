package dev.sculpt.backend.cpu;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Off-heap scratch matrices of one worker, allocated once per batch and reused for every matrix the worker
 * handles. Each slot is a {@link FloatPointer} for BLAS and a direct {@link FloatBuffer} over the same memory
 * for Java loops. Closing frees them all.
 */
final class Workspace implements AutoCloseable {
    private final List<FloatPointer> owned = new ArrayList<>();

    /** A scratch area of {@code size} floats (not zeroed). */
    Slot slot(long size) {
        FloatPointer p = new FloatPointer(Math.max(1, size));
        owned.add(p);
        return new Slot(p, p.asBuffer());
    }

    @Override
    public void close() {
        for (FloatPointer p : owned) p.close();
        owned.clear();
    }

    /** One scratch area: a pointer for native calls and a buffer over the same floats. */
    record Slot(FloatPointer ptr, FloatBuffer buf) {}
}
