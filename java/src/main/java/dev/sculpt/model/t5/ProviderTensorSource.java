package dev.sculpt.model.t5;

import dev.sculpt.io.TensorSource;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.nio.FloatBuffer;

/**
 * A parameter's values as a {@link TensorSource} for a checkpoint writer, read chunk by chunk through the provider
 * (a view of the chunk, downloaded), so that saving needs no host copy of the whole model on any provider.
 */
final class ProviderTensorSource implements TensorSource {
    private final Ops ops;
    private final Parameter parameter;

    ProviderTensorSource(Ops ops, Parameter parameter) {
        this.ops = ops;
        this.parameter = parameter;
    }

    @Override
    public long[] shape() {
        int[] s = parameter.shape();
        long[] dims = new long[s.length];
        for (int i = 0; i < s.length; i++) dims[i] = s[i];
        return dims;
    }

    @Override
    public void read(long start, FloatBuffer dst) {
        int n = dst.remaining();
        if (n == 0) return;
        Tensor chunk = parameter.value().view(parameter.name() + " (chunk)", start, n);
        try (Tensor host = ops.download(chunk, parameter.name() + " (saved chunk)")) {
            dst.put(host.hostBuffer().duplicate().position(0).limit(n));
        }
    }
}
