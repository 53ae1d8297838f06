package dev.sculpt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * GpuBenchmark's accuracy columns (GpuBenchmark.sigmaErrors) at a small size, off the GPU: the CPU backend's and the
 * CUDA orchestration's (on {@link EmulatedDeviceOps}) randomized SVD with the benchmark's options on a scaled copy of
 * its input. Against the float64 algorithm on the same sketch (RandomizedSvdF64) both float32 pipelines are within
 * ROUND = 3e-5 sigma_1 (backward stable, BackendContractTest's bound); a different sketch or a wrong kernel moves the
 * trailing sigmas by the algorithm's own error, O(1e-2) of sigma_k here.
 */
class GpuBenchmarkAccuracyTest {
    private final long seed = new SplittableRandom().nextLong();

    @Test
    void float64AlgorithmColumnSeparatesCodeFromAlgorithm() {
        int count = 2, m = 96, n = 80, lead = 24, r = Math.min(m, n);
        SvdOptions opts = GpuBenchmark.randomizedOptions();
        try (MatrixBatch a = GpuBenchMatrices.withSpectrum(count, m, n, Math.pow(0.995, 256.0 / lead), lead, seed);
             SvdResult exact = Backends.cpu().exactSvd(a, r)) {
            float[] s = exact.s().toArray();
            for (int k : new int[] {r / 8, r / 4, r / 2}) {
                float[] cpu;
                try (SvdResult res = Backends.cpu().randomizedSvd(a, k, opts)) {
                    cpu = res.s().toArray();
                }
                EmulatedDeviceOps ops = new EmulatedDeviceOps(16 << 20);
                long da = ops.upload(a);
                long u = ops.malloc(4L * count * m * k), sv = ops.malloc(4L * count * k), v = ops.malloc(4L * count * n * k);
                CudaRandomizedSvd.run(ops, da, count, m, n, k, opts.oversample(), opts.powerIters(), opts.seed(), u, sv, v);
                float[] emulated = ops.readFloats(sv, count * k);
                for (float[] est : new float[][] {cpu, emulated}) {
                    double[] err = GpuBenchmark.sigmaErrors(a, s, est, k, opts);
                    String label = (est == cpu ? "cpu" : "cuda (emulated)") + ", k = " + k + ", seed " + seed;
                    System.out.printf("%s: max rel err vs exact %.1e, vs float64 algorithm %.1e sigma_1%n", label, err[0], err[1]);
                    assertTrue(Double.isFinite(err[0]), label + ": error against the exact values " + err[0]);
                    assertTrue(err[1] < 3e-5, label + ": against the float64 algorithm " + err[1]);
                }
            }
        }
    }
}
