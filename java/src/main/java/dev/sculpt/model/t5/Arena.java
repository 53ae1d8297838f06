package dev.sculpt.model.t5;

import dev.sculpt.nn.FloatArray;
import java.util.ArrayList;
import java.util.List;

/** Owns the activation buffers of one forward (and backward) pass; closing it frees them all. */
final class Arena implements AutoCloseable {
    private final List<FloatArray> owned = new ArrayList<>();

    /** A zero-filled buffer of {@code n} floats, freed with the arena. */
    FloatArray take(long n) {
        FloatArray a = new FloatArray(n);
        owned.add(a);
        return a;
    }

    @Override
    public void close() {
        for (FloatArray a : owned) a.close();
        owned.clear();
    }
}
