package dev.sculpt.ops;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.Device;
import java.util.Arrays;

/** Argument checks shared by providers; every message names the tensor at fault. */
public final class TensorChecks {
    private TensorChecks() {}

    /** The tensor is open, lives on {@code device} and holds float32 elements. */
    public static Tensor on(Device device, String provider, String role, Tensor t) {
        onAnyType(device, provider, role, t);
        if (t.dtype() != DType.FLOAT32) {
            throw new SculptException(provider + ": " + role + " tensor " + t.describe() + " holds " + t.dtype()
                    + " elements; this op computes on float32 only (bf16 is for gemm operands and convert)");
        }
        return t;
    }

    /** The tensor is open and lives on {@code device}, float32 or bf16 (gemm's A and B, convert). */
    public static Tensor onAnyType(Device device, String provider, String role, Tensor t) {
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

    /**
     * A gemm operand addressed as {@code batch} [rows, cols] matrices with leading dimension {@code ld} from element
     * {@code off}, {@code stride} apart: ld covers the columns, offsets and strides are >= 0, and every addressed
     * element lies inside the tensor.
     */
    public static void gemmOperand(String provider, String role, Tensor t, long off, int ld, long stride, int batch,
                                   int rows, int cols) {
        if (ld < Math.max(1, cols)) {
            throw new SculptException(provider + ": gemm " + role + " '" + t.name() + "' has leading dimension " + ld
                    + " < its " + cols + " columns");
        }
        if (off < 0 || stride < 0) {
            throw new SculptException(provider + ": gemm " + role + " '" + t.name() + "' has a negative offset or stride");
        }
        if (batch == 0 || rows == 0 || cols == 0) return;
        long last = off + (batch - 1) * stride + (long) (rows - 1) * ld + cols;
        if (last > t.size()) {
            throw new SculptException(provider + ": gemm " + role + " '" + t.name() + "' of " + t.size()
                    + " elements is addressed up to element " + last + " (" + batch + " x [" + rows + ", " + cols
                    + "], ld " + ld + ", stride " + stride + ", offset " + off + ")");
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
