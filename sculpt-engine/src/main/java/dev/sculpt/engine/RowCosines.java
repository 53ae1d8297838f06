package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.ops.HostCopy;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * The sum over rows of cos(a_i, b_i) for two activations [n, d] on a provider (layer importance: a block's input
 * against its output). The three row-wise dot products run as batched gemms ([1, d] x [d, 1] per row) into
 * [n] buffers; only those 3n floats come to the host, where the cosines are formed in double.
 */
public final class RowCosines {
    private RowCosines() {}

    /** {@code sum_i a_i.b_i / (|a_i| |b_i|)}, a zero row contributing 0. */
    public static double sum(Ops ops, Arena arena, Tensor a, Tensor b) {
        if (a.rank() != 2 || !java.util.Arrays.equals(a.shape(), b.shape())) {
            throw new SculptException("row cosines need two equal-shape matrices, got " + a.describe() + " and " + b.describe());
        }
        int n = a.dim(0), d = a.dim(1);
        if (n == 0) return 0;
        float[] ab = dots(ops, arena.get("scratch.cos.ab", n), a, b, n, d);
        float[] aa = dots(ops, arena.get("scratch.cos.aa", n), a, a, n, d);
        float[] bb = dots(ops, arena.get("scratch.cos.bb", n), b, b, n, d);
        double s = 0;
        for (int i = 0; i < n; i++) {
            double den = Math.sqrt(aa[i]) * Math.sqrt(bb[i]);
            s += den == 0 ? 0 : ab[i] / den;
        }
        return s;
    }

    private static float[] dots(Ops ops, Tensor out, Tensor x, Tensor y, int n, int d) {
        ops.gemm(false, true, n, 1, 1, d, 1f, x, 0, d, d, y, 0, d, d, 0f, out, 0, 1, 1);
        return HostCopy.toArray(ops, out);
    }
}
