package dev.sculpt.backend.cuda;

import static dev.sculpt.backend.cuda.SpectrumMatrices.decay;
import static dev.sculpt.backend.cuda.SpectrumMatrices.orthogonalityError;
import static dev.sculpt.backend.cuda.SpectrumMatrices.reconstructionError;
import static dev.sculpt.backend.cuda.SpectrumMatrices.tailNorm;
import static dev.sculpt.backend.cuda.SpectrumMatrices.withSpectrum;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Runs the CUDA backend's algorithms (randomized SVD, exact SVD, projections) unchanged on
 * {@link EmulatedDeviceOps}, a Java emulation of the device contract with cuBLAS's column-major semantics, so
 * that their layouts, leading dimensions, strides, operand orders and fallbacks are checked on every machine.
 * The kernels themselves are checked on a GPU by CudaBackendTest.
 */
class EmulatedCudaPipelineTest {
    private final long seed = new SplittableRandom().nextLong();

    private record Factors(MatrixBatch u, MatrixBatch s, MatrixBatch v) implements AutoCloseable {
        @Override
        public void close() {
            u.close();
            s.close();
            v.close();
        }
    }

    private Factors randomized(EmulatedDeviceOps ops, MatrixBatch a, int k, int p, int q) {
        return randomized(ops, a, k, p, q, CudaRandomizedSvd.SmallSolver.JACOBI);
    }

    /** Runs the randomized SVD and asserts which eigensolver took the projected l x l problem. */
    private Factors randomized(EmulatedDeviceOps ops, MatrixBatch a, int k, int p, int q, CudaRandomizedSvd.SmallSolver expected) {
        int c = a.count(), m = a.rows(), n = a.cols();
        long da = ops.upload(a);
        long u = ops.malloc(4L * c * m * k), s = ops.malloc(4L * c * k), v = ops.malloc(4L * c * n * k);
        CudaRandomizedSvd.SmallSolver used = CudaRandomizedSvd.run(ops, da, c, m, n, k, p, q, seed, u, s, v);
        assertEquals(expected, used, "eigensolver for a sketch of width " + CudaRandomizedSvd.sketchWidth(m, n, k, p));
        return new Factors(ops.download(u, c, m, k), ops.download(s, c, 1, k), ops.download(v, c, n, k));
    }

    private void check(Factors f, MatrixBatch a, double[] s, int k, double svTol, String label) {
        for (int b = 0; b < a.count(); b++) {
            for (int j = 0; j < k; j++) {
                // rounding: ROUND = 3e-5 sigma_1 as in BackendContractTest; svTol: the range error of the sketch
                assertEquals(s[j], f.s().get(b, 0, j), svTol * s[j] + 3e-5 * s[0], label + ": sigma_" + j + " (seed " + seed + ")");
            }
            assertTrue(orthogonalityError(f.u(), b) < 2e-4, label + ": U^T U - I = " + orthogonalityError(f.u(), b));
            assertTrue(orthogonalityError(f.v(), b) < 2e-4, label + ": V^T V - I = " + orthogonalityError(f.v(), b));
            double err = reconstructionError(a, f.u(), f.s(), f.v(), b);
            double bound = 1.5 * tailNorm(s, k) + 1e-4 * s[0] * Math.sqrt(k);
            assertTrue(err <= bound, label + ": reconstruction " + err + " > " + bound);
        }
    }

    @Test
    void randomizedSvdOrchestrationRecoversSpectra() {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(64 << 20);
        double[] fast = decay(40, 0.7);
        try (MatrixBatch a = withSpectrum(2, 48, 40, fast, seed); Factors f = randomized(ops, a, 6, 10, 2)) {
            check(f, a, fast, 6, 1e-3, "tall batch");
        }
        try (MatrixBatch a = withSpectrum(2, 40, 56, fast, seed); Factors f = randomized(ops, a, 6, 10, 1)) {
            check(f, a, fast, 6, 1e-3, "wide batch");
        }
        assertEquals(0, ops.householderCalls, "well-conditioned sketches need no Householder fallback");
    }

    /** Same Philox sketch and the same operator orientation as the CPU backend: the same factors up to rounding. */
    @Test
    void agreesWithTheCpuBackendOnTheSameSeed() {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(64 << 20);
        double[] s = decay(40, 0.7);
        for (int[] sh : new int[][] {{50, 40}, {40, 50}}) {
            int m = sh[0], n = sh[1], k = 6;
            try (MatrixBatch a = withSpectrum(2, m, n, s, seed); Factors g = randomized(ops, a, k, 10, 2);
                 SvdResult c = Backends.cpu().randomizedSvd(a, k,
                         SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED).withSeed(seed))) {
                for (int b = 0; b < 2; b++) {
                    for (int j = 0; j < k; j++) {
                        // each float32 pipeline is within ROUND = 3e-5 sigma_1 of the truth (BackendContractTest: backward
                        // stable, lambda sqrt(max(m, n)) u per stage), so they differ by at most twice that; the
                        // vectors then agree to sin(angle) <= 6e-5 / 0.3 (relative gap of the 0.7^i spectrum), so
                        // 1 - |<u_c, u_g>| ~ 2e-8 against 1e-4. A different sketch or orientation is O(1) off.
                        assertEquals(c.s().get(b, 0, j), g.s().get(b, 0, j), 6e-5 * s[0], m + "x" + n + " sigma_" + j);
                        double du = 0, dv = 0;
                        for (int i = 0; i < m; i++) du += (double) c.u().get(b, i, j) * g.u().get(b, i, j);
                        for (int i = 0; i < n; i++) dv += (double) c.v().get(b, i, j) * g.v().get(b, i, j);
                        assertEquals(1.0, Math.abs(du), 1e-4, m + "x" + n + " u_" + j);
                        assertEquals(1.0, Math.abs(dv), 1e-4, m + "x" + n + " v_" + j);
                        assertTrue(du * dv > 0, "u_j and v_j flip sign together");
                    }
                }
            }
        }
    }

    /**
     * The intermediate panels get one pass (double Gram and Cholesky, float product): a well-conditioned basis of
     * the same span, orthonormal to about u cond; the final basis gets two and is orthonormal to float rounding.
     */
    @Test
    void onePassKeepsTheSpanAndTwoPassesOrthonormalise() {
        double[] s = new double[40];
        for (int i = 0; i < 40; i++) s[i] = Math.pow(10, -3.0 * i / 39);   // cond 1e3
        for (boolean full : new boolean[] {false, true}) {
            EmulatedDeviceOps ops = new EmulatedDeviceOps(16 << 20);
            try (MatrixBatch x = withSpectrum(2, 200, 40, s, seed); DeviceArena ws = new DeviceArena(ops)) {
                long y = ops.upload(x);
                CholeskyQr2 orth = new CholeskyQr2(ops, ws, 2, 200, 40);
                if (full) orth.run(y, 200, 40); else orth.spanBasis(y, 200, 40);
                try (MatrixBatch q = ops.download(y, 2, 200, 40)) {
                    for (int b = 0; b < 2; b++) {
                        double orthErr = orthogonalityError(q, b);
                        String label = (full ? "two passes" : "one pass") + ", matrix " + b + ", seed " + seed;
                        assertTrue(orthErr < (full ? 1e-5 : 1e-3), label + ": Q^T Q - I = " + orthErr);
                        if (!full) assertTrue(orthErr > 1e-7, label + ": one pass cannot be this orthonormal: " + orthErr);
                        dev.sculpt.backend.DenseF64 xb = dev.sculpt.backend.DenseF64.of(x, b);
                        dev.sculpt.backend.DenseF64 basis = dev.sculpt.backend.DenseF64.of(q, b).svd().u().leftColumns(40);
                        double outside = xb.minus(basis.times(basis.transpose().times(xb))).frobenius() / xb.frobenius();
                        assertTrue(outside < 1e-5, label + ": X outside span(Q) " + outside);
                    }
                }
            }
        }
    }

    @Test
    void rankDeficientInputsTakeTheHouseholderFallbackAndStayOrthonormal() {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(64 << 20);
        double[] s = new double[30];
        for (int i = 0; i < 4; i++) s[i] = 4 - i;   // rank 4, asked for 10
        try (MatrixBatch a = withSpectrum(2, 36, 30, s, seed); Factors f = randomized(ops, a, 10, 6, 2)) {
            check(f, a, s, 10, 1e-4, "rank-deficient");
        }
        assertTrue(ops.householderCalls > 0, "rank deficiency must trigger the Householder fallback");
    }

    @Test
    void largeSketchUsesTheSolverPath() {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(64 << 20);
        int k = CudaRandomizedSvd.JACOBI_MAX - 4;   // k + p = JACOBI_MAX + 6
        double[] s = decay(264, 0.95);
        try (MatrixBatch a = withSpectrum(1, 280, 264, s, seed);
             Factors f = randomized(ops, a, k, 10, 1, CudaRandomizedSvd.SmallSolver.SYEVD)) {
            check(f, a, s, k, 2e-2, "large sketch");
        }
        assertEquals(1, ops.symmetricEigenCalls, "one syevd call per matrix in the batch");
    }

    @Test
    void exactSvdOrchestrationHandlesTallAndWide() {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(16 << 20);
        for (int[] sh : new int[][] {{2, 30, 20}, {2, 20, 30}}) {
            int c = sh[0], m = sh[1], n = sh[2], k = 7;
            double[] s = decay(Math.min(m, n), 0.8);
            try (MatrixBatch a = withSpectrum(c, m, n, s, seed)) {
                long da = ops.upload(a);
                long u = ops.malloc(4L * c * m * k), sv = ops.malloc(4L * c * k), v = ops.malloc(4L * c * n * k);
                CudaExactSvd.run(ops, da, c, m, n, k, u, sv, v);
                try (Factors f = new Factors(ops.download(u, c, m, k), ops.download(sv, c, 1, k), ops.download(v, c, n, k))) {
                    for (int b = 0; b < c; b++) {
                        for (int j = 0; j < k; j++) assertEquals(s[j], f.s().get(b, 0, j), 1e-5, m + "x" + n + " sigma_" + j);
                        assertTrue(reconstructionError(a, f.u(), f.s(), f.v(), b) <= tailNorm(s, k) * 1.001 + 1e-4, m + "x" + n);
                    }
                }
            }
        }
    }

    /** Both update paths: the fused kernel's contract and the beta = 1 cuBLAS GEMMs. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void projectionOrchestrationMatchesTheDenseReference(boolean fused) {
        EmulatedDeviceOps ops = new EmulatedDeviceOps(16 << 20);
        int c = 2, m = 14, n = 11, k = 3;
        for (ProjectionMode mode : ProjectionMode.values()) {
            try (MatrixBatch d = SpectrumMatrices.gaussian(c, m, n, seed); MatrixBatch u = SpectrumMatrices.basis(c, m, k, seed + 1);
                 MatrixBatch v = SpectrumMatrices.basis(c, n, k, seed + 2)) {
                long dd = ops.upload(d), du = ops.upload(u), dv = ops.upload(v);
                CudaProjection.run(ops, mode, dd, du, dv, c, m, n, k, fused);
                try (MatrixBatch out = ops.download(dd, c, m, n)) {
                    for (int b = 0; b < c; b++) {
                        double[] want = SpectrumMatrices.projectReference(d, u, v, b, mode.name());
                        // each element chains at most N = m + n + 2k = 31 roundings on a scale of |d| plus the three
                        // projected terms, each <= k max|U^T D| ~ 3 * 4 for N(0, 1) data: ~40 at most; with
                        // FloatBounds.probable(31) = 3.3e-6 that is 1.3e-4. A missing term is O(1).
                        for (int i = 0; i < m * n; i++) {
                            assertEquals(want[i], out.get(b, i / n, i % n), 2e-4, (fused ? "fused " : "cuBLAS ") + mode + " element " + i + " of matrix " + b);
                        }
                    }
                }
            }
        }
    }
}
