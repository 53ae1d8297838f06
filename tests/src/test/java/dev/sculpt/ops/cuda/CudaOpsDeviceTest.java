package dev.sculpt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.backend.cuda.CudaProbe;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code cuda} provider's device side beyond the shared contract suite: the caching arena on real device memory,
 * running out of it, and a gemm of a size where cuBLAS picks its tiled kernels, against the cpu provider. Skipped, with
 * the probe's reason, where CUDA is not usable.
 */
class CudaOpsDeviceTest {
    private final long seed = new SplittableRandom().nextLong();

    @BeforeEach
    void needsCuda() {
        assumeTrue(CudaProbe.usable(), "no usable CUDA: " + CudaProbe.unavailableReason());
    }

    @Test
    void theArenaReusesDeviceBlocksAndRunningOutNamesTheTensor() {
        try (CudaOps ops = new CudaOps(CudaOps.CUDA, new GpuRuntime())) {
            long first;
            try (Tensor a = ops.allocate("activations", 1024, 1024)) {
                first = a.deviceAddress();
            }
            long allocations = ops.arena().runtimeAllocations();
            try (Tensor b = ops.allocate("gradients", 1000, 1040)) {   // 4 160 000 bytes: the 4 MiB class again
                assertEquals(first, b.deviceAddress(), "the freed device block is reused");
                assertEquals(allocations, ops.arena().runtimeAllocations());
                assertEquals(0.0, ops.sumOfSquares(b), "a reused block is zero-filled");
            }
            // 2^36 floats = 256 GiB: more than any single GPU of today holds
            SculptException e = assertThrows(SculptException.class, () -> ops.allocate("too large", 64, 1 << 30));
            assertTrue(e.getMessage().contains("'too large'") && e.getMessage().contains(String.valueOf(4L << 36)), e.getMessage());
            // a failed allocation leaves no error behind for the next kernel
            try (Tensor x = ops.allocate("after", 3, 5)) {
                ops.reluForward(x, x);
                assertEquals(0.0, ops.sum(x));
            }
        }
    }

    @Test
    void largeStridedBatchedGemmMatchesTheCpuProvider() {
        int batch = 3, m = 300, n = 257, k = 513;
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[batch * k * m], b = new float[k * n], c = new float[batch * m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < b.length; i++) b[i] = (float) (r.nextDouble() * 2 - 1);
        for (int i = 0; i < c.length; i++) c[i] = (float) (r.nextDouble() * 2 - 1);
        float[][] results = new float[2][];
        String[] providers = {"cpu", "cuda"};
        for (int p = 0; p < 2; p++) {
            try (Ops ops = OpsProviders.create(providers[p]);
                 Tensor ha = Tensor.ofHost("A", a, batch * k, m); Tensor hb = Tensor.ofHost("B", b, k, n);
                 Tensor hc = Tensor.ofHost("C", c, batch * m, n);
                 Tensor da = ops.upload(ha, "A"); Tensor db = ops.upload(hb, "B"); Tensor dc = ops.upload(hc, "C")) {
                // C_i = 0.5 A_i^T B + 2 C_i, B broadcast over the batch (stride 0)
                ops.gemm(true, false, batch, m, n, k, 0.5f, da, 0, m, (long) k * m, db, 0, n, 0, 2f, dc, 0, n, (long) m * n);
                try (Tensor back = ops.download(dc, "C (host)")) {
                    results[p] = back.toArray();
                }
            }
        }
        // both sum k products of terms |a b| <= 1 in float32: each differs from the exact value by at most
        // gamma(k + 2) (0.5 k + 2), so from each other by twice that
        double u = Math.ulp(1.0f) / 2, gamma = (k + 2) * u / (1 - (k + 2) * u), bound = 2 * gamma * (0.5 * k + 2);
        for (int i = 0; i < c.length; i++) {
            assertTrue(Math.abs(results[0][i] - results[1][i]) <= bound,
                    "element " + i + ": cpu " + results[0][i] + " vs cuda " + results[1][i] + " (bound " + bound + ", seed " + seed + ")");
        }
    }
}
