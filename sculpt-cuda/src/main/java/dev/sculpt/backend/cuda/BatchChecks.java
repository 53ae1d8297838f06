package dev.sculpt.backend.cuda;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.IntPointer;

/** Input validation of the CUDA backend: the same rules as the CPU backend, with the culprit named. */
final class BatchChecks {
    private BatchChecks() {}

    static void notEmpty(MatrixBatch a, String op) {
        if (a == null) throw new SculptException(op + ": the batch is null");
        if (a.isClosed()) throw new SculptException(op + ": the batch " + a.shapeString() + " is closed");
        if (a.count() == 0) throw new SculptException(op + ": empty batch (0 matrices)");
        if (a.rows() == 0 || a.cols() == 0) {
            throw new SculptException(op + ": " + a.name(0) + " has an empty shape " + a.rows() + " x " + a.cols());
        }
    }

    static void rank(MatrixBatch a, int k, String op) {
        int max = Math.min(a.rows(), a.cols());
        if (k < 1 || k > max) {
            throw new SculptException(op + ": k = " + k + " is out of range for " + a.name(0) + " (" + a.rows() + " x "
                    + a.cols() + "): need 1 <= k <= min(m, n) = " + max);
        }
    }

    /** Throws naming the first matrix with a NaN or an infinity (host: also the position). */
    static void finite(MatrixBatch a, String what, String op) {
        if (a.elementCount() == 0) return;
        if (a.isHost()) {
            FloatBuffer buf = a.buffer();
            long size = a.matrixSize();
            for (int b = 0; b < a.count(); b++) {
                long base = a.offset(b);
                for (long i = 0; i < size; i++) {
                    float x = buf.get((int) (base + i));
                    if (!Float.isFinite(x)) {
                        throw new SculptException(op + ": " + what + " " + a.name(b) + " has " + x + " at ("
                                + i / a.cols() + ", " + i % a.cols() + ")");
                    }
                }
            }
            return;
        }
        int[] flags = new int[a.count()];
        long f = Cuda.malloc((long) a.count() * Integer.BYTES);
        try (IntPointer h = new IntPointer(a.count())) {
            Cuda.check(CudaKernels.sculpt_nonfinite_flags(Cuda.base(a), a.count(), a.matrixSize(), f, Cuda.STREAM), "finite check");
            Cuda.copy(h.address(), f, (long) a.count() * Integer.BYTES, CudaKernels.D2H, "finite flags");
            h.get(flags);
        } finally {
            Cuda.freeQuietly(f);
        }
        for (int b = 0; b < flags.length; b++) {
            if (flags[b] != 0) throw new SculptException(op + ": " + what + " " + a.name(b) + " has NaN or infinite values");
        }
    }

    /** Checks that basis (u or v) is count x rows x k for the update d. */
    static void basis(MatrixBatch basis, String which, MatrixBatch d, int rows, String op) {
        if (basis == null) throw new SculptException(op + ": the basis " + which + " is null");
        if (basis.isClosed()) throw new SculptException(op + ": the basis " + which + " is closed");
        if (basis.count() != d.count() || basis.rows() != rows) {
            throw new SculptException(op + ": basis " + which + " has shape " + basis.shapeString() + " but the update "
                    + d.name(0) + " is " + d.shapeString() + " (expected " + d.count() + " x " + rows + " x k)");
        }
        if (basis.cols() < 0 || basis.cols() > rows) {
            throw new SculptException(op + ": basis " + which + " has k = " + basis.cols() + " columns, need 0 <= k <= " + rows);
        }
    }
}
