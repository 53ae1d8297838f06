package dev.sculpt.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.linalg.Philox;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accuracy contract of every backend present ({@link Backends#available()}: the CPU always, CUDA where
 * a device is), against LAPACK dgesdd in float64 on matrices with prescribed spectra U diag(s) V^T built
 * from random orthogonal factors. Fresh random matrices and sketch seeds each run; failures print the seed.
 *
 * <p>Tolerances. Float32 rounding: {@link #ROUND} * sigma_1 absolute. The randomized method additionally
 * gets the Halko-Martinsson-Tropp expected-error bound for the range, E||(I - QQ^T)A|| (their Corollary
 * 10.10, with power iterations), with a safety factor {@link #SAFETY} = 10 on the error of the power-scheme
 * matrix (A A^T)^q A, i.e. 10^(1/(2q+1)) on A's (their Theorem 10.8's deviation bounds make exceeding it
 * very unlikely). By Weyl each singular value is then within
 * that range error of the truth, and ||A - U S V^T|| <= sigma_{k+1} + range error. Where the gap
 * sigma_k - sigma_{k+1} defines the subspaces, the largest principal angle must obey Wedin's residual
 * bound and an a-priori bound (range error + rounding) * sqrt(2) / gap.
 */
class BackendContractTest {
    /**
     * Backward-stable float32 SVD: each singular value moves by p u sigma_1, p = lambda sqrt(max(m, n)) in the
     * typical growth of Higham and Mary (FloatBounds.probable: 1.0e-5 for 300), times about 3 for the stages
     * (products, QR, small SVD, back-transformation) that each contribute one such error.
     */
    static final double ROUND = 3e-5;
    static final double SAFETY = 10;
    /** ||U^T U - I||_max of float32 factors from Householder or CholeskyQR2: c k u, k <= 40 columns: 40 u = 2.4e-6. */
    static final double ORTHO = 2e-5;

    /** A test matrix: its shape, its exact spectrum (length min(m, n)) and the rank asked for. */
    record Spectrum(String name, int m, int n, double[] s, int k) {
        @Override
        public String toString() {
            return name + " " + m + "x" + n + " k=" + k;
        }
    }

    static List<Spectrum> spectra() {
        List<Spectrum> l = new ArrayList<>();
        l.add(new Spectrum("fast decay", 300, 200, geometric(200, 0.7), 20));
        l.add(new Spectrum("slow decay", 300, 200, power(200, -0.5), 40));
        l.add(new Spectrum("flat", 200, 200, constant(200, 1.0), 30));
        l.add(new Spectrum("rank-deficient", 250, 180, rankDeficient(180, 25), 20));
        l.add(new Spectrum("rank-deficient, k > rank", 250, 180, rankDeficient(180, 25), 40));
        l.add(new Spectrum("repeated", 220, 160, repeated(160), 10));
        l.add(new Spectrum("tall", 300, 60, geometric(60, 0.9), 15));
        l.add(new Spectrum("wide", 60, 300, geometric(60, 0.9), 15));
        l.add(new Spectrum("k = min(m,n)", 40, 30, geometric(30, 0.85), 30));
        l.add(new Spectrum("tiny", 5, 3, new double[] {3, 2, 1}, 2));
        l.add(new Spectrum("tiny wide", 2, 7, new double[] {1.5, 0.5}, 2));
        l.add(new Spectrum("1x1", 1, 1, new double[] {2.5}, 1));
        return l;
    }

    static Stream<Arguments> backendsAndSpectra() {
        List<Arguments> args = new ArrayList<>();
        for (Backend b : Backends.available()) {
            for (Spectrum s : spectra()) {
                for (SvdMethod m : List.of(SvdMethod.RANDOMIZED, SvdMethod.EXACT)) {
                    args.add(Arguments.of(Named.of(b.name(), b), s, m));
                }
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0} {2} {1}")
    @MethodSource("backendsAndSpectra")
    void svdMatchesFloat64Lapack(Backend backend, Spectrum sp, SvdMethod method) {
        long seed = new SplittableRandom().nextLong();
        String ctx = sp + " " + method + " on " + backend.name() + " (seed " + seed + ")";
        SplittableRandom rnd = new SplittableRandom(seed);
        DenseF64 a = DenseF64.withSpectrum(sp.m(), sp.n(), sp.s(), rnd).roundedToFloat();
        DenseF64.Svd ref = a.svd();
        double[] sig = ref.s();
        int k = sp.k();
        int r = Math.min(sp.m(), sp.n());
        SvdOptions opt = SvdOptions.defaults().withMethod(method).withSeed(rnd.nextLong());
        int l = Math.min(k + opt.oversample(), r);
        double range = method == SvdMethod.EXACT ? 0 : hmtRangeBound(sig, k, l - k, opt.powerIters(), r, SAFETY);
        double round = ROUND * sig[0];

        DenseF64 uh, vh;
        double[] sh;
        try (MatrixBatch host = MatrixBatch.allocateHost(1, sp.m(), sp.n()).withNames("test." + sp.name());
             MatrixBatch in = backend.upload(host(a, host))) {
            float[] before = host.toArray();
            try (SvdResult res = method == SvdMethod.EXACT ? backend.exactSvd(in, k) : backend.randomizedSvd(in, k, opt);
                 MatrixBatch u = backend.download(res.u());
                 MatrixBatch s = backend.download(res.s());
                 MatrixBatch v = backend.download(res.v());
                 MatrixBatch after = backend.download(in)) {
                assertEquals(sp.m(), u.rows(), ctx);
                assertEquals(k, u.cols(), ctx);
                assertEquals(sp.n(), v.rows(), ctx);
                assertEquals(k, v.cols(), ctx);
                assertEquals(k, s.cols(), ctx);
                assertTrue(Arrays.equals(before, after.toArray()), "input modified: " + ctx);
                uh = DenseF64.of(u, 0);
                vh = DenseF64.of(v, 0);
                sh = DenseF64.of(s, 0).a;
            }
        }

        assertTrue(uh.transpose().times(uh).minus(DenseF64.identity(k)).maxAbs() <= ORTHO,
                "||U^T U - I||_max = " + uh.transpose().times(uh).minus(DenseF64.identity(k)).maxAbs() + ": " + ctx);
        assertTrue(vh.transpose().times(vh).minus(DenseF64.identity(k)).maxAbs() <= ORTHO,
                "||V^T V - I||_max = " + vh.transpose().times(vh).minus(DenseF64.identity(k)).maxAbs() + ": " + ctx);
        for (int i = 0; i < k; i++) {
            assertTrue(sh[i] >= 0 && (i == 0 || sh[i] <= sh[i - 1]), "singular values not descending at " + i + ": "
                    + Arrays.toString(sh) + ": " + ctx);
            double err = Math.abs(sh[i] - sig[i]);
            assertTrue(err <= round + range, "sigma_" + i + " = " + sh[i] + ", reference " + sig[i] + ", error " + err
                    + " > rounding " + round + " + range bound " + range + ": " + ctx);
            assertTrue(sh[i] <= sig[i] + round, "sigma_" + i + " above the reference (" + sh[i] + " > " + sig[i] + "): " + ctx);
            if (method == SvdMethod.EXACT || range <= 1e-4 * sig[i]) {
                assertTrue(err <= 1e-4 * sig[i] + round, "relative error of sigma_" + i + " = " + err / sig[i] + ": " + ctx);
            }
        }
        double sk1 = k < r ? sig[k] : 0;
        DenseF64 approx = uh.scaleColumns(sh).times(vh.transpose());
        double recon = a.minus(approx).spectralNorm();
        assertTrue(recon <= sk1 + range + 2 * round, "||A - U S V^T||_2 = " + recon + " > sigma_{k+1} " + sk1
                + " + range bound " + range + " + rounding: " + ctx);

        double gap = sig[k - 1] - sk1;
        if (gap >= 0.02 * sig[k - 1] && sh[k - 1] > sk1) {
            double sinU = DenseF64.sinLargestAngle(ref.u().leftColumns(k), uh);
            double sinV = DenseF64.sinLargestAngle(ref.v().leftColumns(k), vh);
            DenseF64 resR = a.times(vh).minus(uh.scaleColumns(sh));
            DenseF64 resS = a.transpose().times(uh).minus(vh.scaleColumns(sh));
            double wedin = Math.hypot(resR.frobenius(), resS.frobenius()) / (sh[k - 1] - sk1);
            double apriori = Math.sqrt(2) * (range + round) / gap;
            for (double sin : new double[] {sinU, sinV}) {
                assertTrue(sin <= 1.05 * wedin + 1e-6, "sin(largest principal angle) " + sin + " exceeds Wedin's bound "
                        + wedin + ": " + ctx);
                if (apriori < 1) {
                    assertTrue(sin <= apriori, "sin(largest principal angle) " + sin + " exceeds the a-priori bound "
                            + apriori + ": " + ctx);
                }
            }
        }
    }

    /**
     * HMT 2011, Corollary 10.10: E||(I - P_Y) A|| <= [(1 + sqrt(k/(p-1))) s_{k+1}^{2q+1}
     * + e sqrt(k+p)/p (sum_{j>k} s_j^{2(2q+1)})^{1/2}]^{1/(2q+1)}; zero when the sketch spans everything.
     * The safety factor multiplies the bracket, the error of the power-scheme matrix (A A^T)^q A whose
     * deviation bounds (Theorem 10.8) the corollary rests on, so it becomes safety^(1/(2q+1)) on A.
     */
    static double hmtRangeBound(double[] s, int k, int p, int q, int r, double safety) {
        if (k + p >= r) return 0;
        if (p < 2) return Double.POSITIVE_INFINITY;
        double e2 = 2 * q + 1;
        double tail = 0;
        for (int j = k; j < s.length; j++) tail += Math.pow(s[j], 2 * e2);
        double t = (1 + Math.sqrt((double) k / (p - 1))) * Math.pow(s[k], e2) + Math.E * Math.sqrt(k + p) / p * Math.sqrt(tail);
        return Math.pow(safety * t, 1 / e2);
    }

    // ---- the Gaussian sketch

    static Stream<Arguments> backends() {
        return Backends.available().stream().map(b -> Arguments.of(Named.of(b.name(), b)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void gaussianSketchIsPhiloxElementwiseAndReproducible(Backend backend) {
        long seed = new SplittableRandom().nextLong();
        try (MatrixBatch g1 = backend.allocate(3, 37, 29);
             MatrixBatch g2 = backend.allocate(3, 37, 29);
             MatrixBatch g3 = backend.allocate(3, 37, 29)) {
            backend.gaussian(g1, seed);
            backend.gaussian(g2, seed);
            backend.gaussian(g3, seed + 1);
            try (MatrixBatch h1 = backend.download(g1); MatrixBatch h2 = backend.download(g2); MatrixBatch h3 = backend.download(g3)) {
                float[] a1 = h1.toArray();
                assertTrue(Arrays.equals(a1, h2.toArray()), "same seed, different sketch (seed " + seed + ")");
                assertTrue(!Arrays.equals(a1, h3.toArray()), "seed and seed+1 gave the same sketch (seed " + seed + ")");
                for (int b = 0; b < 3; b++) {
                    for (int r = 0; r < 37; r++) {
                        for (int c = 0; c < 29; c++) {
                            float want = Philox.gaussian(seed, b, (long) r * 29 + c);
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(h1.get(b, r, c)),
                                    "element (" + b + ", " + r + ", " + c + ") of the sketch, seed " + seed);
                        }
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void randomizedSvdIsReproducibleFromTheSeedAndBatchesAgreeWithSingles(Backend backend) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        int count = 5;
        try (MatrixBatch host = MatrixBatch.allocateHost(count, 90, 70)) {
            for (int b = 0; b < count; b++) DenseF64.withSpectrum(90, 70, geometric(70, 0.8), rnd).into(host, b);
            SvdOptions opt = SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED).withSeed(rnd.nextLong());
            try (MatrixBatch in = backend.upload(host);
                 SvdResult r1 = backend.randomizedSvd(in, 12, opt);
                 SvdResult r2 = backend.randomizedSvd(in, 12, opt);
                 MatrixBatch s1 = backend.download(r1.s());
                 MatrixBatch s2 = backend.download(r2.s());
                 MatrixBatch u1 = backend.download(r1.u());
                 MatrixBatch u2 = backend.download(r2.u())) {
                assertTrue(Arrays.equals(s1.toArray(), s2.toArray()), "same seed, different singular values (seed " + seed + ")");
                assertTrue(Arrays.equals(u1.toArray(), u2.toArray()), "same seed, different U (seed " + seed + ")");
                for (int b = 0; b < count; b++) {
                    double[] ref = DenseF64.of(host, b).singularValues();
                    for (int i = 0; i < 12; i++) {
                        assertEquals(ref[i], s1.get(b, 0, i), 1e-4 * ref[0], "matrix " + b + " sigma_" + i + " (seed " + seed + ")");
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    void powerIterationsSharpenTheSingularValues(Backend backend) {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        // ten leading values above a heavy flat tail: without power iterations the tail leaks into the sketch
        double[] s = new double[150];
        for (int i = 0; i < s.length; i++) s[i] = i < 10 ? 1 - 0.02 * i : 0.3;
        DenseF64 a = DenseF64.withSpectrum(200, 150, s, rnd).roundedToFloat();
        double[] ref = a.singularValues();
        double[] err = new double[3];
        try (MatrixBatch h = MatrixBatch.allocateHost(1, 200, 150); MatrixBatch in = backend.upload(host(a, h))) {
            for (int q : new int[] {0, 2}) {
                SvdOptions opt = SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED).withOversample(5)
                        .withPowerIters(q).withSeed(rnd.nextLong());
                try (SvdResult r = backend.randomizedSvd(in, 10, opt); MatrixBatch sv = backend.download(r.s())) {
                    for (int i = 0; i < 10; i++) err[q] = Math.max(err[q], Math.abs(sv.get(0, 0, i) - ref[i]));
                }
            }
        }
        assertTrue(err[2] < 0.1 * err[0], "max singular value error with q = 2: " + err[2]
                + ", with q = 0: " + err[0] + " (seed " + seed + ")");
    }

    // ---- spectra

    static double[] geometric(int r, double ratio) {
        double[] s = new double[r];
        for (int i = 0; i < r; i++) s[i] = Math.pow(ratio, i);
        return s;
    }

    static double[] power(int r, double exponent) {
        double[] s = new double[r];
        for (int i = 0; i < r; i++) s[i] = Math.pow(1 + i, exponent);
        return s;
    }

    static double[] constant(int r, double v) {
        double[] s = new double[r];
        Arrays.fill(s, v);
        return s;
    }

    static double[] rankDeficient(int r, int rank) {
        double[] s = new double[r];
        for (int i = 0; i < rank; i++) s[i] = Math.pow(2, -i / 4.0);
        return s;
    }

    /** 4 (x4), 2 (x6), then 0.5 * 0.8^i: k = 10 sits on the gap between the repeated 2s and the tail. */
    static double[] repeated(int r) {
        double[] s = new double[r];
        for (int i = 0; i < r; i++) s[i] = i < 4 ? 4 : i < 10 ? 2 : 0.5 * Math.pow(0.8, i - 10);
        return s;
    }

    static MatrixBatch host(DenseF64 a, MatrixBatch into) {
        a.into(into, 0);
        return into;
    }
}
