package dev.sculpt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.FloatBounds;
import dev.sculpt.SculptException;
import dev.sculpt.backend.DenseF64;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.tensor.MatrixBatch;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

/** What only the CPU backend has: host-only input, its QR fallback, its scheduling, its thread handling. */
class CpuBackendTest {
    private final CpuBackend cpu = new CpuBackend();

    @Test
    void deviceBatchesAreRejected() {
        try (MatrixBatch dev = MatrixBatch.wrapDevice(1, 8, 6, 0x1000L, null).withNames("enc.wo");
             MatrixBatch host = MatrixBatch.allocateHost(1, 8, 6)) {
            SculptException e = assertThrows(SculptException.class, () -> cpu.randomizedSvd(dev, 2, SvdOptions.defaults()));
            assertTrue(e.getMessage().contains("enc.wo") && e.getMessage().contains("host"), e.getMessage());
            assertThrows(SculptException.class, () -> cpu.exactSvd(dev, 2));
            assertThrows(SculptException.class, () -> cpu.gaussian(dev, 1));
            try (MatrixBatch u = MatrixBatch.allocateHost(1, 8, 2); MatrixBatch v = MatrixBatch.allocateHost(1, 6, 2)) {
                assertThrows(SculptException.class, () -> cpu.project(dev, u, v, ProjectionMode.TWO_SIDED));
            }
        }
    }

    @Test
    void choleskyQr2OrthonormalisesAWellConditionedPanel() {
        long seed = new SplittableRandom().nextLong();
        DenseF64 x = DenseF64.gaussian(200, 30, new SplittableRandom(seed));
        DenseF64 q = runQr(x, TallSkinnyQr.Path.CHOLESKY_QR2, seed);
        assertOrthonormalWithSameSpan(x, q, seed);
    }

    @Test
    void householderTakesOverForARankDeficientPanel() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        // rank 10 in a 200 x 30 panel: the Gram matrix is singular
        DenseF64 x = DenseF64.gaussian(200, 10, rnd).times(DenseF64.gaussian(10, 30, rnd));
        DenseF64 q = runQr(x, TallSkinnyQr.Path.HOUSEHOLDER, seed);
        assertOrthonormalWithSameSpan(x, q, seed);
    }

    @Test
    void householderTakesOverForAnIllConditionedPanel() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] s = new double[30];
        for (int i = 0; i < 30; i++) s[i] = Math.pow(10, -6.0 * i / 29);   // cond 1e6, beyond CholeskyQR2 in float
        DenseF64 x = DenseF64.withSpectrum(200, 30, s, rnd).roundedToFloat();
        DenseF64 q = runQr(x, TallSkinnyQr.Path.HOUSEHOLDER, seed);
        DenseF64 qtq = q.transpose().times(q).minus(DenseF64.identity(30));
        assertTrue(qtq.maxAbs() < 1e-5, "||Q^T Q - I|| = " + qtq.maxAbs() + " (seed " + seed + ")");
    }

    @Test
    void aWellConditionedIntermediatePanelGetsOnePassThatKeepsItsSpan() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] s = new double[40];
        for (int i = 0; i < 40; i++) s[i] = Math.pow(10, -1.5 * i / 39);   // cond ~30, as in power iterations
        DenseF64 x = DenseF64.withSpectrum(300, 40, s, rnd).roundedToFloat();
        QrRun run = runQr(x, true);
        DenseF64 q = run.q();
        assertEquals(TallSkinnyQr.Path.CHOLESKY_QR, run.path(), "seed " + seed);
        double orth = q.transpose().times(q).minus(DenseF64.identity(40)).maxAbs();
        assertTrue(orth < 0.06, "||Q^T Q - I|| = " + orth + " (seed " + seed + ")");
        assertInSpan(x, q.svd().u().leftColumns(40), seed);   // Q need not be orthonormal: its float64 basis
    }

    @Test
    void anIllConditionedIntermediatePanelIsFullyOrthonormalised() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] s = new double[40];
        for (int i = 0; i < 40; i++) s[i] = Math.pow(10, -3.5 * i / 39);   // cond ~3e3: one pass would leave ~0.5
        DenseF64 x = DenseF64.withSpectrum(300, 40, s, rnd).roundedToFloat();
        QrRun run = runQr(x, true);
        assertTrue(run.path() != TallSkinnyQr.Path.CHOLESKY_QR, "one pass accepted at cond 3e3 (seed " + seed + ")");
        assertOrthonormalWithSameSpan(x, run.q(), seed);
    }

    private record QrRun(TallSkinnyQr.Path path, DenseF64 q) {}

    private static DenseF64 runQr(DenseF64 x, TallSkinnyQr.Path expected, long seed) {
        QrRun run = runQr(x, false);
        assertEquals(expected, run.path(), "seed " + seed);
        return run.q();
    }

    /** TallSkinnyQr on a copy of x: orthonormalize, or spanBasis when {@code spanOnly}. */
    private static QrRun runQr(DenseF64 x, boolean spanOnly) {
        try (Workspace ws = new Workspace(); MatrixBatch b = MatrixBatch.allocateHost(1, x.rows, x.cols)) {
            x.into(b, 0);
            TallSkinnyQr qr = new TallSkinnyQr(ws, x.cols);
            FloatPointer p = b.pointer(0);
            TallSkinnyQr.Path path = spanOnly ? qr.spanBasis(p, x.rows, x.cols) : qr.orthonormalize(p, x.rows, x.cols);
            return new QrRun(path, DenseF64.of(b, 0));
        }
    }

    /**
     * Householder QR and CholeskyQR2 (float64 Gram) are orthonormal to c n u independent of the condition
     * (Higham 19.3; Yamamoto et al. 2015 for CholeskyQR2), n <= 48 columns: 48 u = 2.9e-6, so 1e-5 leaves a factor
     * 3.5; a QR that skips its second pass leaves u cond^2 (0.5 at cond 3e3, above), a wrong column O(1). The
     * span: X - Q Q^T X is the backward error of the factorization, the same c n u relative to ||X||.
     */
    private static void assertOrthonormalWithSameSpan(DenseF64 x, DenseF64 q, long seed) {
        double orth = q.transpose().times(q).minus(DenseF64.identity(q.cols)).maxAbs();
        assertTrue(orth < 1e-5, "||Q^T Q - I|| = " + orth + " (seed " + seed + ")");
        assertInSpan(x, q, seed);
    }

    /** X lies in the span of the orthonormal columns of {@code basis}: ||X - B B^T X|| < 1e-5 ||X||. */
    private static void assertInSpan(DenseF64 x, DenseF64 basis, long seed) {
        DenseF64 outside = x.minus(basis.times(basis.transpose().times(x)));
        assertTrue(outside.frobenius() < 1e-5 * x.frobenius(), "X not in span(Q): " + outside.frobenius() + " (seed " + seed + ")");
    }

    /**
     * One matrix above {@link BatchRunner#SINGLE_THREAD_BELOW} runs alone with every OpenBLAS thread on all of
     * its steps: its spectrum and subspaces must match LAPACK in float64, and OpenBLAS's thread count must
     * come back as it was.
     */
    @Test
    void aLoneLargeMatrixRunsThreadedAndMatchesLapack() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        int m = 700, n = 520, k = 48;
        assertTrue((long) m * n >= BatchRunner.SINGLE_THREAD_BELOW);
        double[] s = new double[n];
        for (int i = 0; i < n; i++) s[i] = i < k ? Math.pow(0.95, i) : 0.01 * Math.pow(0.99, i - k);   // a gap at k
        DenseF64 x = DenseF64.withSpectrum(m, n, s, rnd).roundedToFloat();
        DenseF64.Svd ref = x.svd();
        int before = BlasThreads.get();
        try (MatrixBatch a = MatrixBatch.allocateHost(1, m, n)) {
            x.into(a, 0);
            try (var r = cpu.randomizedSvd(a, k, SvdOptions.defaults().withSeed(seed))) {
                DenseF64 u = DenseF64.of(r.u(), 0);
                DenseF64 v = DenseF64.of(r.v(), 0);
                // a backward-stable float32 SVD moves each sigma_i by p u sigma_1; with the typical growth
                // p = lambda sqrt(m) of Higham-Mary (FloatBounds.probable) that is 1.6e-5 sigma_1 for m = 700, so the
                // rounding part is relative to sigma_1, not to sigma_i (down to 0.09 sigma_1 here); the range error
                // behind the gap (0.01 after 0.09, two power iterations) is below 1e-6. A wrong or missing
                // component is off by a whole gap.
                double round = FloatBounds.probable(m) * ref.s()[0];
                for (int i = 0; i < k; i++) {
                    double err = Math.abs(r.s().get(0, 0, i) - ref.s()[i]);
                    assertTrue(err < 1e-4 * ref.s()[i] + round, "sigma_" + i + " relative error " + err / ref.s()[i] + " (seed " + seed + ")");
                }
                assertTrue(u.transpose().times(u).minus(DenseF64.identity(k)).maxAbs() < 1e-5, "U^T U (seed " + seed + ")");
                assertTrue(v.transpose().times(v).minus(DenseF64.identity(k)).maxAbs() < 1e-5, "V^T V (seed " + seed + ")");
                double sinU = DenseF64.sinLargestAngle(ref.u().leftColumns(k), u);
                double sinV = DenseF64.sinLargestAngle(ref.v().leftColumns(k), v);
                // sin(angle) <= error / gap = 1.6e-5 / 0.08 = 2e-4 (Wedin)
                assertTrue(sinU < 1e-3 && sinV < 1e-3, "principal angles " + sinU + ", " + sinV + " (seed " + seed + ")");
            }
        }
        assertEquals(before, BlasThreads.get());
    }

    @Test
    void batchesGoAcrossCoresOnlyWhenThatBeatsThreadedBlas() {
        assertFalse(BatchRunner.acrossMatrices(1, 4096L * 4096, 2));
        assertTrue(BatchRunner.acrossMatrices(2, 2048L * 2048, 2));
        assertFalse(BatchRunner.acrossMatrices(3, 2048L * 2048, 2), "3 large on 2 cores: a lone third round");
        assertTrue(BatchRunner.acrossMatrices(3, 100L * 100, 2));
        assertTrue(BatchRunner.acrossMatrices(224, 4096L * 4096, 2));
        assertFalse(BatchRunner.acrossMatrices(8, 100L * 100, 1));
    }

    @Test
    void openBlasThreadCountIsRestoredAfterAParallelBatch() {
        int before = BlasThreads.get();
        SplittableRandom rnd = new SplittableRandom();
        try (MatrixBatch a = MatrixBatch.allocateHost(6, 50, 40)) {
            for (int b = 0; b < 6; b++) DenseF64.gaussian(50, 40, rnd).into(a, b);
            cpu.randomizedSvd(a, 5, SvdOptions.defaults()).close();
            a.set(4, 3, 3, Float.NaN);
            assertThrows(SculptException.class, () -> cpu.exactSvd(a, 5));
        }
        assertEquals(before, BlasThreads.get());
    }
}
