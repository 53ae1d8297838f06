package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * Keys and values of every layer for the tokens fed so far, on the provider: per layer one [capacity, width]
 * tensor of keys (after RoPE where the model uses it) and one of values. The attention block writes a step's
 * rows at {@link #length()} ({@link AttentionBlock#decodeSelf}); the model calls {@link #advance} once after all
 * layers. A cross-attention cache is filled once from the encoder output ({@link AttentionBlock#fillCross}).
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys;
    private final Tensor[] values;
    private final int capacity;
    private final int width;
    private int length;

    /** An empty cache of {@code layers} layers, {@code capacity} positions of {@code width} floats each. */
    public KvCache(Ops ops, String name, int layers, int capacity, int width) {
        if (capacity <= 0) throw new SculptException(name + ": KV cache capacity must be > 0, got " + capacity);
        this.capacity = capacity;
        this.width = width;
        keys = new Tensor[layers];
        values = new Tensor[layers];
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = ops.allocate(name + " keys " + l, capacity, width);
                values[l] = ops.allocate(name + " values " + l, capacity, width);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public int layers() { return keys.length; }
    public int capacity() { return capacity; }
    public int width() { return width; }
    /** Positions filled (and attended to) so far. */
    public int length() { return length; }
    public int remaining() { return capacity - length; }

    /** Layer l's key rows [capacity, width]. */
    public Tensor keys(int layer) { return keys[layer]; }

    /** Layer l's value rows [capacity, width]. */
    public Tensor values(int layer) { return values[layer]; }

    /** Rows [from, from + n) of layer l's keys. */
    public Tensor keys(int layer, int from, int n) { return keys[layer].view(keys[layer].name(), (long) from * width, n, width); }

    /** Rows [from, from + n) of layer l's values. */
    public Tensor values(int layer, int from, int n) { return values[layer].view(values[layer].name(), (long) from * width, n, width); }

    /** Checks that n more positions fit. */
    public void ensureRoom(int n) {
        if (n > remaining()) throw new SculptException("KV cache full: " + length + " + " + n + " tokens exceed its " + capacity + " positions");
    }

    /** Marks n more positions as filled (after every layer wrote them). */
    public void advance(int n) {
        ensureRoom(n);
        length += n;
    }

    @Override
    public void close() {
        for (Tensor t : keys) if (t != null) t.close();
        for (Tensor t : values) if (t != null) t.close();
    }
}
