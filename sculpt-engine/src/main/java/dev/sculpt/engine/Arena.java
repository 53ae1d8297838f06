package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named activation buffers on one provider, grown to the largest request seen and then reused, so that a training
 * step allocates no device memory once the largest micro-batch has passed. {@link #get} returns a view of the
 * requested shape over the named buffer; its contents are whatever the last user left (callers overwrite, or use
 * {@link #zeroed}). Growing a buffer frees the old one, so views of that name taken before a larger request are
 * closed (using them is an error naming the tensor, never a silent read of freed memory): request every buffer of
 * a step at its final size before using it, or {@link #reserve} it.
 *
 * <p>Buffers hold float32 ({@link #get}) or bf16 ({@link #getBf16}: activations a block saves in bf16 mode, see
 * {@link AttentionBlock#saveInBf16}); asking for a name in the other element type frees it and allocates anew.
 *
 * <p>Names under {@code scratch.} are shared by all blocks and hold nothing between calls. Not thread-safe.
 */
public final class Arena implements AutoCloseable {
    private final Ops ops;
    private final String owner;
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private boolean closed;

    /** An empty arena on {@code ops}; {@code owner} names it in messages (e.g. "llama"). */
    public Arena(Ops ops, String owner) {
        this.ops = ops;
        this.owner = owner;
    }

    /** The provider whose memory this arena holds. */
    public Ops ops() { return ops; }

    /** Makes the float32 buffer {@code name} hold at least {@code elements} floats. */
    public void reserve(String name, long elements) {
        reserve(name, DType.FLOAT32, elements);
    }

    private void reserve(String name, DType type, long elements) {
        if (closed) throw new SculptException(owner + " activation arena is closed (asked for '" + name + "')");
        Tensor t = buffers.get(name);
        if (t != null && t.dtype() == type && t.size() >= elements) return;
        if (elements > Integer.MAX_VALUE) {
            throw new SculptException(owner + " activation buffer '" + name + "' of " + elements + " elements exceeds 2^31-1 elements");
        }
        // the old buffer goes first: its contents are not kept, and holding both would make the peak the old plus the new
        if (t != null) {
            buffers.remove(name);
            t.close();
        }
        buffers.put(name, ops.allocate(owner + " " + name, type, (int) elements));
    }

    /** A float32 tensor of exactly {@code shape} over the buffer {@code name} (grown first when too small). */
    public Tensor get(String name, int... shape) {
        return view(name, DType.FLOAT32, shape);
    }

    /** A bf16 tensor of exactly {@code shape} over the bf16 buffer {@code name} (grown first when too small). */
    public Tensor getBf16(String name, int... shape) {
        return view(name, DType.BF16, shape);
    }

    private Tensor view(String name, DType type, int... shape) {
        long n = 1;
        for (int d : shape) n = Math.multiplyExact(n, (long) d);
        reserve(name, type, n);
        Tensor root = buffers.get(name);
        return root.view(root.name(), 0, shape);
    }

    /** As {@link #get}, zero-filled. */
    public Tensor zeroed(String name, int... shape) {
        Tensor t = get(name, shape);
        ops.zero(t);
        return t;
    }

    /** Bytes held by all buffers. */
    public long bytes() {
        long s = 0;
        for (Tensor t : buffers.values()) s += t.bytes();
        return s;
    }

    /** Bytes held by the buffers outside {@code scratch.}: what is kept between the forward and the backward. */
    public long savedBytes() {
        long s = 0;
        for (Map.Entry<String, Tensor> e : buffers.entrySet()) {
            if (!e.getKey().startsWith("scratch.")) s += e.getValue().bytes();
        }
        return s;
    }

    /** Frees every buffer; views taken from it become unusable. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Tensor t : buffers.values()) t.close();
        buffers.clear();
    }
}
