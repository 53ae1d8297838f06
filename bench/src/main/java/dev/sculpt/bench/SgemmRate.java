package dev.sculpt.bench;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas.cblas_sgemm;

import dev.sculpt.backend.Backends;
import dev.sculpt.tensor.MatrixBatch;
import java.util.Arrays;

/**
 * The machine's sgemm rate, measured in the benchmark's own JVM just before its trial: OpenBLAS sgemm of
 * two 2048 x 2048 matrices with the default thread count, two runs to warm up, then the median of five.
 * The floors of the other benchmarks are their flop counts divided by this rate.
 */
public final class SgemmRate {
    public static final int N = 2048;

    private SgemmRate() {}

    /** Floating-point operations per second. */
    public static double measure() {
        try (MatrixBatch ab = MatrixBatch.allocateHost(2, N, N); MatrixBatch c = MatrixBatch.allocateHost(1, N, N)) {
            Backends.cpu().gaussian(ab, 42);
            double[] t = new double[7];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, N, N, 1f, ab.pointer(0), N, ab.pointer(1), N, 0f,
                        c.pointer(0), N);
                t[i] = (System.nanoTime() - t0) / 1e9;
            }
            double[] timed = Arrays.copyOfRange(t, 2, t.length);
            Arrays.sort(timed);
            return 2.0 * N * N * N / timed[timed.length / 2];
        }
    }
}
