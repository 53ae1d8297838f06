package dev.sculpt.osft;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.nio.FloatBuffer;

/**
 * Where a registered weight matrix lives, as the guard reads it: {@link #current()} gives it as a [rows, cols] tensor
 * of the guard's provider (handed back with {@link #done}), {@link #read()} as a heap copy (for the decomposition).
 */
interface WeightSource {
    Tensor current();

    /** Ends a use of what {@link #current()} returned. */
    void done(Tensor t);

    float[] read();

    /** A tensor of the provider: used in place, never copied for a check. */
    static WeightSource of(Tensor w, Ops ops) {
        return new WeightSource() {
            @Override public Tensor current() { return w; }
            @Override public void done(Tensor t) {}
            @Override public float[] read() {
                try (Tensor h = ops.download(w, w.name() + " (download)")) {
                    return h.toArray();
                }
            }
        };
    }

    /** A heap array: uploaded to the provider for every use. */
    static WeightSource of(float[] w, int rows, int cols, Ops ops, String name) {
        return heap(() -> java.util.Arrays.copyOf(w, rows * cols), rows, cols, ops, name);
    }

    /** A FloatBuffer (absolute indexing from 0): uploaded to the provider for every use. */
    static WeightSource of(FloatBuffer w, int rows, int cols, Ops ops, String name) {
        return heap(() -> {
            float[] out = new float[rows * cols];
            w.get(0, out);
            return out;
        }, rows, cols, ops, name);
    }

    private static WeightSource heap(java.util.function.Supplier<float[]> copy, int rows, int cols, Ops ops, String name) {
        return new WeightSource() {
            @Override public Tensor current() {
                try (Tensor h = Tensor.ofHost(name + " (host)", copy.get(), rows, cols)) {
                    return ops.upload(h, name);
                }
            }
            @Override public void done(Tensor t) { t.close(); }
            @Override public float[] read() { return copy.get(); }
        };
    }
}
