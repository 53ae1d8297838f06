package dev.sculpt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.plan.MemoryPlanner;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The memory plan's task start ({@link MemoryPlanner#taskStartBytes}) against what the CUDA backend's batched
 * randomized SVD really allocates, run on the Java emulation of the device operations, which counts every byte asked
 * of malloc: the batch's device copy and its factors (as CudaBackend allocates them), then CudaRandomizedSvd's
 * workspaces. On the Jacobi path (l <= 256) the plan is every requested byte, exactly. On the cuSOLVER path
 * (l > 256: syevd and the blocked Cholesky) the plan adds an allowance for cuSOLVER's own buffers, 1 + 6 l + 2 l^2
 * doubles for each of syevd and potrf, of which the emulation asks only potrf's 2 l + 7 doubles (per CholeskyQR2
 * workspace): the plan must cover every requested byte and exceed it by no more than the two allowances.
 */
class TaskStartPlanTest {
    @ParameterizedTest
    @CsvSource({"3, 96, 64, 16", "2, 40, 120, 30", "2, 300, 290, 270"})
    void planCoversEveryBufferTheBackendAllocates(int count, int m, int n, int k) {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(64 << 20);
        long a = ops.malloc(4L * count * m * n);   // CudaBackend.svd: the device copy of a host batch, then U, S, V
        long u = ops.malloc(4L * count * m * k), s = ops.malloc(4L * count * k), v = ops.malloc(4L * count * n * k);
        ops.philoxFill(a, count, m, n, 5);
        CudaRandomizedSvd.SmallSolver solver = CudaRandomizedSvd.run(ops, a, count, m, n, k, 10, 2, 7, u, s, v);
        long planned = MemoryPlanner.taskStartBytes(count, m, n, k, 10)[0];
        int l = Math.min(k + 10, Math.min(m, n));
        String what = count + " x " + m + " x " + n + ", k " + k + ", l " + l + ", " + solver + ": plan " + planned + ", requested " + ops.requestedBytes;
        System.out.println(what);
        if (solver == CudaRandomizedSvd.SmallSolver.JACOBI) {
            assertEquals(ops.requestedBytes, planned, what);
        } else {
            assertTrue(ops.blockedCholeskyCalls > 0, "the blocked Cholesky path ran: " + what);
            long allowance = 2 * 8L * (1 + 6L * l + 2L * l * l);
            assertTrue(planned >= ops.requestedBytes && planned - ops.requestedBytes <= allowance, what + ", allowance " + allowance);
        }
    }
}
