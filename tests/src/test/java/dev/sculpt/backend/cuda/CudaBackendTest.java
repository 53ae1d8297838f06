package dev.sculpt.backend.cuda;

import static dev.sculpt.backend.cuda.SpectrumMatrices.decay;
import static dev.sculpt.backend.cuda.SpectrumMatrices.orthogonalityError;
import static dev.sculpt.backend.cuda.SpectrumMatrices.reconstructionError;
import static dev.sculpt.backend.cuda.SpectrumMatrices.tailNorm;
import static dev.sculpt.backend.cuda.SpectrumMatrices.withSpectrum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.Philox;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** CUDA-only checks; skipped, with the probe's reason, where there is no CUDA backend. */
class CudaBackendTest {
    private Backend gpu;
    private final long seed = new SplittableRandom().nextLong();

    /** Per test, not per class: each test is then reported as skipped with the reason (a class-level abort counts none). */
    @BeforeEach
    void needsCuda() {
        assumeTrue(Backends.cuda().isPresent(), "no CUDA backend: " + Backends.cudaUnavailableReason());
        gpu = Backends.cuda().get();
    }

    private static SvdOptions randomized(long seed) {
        return SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED).withSeed(seed);
    }

    @Test
    void sketchIsBitIdenticalToJavaPhiloxOnHostAndDevice() {
        int[][] shapes = {{3, 7, 5}, {2, 33, 129}, {1, 1, 1}};
        for (int[] sh : shapes) {
            try (MatrixBatch host = MatrixBatch.allocateHost(sh[0], sh[1], sh[2]);
                 MatrixBatch dev = gpu.allocate(sh[0], sh[1], sh[2])) {
                gpu.gaussian(host, seed);
                gpu.gaussian(dev, seed);
                try (MatrixBatch back = gpu.download(dev)) {
                    for (int b = 0; b < sh[0]; b++) {
                        for (int e = 0; e < sh[1] * sh[2]; e++) {
                            int want = Float.floatToRawIntBits(Philox.gaussian(seed, b, e));
                            int r = e / sh[2], c = e % sh[2];
                            assertEquals(want, Float.floatToRawIntBits(host.get(b, r, c)), "host copy, seed " + seed + " b " + b + " e " + e);
                            assertEquals(want, Float.floatToRawIntBits(back.get(b, r, c)), "device, seed " + seed + " b " + b + " e " + e);
                        }
                    }
                }
            }
        }
    }

    /** Singular values within tol of the prescribed ones, orthonormal factors, HMT-like reconstruction. */
    private void checkRandomized(int count, int m, int n, double[] s, int k, double svTol, String label) {
        try (MatrixBatch a = withSpectrum(count, m, n, s, seed); SvdResult r = gpu.randomizedSvd(a, k, randomized(seed))) {
            assertEquals(k, r.k());
            assertTrue(r.u().isHost() && r.s().isHost() && r.v().isHost(), "results of a host batch live on the host");
            for (int b = 0; b < count; b++) {
                for (int j = 0; j < k; j++) {
                    double got = r.s().get(b, 0, j);
                    // rounding: ROUND = 3e-5 sigma_1 as in BackendContractTest (backward-stable float32 stages, each
                    // lambda sqrt(max(m, n)) u sigma_1 <= 1.1e-5 for these sizes); svTol: the range error
                    assertEquals(s[j], got, svTol * s[j] + 3e-5 * s[0], label + ": sigma_" + j + " of matrix " + b + " (seed " + seed + ")");
                    if (j > 0) assertTrue(got <= r.s().get(b, 0, j - 1), label + ": descending");
                }
                assertTrue(orthogonalityError(r.u(), b) < 2e-4, label + ": U^T U - I = " + orthogonalityError(r.u(), b));
                assertTrue(orthogonalityError(r.v(), b) < 2e-4, label + ": V^T V - I = " + orthogonalityError(r.v(), b));
                double err = reconstructionError(a, r.u(), r.s(), r.v(), b);
                double bound = 1.5 * tailNorm(s, k) + 1e-4 * s[0] * Math.sqrt(k);
                assertTrue(err <= bound, label + ": reconstruction " + err + " > " + bound);
            }
        }
    }

    @Test
    void randomizedSvdRecoversPrescribedSpectra() {
        checkRandomized(3, 96, 64, decay(64, 0.7), 8, 1e-3, "fast decay");
        checkRandomized(2, 64, 96, decay(64, 0.8), 10, 1e-3, "wide");
        checkRandomized(2, 300, 40, decay(40, 0.75), 10, 1e-3, "tall");
        checkRandomized(1, 5, 3, new double[] {2, 1, 0.5}, 2, 1e-4, "tiny");
        double[] flat = new double[50];
        for (int i = 0; i < 50; i++) flat[i] = i < 10 ? 1.0 : 1e-3;
        checkRandomized(2, 60, 50, flat, 10, 1e-3, "flat with a gap");
    }

    @Test
    void randomizedSvdOfRankDeficientMatricesKeepsOrthonormalFactors() {
        double[] s = new double[40];
        for (int i = 0; i < 5; i++) s[i] = 5 - i;    // rank 5, asked for 12
        checkRandomized(2, 60, 40, s, 12, 1e-4, "rank-deficient");
        double[] rep = {3, 3, 3, 2, 2, 1, 0.1, 0.01, 0.001, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        checkRandomized(1, 30, 20, rep, 6, 1e-4, "repeated");
    }

    @Test
    void largeProjectedProblemGoesThroughCuSolver() {
        int k = CudaRandomizedSvd.JACOBI_MAX + 4;   // sketch k + 10 > JACOBI_MAX: syevd path
        checkRandomized(1, 320, 300, decay(300, 0.97), k, 1e-2, "large sketch");
        // the path itself: the same problem through the algorithm's entry point reports which eigensolver ran
        NativeDeviceOps ops = new NativeDeviceOps(CudaLibraries.create());
        try (MatrixBatch a = withSpectrum(1, 320, 300, decay(300, 0.97), seed); MatrixBatch da = Cuda.toDevice(a);
             DeviceArena ws = new DeviceArena(ops)) {
            long u = ws.floats(320L * k), s = ws.floats(k), v = ws.floats(300L * k);
            assertEquals(CudaRandomizedSvd.SmallSolver.SYEVD,
                    CudaRandomizedSvd.run(ops, Cuda.base(da), 1, 320, 300, k, 10, 2, 42, u, s, v));
        }
    }

    /**
     * CholeskyQr2's blocked path on the device (cusolverDnDpotrf, sculpt_cholesky_finish, cublasStrsm) against the
     * one-block kernel on the same batch, one matrix of it rank-deficient: both orthonormal and equal within the
     * float32 bounds of CholeskyQr2BlockedPathTest, the rank-deficient matrix flagged on both (Householder).
     */
    @Test
    void blockedCholeskyQr2AgreesWithTheOneBlockKernel() {
        int count = 2, rows = 400, cols = CholeskyQr2.BLOCKED_MIN_COLS + 44;
        NativeDeviceOps ops = new NativeDeviceOps(CudaLibraries.create());
        MatrixBatch[] out = new MatrixBatch[2];
        try (MatrixBatch x = CholeskyQr2BlockedPathTest.input(count, rows, cols, seed)) {
            for (int path = 0; path < 2; path++) {
                try (MatrixBatch dx = Cuda.toDevice(x); DeviceArena ws = new DeviceArena(ops)) {
                    new CholeskyQr2(ops, ws, count, rows, cols, path == 0 ? Integer.MAX_VALUE : CholeskyQr2.BLOCKED_MIN_COLS)
                            .run(Cuda.base(dx), rows, cols);
                    out[path] = MatrixBatch.allocateHost(count, rows, cols);
                    Cuda.toHost(dx, out[path]);
                }
            }
            try (MatrixBatch one = out[0]; MatrixBatch blocked = out[1]) {
                for (int b = 0; b < count; b++) {
                    double c = b == 1 ? 1 : CholeskyQr2BlockedPathTest.cond(x, b);
                    double orth = CholeskyQr2BlockedPathTest.twoPassError(cols, c);
                    assertTrue(orthogonalityError(one, b) <= orth, "one-block kernel, matrix " + b + ": " + orthogonalityError(one, b));
                    assertTrue(orthogonalityError(blocked, b) <= orth, "blocked path, matrix " + b + ": " + orthogonalityError(blocked, b));
                    double tol = 2 * (CholeskyQr2BlockedPathTest.passError(cols, c) + orth);
                    for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) {
                        assertEquals(one.get(b, i, j), blocked.get(b, i, j), tol, "matrix " + b + " (" + i + ", " + j + "), seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void exactSvdMatchesPrescribedSpectrum() {
        double[] s = decay(50, 0.9);
        try (MatrixBatch a = withSpectrum(2, 70, 50, s, seed); SvdResult r = gpu.exactSvd(a, 20)) {
            assertEquals(SvdMethod.EXACT, r.method());
            for (int b = 0; b < 2; b++) {
                // backward-stable float32 SVD: ROUND = 3e-5 sigma_1 (BackendContractTest); a wrong value is off by a gap
                for (int j = 0; j < 20; j++) assertEquals(s[j], r.s().get(b, 0, j), 3e-5 * s[0], "sigma_" + j);
                assertTrue(orthogonalityError(r.u(), b) < 1e-4);
                assertTrue(orthogonalityError(r.v(), b) < 1e-4);
                assertTrue(reconstructionError(a, r.u(), r.s(), r.v(), b) <= tailNorm(s, 20) * 1.001 + 1e-4);
            }
        }
        try (MatrixBatch a = withSpectrum(1, 30, 45, decay(30, 0.8), seed); SvdResult r = gpu.exactSvd(a, 30)) {
            assertTrue(reconstructionError(a, r.u(), r.s(), r.v(), 0) < 1e-4, "full-rank wide exact SVD reconstructs");
        }
    }

    @Test
    void deviceInputsGiveDeviceResultsEqualToTheHostPath() {
        try (MatrixBatch a = withSpectrum(2, 50, 40, decay(40, 0.8), seed);
             MatrixBatch d = gpu.upload(a);
             SvdResult onHost = gpu.randomizedSvd(a, 6, randomized(seed));
             SvdResult onDevice = gpu.randomizedSvd(d, 6, randomized(seed))) {
            assertFalse(onDevice.u().isHost());
            try (MatrixBatch u = gpu.download(onDevice.u()); MatrixBatch s = gpu.download(onDevice.s())) {
                for (int i = 0; i < u.elementCount(); i++) assertEquals(onHost.u().buffer().get(i), u.buffer().get(i));
                for (int i = 0; i < s.elementCount(); i++) assertEquals(onHost.s().buffer().get(i), s.buffer().get(i));
            }
        }
    }

    @Test
    void randomizedSvdAgreesWithTheCpuBackend() {
        double[] s = decay(48, 0.75);
        try (MatrixBatch a = withSpectrum(2, 64, 48, s, seed);
             SvdResult g = gpu.randomizedSvd(a, 8, randomized(seed));
             SvdResult c = Backends.cpu().randomizedSvd(a, 8, randomized(seed))) {
            for (int b = 0; b < 2; b++) {
                for (int j = 0; j < 8; j++) {
                    assertEquals(c.s().get(b, 0, j), g.s().get(b, 0, j), 1e-4 * s[0], "sigma_" + j);
                    double dot = 0;   // |u_cpu . u_gpu| = 1 up to sign for separated singular values
                    for (int i = 0; i < 64; i++) dot += (double) c.u().get(b, i, j) * g.u().get(b, i, j);
                    assertEquals(1.0, Math.abs(dot), 1e-3, "u_" + j);
                }
            }
        }
    }

    @Test
    void projectionsMatchTheFloat64DenseReference() {
        int count = 2, m = 40, n = 30, k = 5;
        for (ProjectionMode mode : ProjectionMode.values()) {
            for (boolean onDevice : new boolean[] {false, true}) {
                try (MatrixBatch d = SpectrumMatrices.gaussian(count, m, n, seed);
                     MatrixBatch u = SpectrumMatrices.basis(count, m, k, seed + 1);
                     MatrixBatch v = SpectrumMatrices.basis(count, n, k, seed + 2)) {
                    double[][] want = new double[count][];
                    for (int b = 0; b < count; b++) {
                        want[b] = SpectrumMatrices.projectReference(d, mode == ProjectionMode.RIGHT ? null : u,
                                mode == ProjectionMode.LEFT ? null : v, b, mode.name());
                    }
                    MatrixBatch out;
                    if (onDevice) {
                        try (MatrixBatch dd = gpu.upload(d); MatrixBatch uu = gpu.upload(u); MatrixBatch vv = gpu.upload(v)) {
                            gpu.project(dd, uu, vv, mode);
                            gpu.project(dd, uu, vv, mode);   // idempotent
                            out = gpu.download(dd);
                        }
                    } else {
                        gpu.project(d, u, v, mode);
                        out = d;
                    }
                    for (int b = 0; b < count; b++) {
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                assertEquals(want[b][i * n + j], out.get(b, i, j), 2e-5 * Math.sqrt(m * n),
                                        mode + (onDevice ? " on device" : " on host") + " at " + b + "," + i + "," + j);
                            }
                        }
                    }
                    if (out != d) out.close();
                }
            }
        }
    }

    @Test
    void badInputIsRejectedWithTheCulpritNamed() {
        try (MatrixBatch a = SpectrumMatrices.gaussian(3, 8, 6, seed).withNames("w0", "w1", "w2")) {
            a.set(1, 2, 3, Float.NaN);
            SculptException e = assertThrows(SculptException.class, () -> gpu.randomizedSvd(a, 2, randomized(seed)));
            assertTrue(e.getMessage().contains("w1"), e.getMessage());
            try (MatrixBatch d = gpu.upload(a)) {
                e = assertThrows(SculptException.class, () -> gpu.exactSvd(d, 2));
                assertTrue(e.getMessage().contains("w1"), e.getMessage());
            }
            a.set(1, 2, 3, 1f);
            assertThrows(SculptException.class, () -> gpu.randomizedSvd(a, 0, randomized(seed)));
            assertThrows(SculptException.class, () -> gpu.randomizedSvd(a, 7, randomized(seed)));
            assertThrows(SculptException.class, () -> gpu.exactSvd(a, 7));
            try (MatrixBatch u = SpectrumMatrices.basis(3, 7, 2, seed); MatrixBatch v = SpectrumMatrices.basis(3, 6, 2, seed)) {
                assertThrows(SculptException.class, () -> gpu.project(a, u, v, ProjectionMode.TWO_SIDED));
            }
        }
        try (MatrixBatch empty = MatrixBatch.allocateHost(0, 4, 4)) {
            assertThrows(SculptException.class, () -> gpu.randomizedSvd(empty, 1, randomized(seed)));
        }
    }
}
