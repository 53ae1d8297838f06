package dev.sculpt.backend.cpu;

import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;

/** Validation of the CPU backend's inputs; every message names the matrix (or batch) at fault. */
final class InputChecks {
    private static final int CHUNK = 8192;

    private InputChecks() {}

    /** A non-empty, open host batch. */
    static void hostBatch(MatrixBatch a, String role) {
        if (a == null) throw new SculptException(role + " batch is null");
        if (a.isClosed()) throw new SculptException(role + " batch " + a.shapeString() + " is closed");
        if (!a.isHost()) {
            throw new SculptException(role + " batch " + describe(a) + " lives on " + a.device()
                    + "; the CPU backend takes host batches (download it first or use the CUDA backend)");
        }
        if (a.count() == 0) throw new SculptException(role + " batch is empty (0 matrices of " + a.rows() + " x " + a.cols() + ")");
    }

    /** 1 <= k <= min(m, n). */
    static void rank(MatrixBatch a, int k) {
        int r = Math.min(a.rows(), a.cols());
        if (k <= 0 || k > r) {
            throw new SculptException("rank k = " + k + " is out of range 1.." + r + " for " + describe(a)
                    + " (" + a.rows() + " x " + a.cols() + ")");
        }
    }

    /** Every value of every matrix is finite; names the first matrix and element that is not. */
    static void finite(MatrixBatch a, String role) {
        FloatBuffer buf = a.buffer();
        float[] tmp = new float[CHUNK];
        long size = a.matrixSize();
        for (int b = 0; b < a.count(); b++) {
            long base = a.offset(b);
            for (long e0 = 0; e0 < size; e0 += CHUNK) {
                int len = (int) Math.min(CHUNK, size - e0);
                buf.get(Math.toIntExact(base + e0), tmp, 0, len);
                float acc = 0f;
                for (int i = 0; i < len; i++) acc += tmp[i] - tmp[i];   // NaN as soon as one value is NaN or infinite
                if (acc != 0f || Float.isNaN(acc)) {
                    for (int i = 0; i < len; i++) {
                        if (!Float.isFinite(tmp[i])) {
                            long e = e0 + i;
                            throw new SculptException(role + " " + quoted(a, b) + " has a non-finite value (" + tmp[i]
                                    + ") at row " + e / a.cols() + ", column " + e % a.cols());
                        }
                    }
                }
            }
        }
    }

    static String quoted(MatrixBatch a, int b) {
        return "'" + a.name(b) + "'";
    }

    /** The first matrix's name, plus how many more share the batch. */
    static String describe(MatrixBatch a) {
        if (a.count() == 0) return "batch " + a.shapeString();
        String s = quoted(a, 0);
        return a.count() > 1 ? s + " (and " + (a.count() - 1) + " more in the batch)" : s;
    }
}
