package dev.sculpt.ops;

import dev.sculpt.SculptException;
import java.util.function.Function;

/**
 * A cap on the device memory a provider takes ({@link DeviceMemory#limit}), with what its messages say.
 *
 * @param bytes     the most bytes the provider may hold, cached blocks included
 * @param basis     how the cap was chosen, e.g. "--device-memory 2G less the plan's 1 GiB runtime reserve"
 * @param component the memory-plan component a tensor belongs to, by its name (null for op scratch); returns null
 *                  where it cannot say. Used for messages only.
 */
public record MemoryLimit(long bytes, String basis, Function<String, String> component) {
    public MemoryLimit {
        if (bytes < 0) throw new SculptException("a device memory limit must be >= 0 bytes, got " + bytes);
        if (basis == null) basis = "";
        if (component == null) component = name -> null;
    }

    /** A cap of {@code bytes} that names no plan component. */
    public static MemoryLimit of(long bytes, String basis) {
        return new MemoryLimit(bytes, basis, name -> null);
    }
}
