package dev.sculpt.io;

import dev.sculpt.SculptException;
import java.util.Arrays;

/** What a tensor to be written will be: name, element type on disk and shape. */
public record TensorSpec(String name, DType dtype, long[] shape) {
    public TensorSpec {
        if (name == null || name.isEmpty()) throw new SculptException("tensor name must not be empty");
        if ("__metadata__".equals(name)) throw new SculptException("'__metadata__' is reserved and cannot name a tensor");
        if (dtype == null || !dtype.readableAsFloat()) {
            throw new SculptException("tensor '" + name + "': cannot write dtype " + dtype + " (F32, F16 or BF16 only)");
        }
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) throw new SculptException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
        }
        if (TensorInfo.elementCount(shape) < 0) {
            throw new SculptException("tensor '" + name + "': shape " + Arrays.toString(shape) + " overflows");
        }
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long elementCount() {
        return TensorInfo.elementCount(shape);
    }

    public long byteSize() {
        return elementCount() * dtype.byteSize();
    }
}
