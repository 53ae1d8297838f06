package dev.sculpt.engine;

import dev.sculpt.io.TensorSource;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.nio.FloatBuffer;

/**
 * A {@link TensorSource} over a tensor of any provider that reads it a chunk at a time: each {@link #read}
 * downloads only the requested elements (a view), so writing a device model never holds a host copy of more than
 * one chunk. Host tensors are read in place.
 */
public final class DeviceTensorSource implements TensorSource {
    private final Ops ops;
    private final Tensor tensor;
    private final long[] shape;

    public DeviceTensorSource(Ops ops, Tensor tensor) {
        this.ops = ops;
        this.tensor = tensor;
        int[] s = tensor.shape();
        this.shape = new long[s.length];
        for (int i = 0; i < s.length; i++) shape[i] = s[i];
    }

    @Override public long[] shape() { return shape.clone(); }

    @Override
    public void read(long start, FloatBuffer dst) {
        int n = dst.remaining();
        if (n == 0) return;
        if (tensor.isHost()) {
            int from = Math.toIntExact(start);
            dst.put(tensor.hostBuffer().duplicate().position(from).limit(from + n));
            return;
        }
        try (Tensor host = ops.download(tensor.view(tensor.name(), start, n), tensor.name() + " (download)")) {
            dst.put(host.hostBuffer().duplicate());
        }
    }
}
