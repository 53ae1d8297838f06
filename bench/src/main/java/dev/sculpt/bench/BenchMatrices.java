package dev.sculpt.bench;

import dev.sculpt.backend.Backends;
import dev.sculpt.tensor.MatrixBatch;
import java.nio.FloatBuffer;

/**
 * Weight-like test matrices: Gaussian entries with column j scaled by 1/sqrt(1 + j/32), so the spectrum
 * decays gently from a few large singular values, as in trained projection weights (sigma_1/sigma_k of
 * roughly 4 to 10 at k = n/4). Generated from the Philox sketch so every run sees the same matrices.
 */
final class BenchMatrices {
    private BenchMatrices() {}

    static int[] shape(String s) {
        String[] p = s.split("x");
        return new int[] {Integer.parseInt(p[0]), Integer.parseInt(p[1])};
    }

    static MatrixBatch weightLike(int count, int m, int n, long seed) {
        MatrixBatch a = MatrixBatch.allocateHost(count, m, n);
        Backends.cpu().gaussian(a, seed);
        FloatBuffer buf = a.buffer();
        float[] scale = new float[n];
        for (int j = 0; j < n; j++) scale[j] = (float) (1 / Math.sqrt(1 + j / 32.0));
        float[] row = new float[n];
        for (long r = 0; r < (long) count * m; r++) {
            int off = Math.toIntExact(r * n);
            buf.get(off, row, 0, n);
            for (int j = 0; j < n; j++) row[j] *= scale[j];
            buf.put(off, row, 0, n);
        }
        return a;
    }

    /** k = min(m, n) / kDiv. */
    static int rank(int m, int n, int kDiv) {
        return Math.min(m, n) / kDiv;
    }
}
