package dev.sculpt.ops;

import dev.sculpt.SculptException;

/** Whole-tensor copies between the Java heap and a tensor of any provider (a direct copy on the host, a transfer otherwise). */
public final class HostCopy {
    private HostCopy() {}

    /** A heap copy of {@code t}, a tensor of {@code ops}. */
    public static float[] toArray(Ops ops, Tensor t) {
        if (t.isHost()) return t.toArray();
        try (Tensor h = ops.download(t, t.name() + " (download)")) {
            return h.toArray();
        }
    }

    /** Overwrites {@code t}, a tensor of {@code ops}, with {@code values} (exactly its size). */
    public static void fromArray(Ops ops, float[] values, Tensor t) {
        if (values.length != t.size()) {
            throw new SculptException("tensor '" + t.name() + "' holds " + t.size() + " elements, got " + values.length + " values");
        }
        if (t.isHost()) {
            t.copyFrom(values);
            return;
        }
        try (Tensor h = Tensor.ofHost(t.name() + " (host copy)", values, t.shape()); Tensor d = ops.upload(h, t.name() + " (upload)")) {
            ops.copy(d, t);
        }
    }
}
