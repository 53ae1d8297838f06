package dev.sculpt.io;

import dev.sculpt.SculptException;
import java.util.Arrays;

/**
 * One tensor of a safetensors file: its name, element type, shape and byte range {@code [begin, end)}
 * relative to the start of the file's data section.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** The shape as ints (every dimension must fit). */
    public int[] dims() {
        int[] d = new int[shape.length];
        for (int i = 0; i < d.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new SculptException("tensor '" + name + "': dimension " + shape[i] + " exceeds 2^31-1");
            }
            d[i] = (int) shape[i];
        }
        return d;
    }

    public long elementCount() {
        return elementCount(shape);
    }

    public long byteSize() {
        return end - begin;
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }

    /** Product of the dimensions (1 for a scalar); -1 on overflow. */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.begin == begin && t.end == end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + shapeString();
    }
}
