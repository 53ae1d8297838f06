package dev.sculpt.bench;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * The GEMM rate an ops provider reaches on one product shape, for the script-run benchmarks' floors: {@code y = x w^T}
 * ([rows, inner] x [cols, inner]^T; x and w float32 or bf16, y float32) ten times per timing, so that the one wait for
 * the device (a reduction of one element, which synchronizes) is shared; the median of {@code reps} timings after a
 * warm-up.
 */
public final class ProviderGemmRate {
    private static final int PRODUCTS = 10;

    private ProviderGemmRate() {}

    /** Flop per ms of {@code y = x w^T} on {@code ops}. */
    public static double flopPerMs(Ops ops, Tensor x, Tensor w, Tensor y, int reps) {
        if (reps < 1) throw new IllegalArgumentException("reps must be >= 1, got " + reps);
        double[] ms = new double[reps];
        for (int i = -1; i < reps; i++) {
            ops.sum(y.view("sync", 0, 1));
            long t0 = System.nanoTime();
            for (int j = 0; j < PRODUCTS; j++) ops.matmul(false, true, 1f, x, w, 0f, y);
            ops.sum(y.view("sync", 0, 1));
            if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return PRODUCTS * 2.0 * x.dim(0) * x.dim(1) * w.dim(0) / Timings.median(ms);
    }
}
