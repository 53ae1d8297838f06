package dev.sculpt.osft;

import dev.sculpt.backend.Backend;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;

/** Where a registered weight matrix lives: read on demand (row-major m x n) into a heap copy. */
interface WeightSource {
    float[] read();

    static WeightSource of(float[] w) {
        return w::clone;
    }

    static WeightSource of(FloatBuffer w, int size) {
        return () -> {
            float[] out = new float[size];
            w.get(0, out);
            return out;
        };
    }

    /** Matrix 0 of a one-matrix batch, on the host or on the backend's device. */
    static WeightSource of(MatrixBatch w, Backend backend) {
        return () -> {
            if (w.isHost()) return w.toArray(0);
            try (MatrixBatch h = backend.download(w)) {
                return h.toArray(0);
            }
        };
    }
}
