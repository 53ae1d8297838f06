package dev.sculpt.model.t5;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.util.HashMap;
import java.util.Map;

/**
 * Named activation buffers on a provider, reused from call to call: {@link #get} hands out a view of the exact
 * shape asked for over a buffer that grows to the largest size asked of that name and is then kept. So a model
 * allocates while its micro-batches grow and not afterwards. Contents are not cleared between calls; a buffer
 * that accumulates must be zeroed by its user. Views are valid until the next {@link #get} of the same name that
 * needs more room, or until {@link #close}.
 */
final class ActivationBuffers implements AutoCloseable {
    private final Ops ops;
    private final Map<String, Tensor> buffers = new HashMap<>();

    ActivationBuffers(Ops ops) {
        this.ops = ops;
    }

    /** A view [shape] of the buffer named {@code name}, grown when smaller. */
    Tensor get(String name, int... shape) {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, (long) d);
        Tensor b = buffers.get(name);
        if (b == null || b.size() < n) {
            if (b != null) b.close();
            b = ops.allocate(name, Math.toIntExact(Math.max(1, n)));
            buffers.put(name, b);
        }
        return b.view(name, 0, shape);
    }

    /** Elements held, for tests and logs. */
    long elements() {
        long n = 0;
        for (Tensor t : buffers.values()) n += t.size();
        return n;
    }

    @Override
    public void close() {
        for (Tensor t : buffers.values()) t.close();
        buffers.clear();
    }
}
