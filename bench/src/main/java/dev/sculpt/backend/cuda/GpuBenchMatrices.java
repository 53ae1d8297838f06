package dev.sculpt.backend.cuda;

import dev.sculpt.backend.Backends;
import dev.sculpt.tensor.MatrixBatch;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Inputs of {@link GpuBenchmark}: large batches with a prescribed, roughly geometric spectrum. */
final class GpuBenchMatrices {
    private GpuBenchMatrices() {}

    /**
     * A large batch with singular values ratio^i, built fast (O(m n) per singular pair would be too slow at
     * benchmark sizes): A = G1 diag(s) G2^T / sqrt(m n) with Gaussian G1 (m x r), G2 (n x r), r = min(m, n),
     * whose singular values follow s roughly. Good enough to time; accuracy is compared against cuSOLVER.
     */
    static MatrixBatch withSpectrum(int count, int m, int n, double ratio, long seed) {
        return withSpectrum(count, m, n, ratio, 256, seed);
    }

    /**
     * {@link #withSpectrum(int, int, int, double, long)} with the leading {@code lead} directions carrying the
     * spectrum (256 there); RandomizedSvdBenchSpectrumTest scales it down with this.
     */
    static MatrixBatch withSpectrum(int count, int m, int n, double ratio, int lead, long seed) {
        int r = Math.min(m, n);
        SplittableRandom rnd = new SplittableRandom(seed);
        MatrixBatch a = MatrixBatch.allocateHost(count, m, n);
        float[] g1 = new float[m * r], g2 = new float[n * r];
        float[] row = new float[n];
        for (int b = 0; b < count; b++) {
            for (int i = 0; i < g1.length; i++) g1[i] = (float) (rnd.nextGaussian() * Math.pow(ratio, i % r) / Math.sqrt(m));
            for (int i = 0; i < g2.length; i++) g2[i] = (float) (rnd.nextGaussian() / Math.sqrt(n));
            for (int i = 0; i < m; i++) {
                Arrays.fill(row, 0f);
                for (int t = 0; t < Math.min(r, lead); t++) {   // the leading directions carry the spectrum
                    float x = g1[i * r + t];
                    for (int j = 0; j < n; j++) row[j] += x * g2[j * r + t];
                }
                for (int j = 0; j < n; j++) row[j] += 1e-3f * (float) rnd.nextGaussian() / (float) Math.sqrt(n);
                a.buffer().put((int) a.offset(b) + i * n, row);
            }
        }
        return a;
    }

    /** Standard Gaussian entries from the CPU backend's Philox generator. */
    static MatrixBatch gaussian(int count, int rows, int cols, long seed) {
        MatrixBatch x = MatrixBatch.allocateHost(count, rows, cols);
        Backends.cpu().gaussian(x, seed);
        return x;
    }
}
