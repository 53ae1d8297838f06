package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.Device;
import java.util.Arrays;

/** Argument checks shared by providers; every message names the tensor at fault. */
public final class TensorChecks {
    private TensorChecks() {}

    /** The tensor is open and lives on {@code device}. */
    public static Tensor on(Device device, String provider, String role, Tensor t) {
        if (t == null) throw new SculptException(provider + ": " + role + " tensor is missing (null)");
        t.ensureOpen();
        if (t.device() != device) {
            throw new SculptException(provider + ": " + role + " tensor " + t.describe() + " lives on " + t.device()
                    + ", but this provider computes on " + device);
        }
        return t;
    }

    /** The tensor has exactly {@code shape}. */
    public static void shape(String provider, String role, Tensor t, int... shape) {
        if (!Arrays.equals(t.shape(), shape)) {
            throw new SculptException(provider + ": " + role + " tensor '" + t.name() + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(shape));
        }
    }

    /** The tensor has rank 2; returns its shape. */
    public static int[] matrix(String provider, String role, Tensor t) {
        if (t.rank() != 2) {
            throw new SculptException(provider + ": " + role + " tensor '" + t.name() + "' has shape "
                    + Arrays.toString(t.shape()) + ", expected a matrix [rows, cols]");
        }
        return t.shape();
    }

    /** The tensor holds {@code size} elements (element-wise ops accept any shape). */
    public static void size(String provider, String role, Tensor t, long size) {
        if (t.size() != size) {
            throw new SculptException(provider + ": " + role + " tensor " + t.describe() + " has " + t.size()
                    + " elements, expected " + size);
        }
    }

    /** Every id is in [0, limit) (or equals {@code allowed}, e.g. the ignore index). */
    public static void ids(String provider, String role, int[] ids, int limit, Integer allowed) {
        if (ids == null) throw new SculptException(provider + ": " + role + " ids are missing (null)");
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (allowed != null && id == allowed) continue;
            if (id < 0 || id >= limit) {
                throw new SculptException(provider + ": " + role + " id " + id + " at row " + i + " is outside [0, " + limit + ")");
            }
        }
    }
}
