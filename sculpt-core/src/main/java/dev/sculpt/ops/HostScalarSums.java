package dev.sculpt.ops;

import dev.sculpt.SculptException;

/**
 * {@link ScalarSums} on the heap over a provider's host-returning reductions ({@code slot += ops.sum(x)}): the
 * default of {@link Ops#scalarSums}, exact for a host provider. On a device provider each add reads the reduction's
 * partial results back; such providers keep their sums on the device instead.
 */
public final class HostScalarSums implements ScalarSums {
    private final Ops ops;
    private final double[] values;

    /** {@code slots} (>= 1) sums of {@code ops}' tensors, all 0. */
    public HostScalarSums(Ops ops, int slots) {
        if (slots < 1) throw new SculptException(ops.name() + ": scalar sums need at least one slot, got " + slots);
        this.ops = ops;
        this.values = new double[slots];
    }

    @Override public int slots() { return values.length; }

    private int slot(int slot) {
        if (slot < 0 || slot >= values.length) {
            throw new SculptException(ops.name() + ": scalar sum slot " + slot + " outside [0, " + values.length + ")");
        }
        return slot;
    }

    @Override public void addSum(int slot, Tensor x) { values[slot(slot)] += ops.sum(x); }

    @Override public void addSumOfSquares(int slot, Tensor x) { values[slot(slot)] += ops.sumOfSquares(x); }

    @Override public void add(int slot, double value) { values[slot(slot)] += value; }

    @Override public void reset() { java.util.Arrays.fill(values, 0); }

    @Override public void reset(int slot) {
        java.util.Objects.checkIndex(slot, values.length);
        values[slot] = 0;
    }

    @Override public double[] read() { return values.clone(); }

    @Override public void close() {}
}
