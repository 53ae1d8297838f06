package dev.sculpt.cli;

import static org.bytedeco.openblas.global.openblas.LAPACKE_dgeqrf;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dgesdd;
import static org.bytedeco.openblas.global.openblas.LAPACKE_dorgqr;
import static org.bytedeco.openblas.global.openblas.LAPACK_ROW_MAJOR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.io.DType;
import dev.sculpt.io.HalfFloats;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.io.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt decompose} end to end through {@link Sculpt#execute}: outputs against LAPACK dgesdd in float64,
 * and bad input (clear message naming the culprit, non-zero exit, input untouched, no output or temporary left).
 */
class DecomposeCommandTest {
    @TempDir Path dir;

    private static CliRun sculpt(String... args) {
        return CliRun.of(args);
    }

    /** A fresh m x n float64 matrix with singular values 0.6^i (well separated) and random singular vectors. */
    static double[] matrixWithDecay(SplittableRandom r, int m, int n) {
        int p = Math.min(m, n);
        double[] u = orthonormal(r, m, p);
        double[] v = orthonormal(r, n, p);
        double[] a = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int l = 0; l < p; l++) s += u[i * p + l] * Math.pow(0.6, l) * 3 * v[j * p + l];
                a[i * n + j] = s;
            }
        }
        return a;
    }

    static double[] orthonormal(SplittableRandom r, int rows, int cols) {
        double[] q = new double[rows * cols];
        for (int i = 0; i < q.length; i++) q[i] = r.nextGaussian();
        double[] tau = new double[cols];
        assertEquals(0, LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, rows, cols, q, cols, tau));
        assertEquals(0, LAPACKE_dorgqr(LAPACK_ROW_MAJOR, rows, cols, cols, q, cols, tau));
        return q;
    }

    static float[] toFloat(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    /** LAPACK float64 SVD: {s, u (m x p), vt (p x n)}. */
    static double[][] dgesdd(float[] a, int m, int n) {
        int p = Math.min(m, n);
        double[] work = new double[a.length];
        for (int i = 0; i < a.length; i++) work[i] = a[i];
        double[] s = new double[p];
        double[] u = new double[m * p];
        double[] vt = new double[p * n];
        assertEquals(0, LAPACKE_dgesdd(LAPACK_ROW_MAJOR, (byte) 'S', m, n, work, n, s, u, p, vt, n));
        return new double[][] {s, u, vt};
    }

    static String sha256(Path f) throws IOException {
        try {
            return Arrays.toString(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static List<String> listing(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private final Map<String, float[]> stored = new LinkedHashMap<>();
    private final Map<String, int[]> dims = new LinkedHashMap<>();

    /**
     * Input file: two 40x30 F32 matrices (one batch) and tensors that must be skipped (a bias, a 3-D tensor, an
     * empty matrix); a second file holds a 25x60 BF16 matrix. Records the float32 values as stored.
     */
    private Path input(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<String, TensorSource> t = new LinkedHashMap<>();
        for (String name : new String[] {"layers.0.q.weight", "layers.1.q.weight"}) {
            float[] a = toFloat(matrixWithDecay(r, 40, 30));
            stored.put(name, a);
            dims.put(name, new int[] {40, 30});
            t.put(name, TensorSource.of(new long[] {40, 30}, a));
        }
        t.put("layers.0.bias", TensorSource.of(new long[] {30}, toFloat(matrixWithDecay(r, 30, 1))));
        t.put("cube", TensorSource.of(new long[] {2, 3, 4}, new float[24]));
        t.put("empty.weight", TensorSource.of(new long[] {0, 5}, new float[0]));
        Path f = dir.resolve("in.safetensors");
        SafeTensors.write(f, t, DType.F32, Map.of("format", "pt"));
        float[] wide = toFloat(matrixWithDecay(r, 25, 60));
        float[] wideStored = new float[wide.length];
        for (int i = 0; i < wide.length; i++) wideStored[i] = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(wide[i]));
        stored.put("wide.weight", wideStored);
        dims.put("wide.weight", new int[] {25, 60});
        Path bf = dir.resolve("wide.safetensors");
        SafeTensors.write(bf, Map.of("wide.weight", TensorSource.of(new long[] {25, 60}, wide)), DType.BF16, Map.of());
        return f;
    }

    /**
     * Singular values within tol * sigma_1 of LAPACK's float64 ones: a float32 SVD is backward stable, each
     * sigma_i within p(m, n) u sigma_1 with p ~ max(m, n) = 60 here, 4e-6 sigma_1; the randomized one adds the
     * range error, below 1e-6 sigma_1 for this 0.6^i spectrum with 10 oversamples (HMT). The vectors: the
     * relative gap of this spectrum is 0.4, so sin(angle) <= error / gap ~ 1e-5 and |<u, u_ref>| is 1 within
     * 1e-9; 1e-3 leaves room, a wrong or permuted vector gives |<u, u_ref>| ~ 0.
     */
    private void checkAgainstLapack(Path out, String name, int k, double tol) {
        int m = dims.get(name)[0];
        int n = dims.get(name)[1];
        double[][] ref = dgesdd(stored.get(name), m, n);
        int p = Math.min(m, n);
        try (SafeTensors st = SafeTensors.open(out)) {
            assertArrayEquals(new long[] {m, k}, st.info(name + ".U").shape());
            assertArrayEquals(new long[] {k}, st.info(name + ".S").shape());
            assertArrayEquals(new long[] {n, k}, st.info(name + ".V").shape());
            assertEquals(DType.F32, st.info(name + ".U").dtype());
            float[] u = st.read(name + ".U");
            float[] s = st.read(name + ".S");
            float[] v = st.read(name + ".V");
            for (int i = 0; i < k; i++) {
                assertEquals(ref[0][i], s[i], tol * ref[0][0], name + " s" + i);
                // singular vectors agree up to sign: |<u_i, u_ref_i>| ~ 1 and |<v_i, v_ref_i>| ~ 1
                double du = 0, dv = 0;
                for (int r = 0; r < m; r++) du += u[r * k + i] * ref[1][r * p + i];
                for (int c = 0; c < n; c++) dv += v[c * k + i] * ref[2][i * n + c];
                assertEquals(1.0, Math.abs(du), 1e-3, name + " u" + i);
                assertEquals(1.0, Math.abs(dv), 1e-3, name + " v" + i);
                assertTrue(du * dv > 0, name + ": u and v signs consistent for " + i);
            }
        }
    }

    /** The stdout line of {@code name}, checked for shape, k, method and the estimated error against LAPACK. */
    private void checkLine(String stdout, String name, int k, String method) {
        String line = Arrays.stream(stdout.split("\n")).filter(l -> l.startsWith(name + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + name + " in:\n" + stdout));
        int m = dims.get(name)[0];
        int n = dims.get(name)[1];
        assertTrue(line.contains("[" + m + ", " + n + "]") && line.contains("k=" + k) && line.contains(method), line);
        double[] s = dgesdd(stored.get(name), m, n)[0];
        double all = 0, tail = 0;
        for (int i = 0; i < s.length; i++) {
            all += s[i] * s[i];
            if (i >= k) tail += s[i] * s[i];
        }
        // est.rel.err = sqrt((||A||^2 - sum_{i<k} s_i^2) / ||A||^2) in double from the float32 s_i: an error
        // delta_i in s_i moves the numerator by 2 s_i delta_i ~ 2 sigma_1^2 * 60 u (see checkAgainstLapack), 7e-6 of
        // ||A||^2 at most here, against a tail of >= 2.8e-3 of it: 1e-3 relative on the square root holds it
        double err = Double.parseDouble(line.substring(line.indexOf("est.rel.err ") + 12).trim());
        assertEquals(Math.sqrt(tail / all), err, 1e-3 * Math.sqrt(tail / all) + 1e-6, line);
    }

    // ---- end to end: an error from the CPU SVD fails these tests, it never skips them ----

    @Test
    void rankRandomizedMatchesLapack() throws IOException {
        Path in = input(101);
        Path out = dir.resolve("out.safetensors");
        CliRun r = sculpt("decompose", "--in", in.toString(), "--rank", "6", "--method", "randomized", "--seed", "5",
                "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        checkAgainstLapack(out, "layers.0.q.weight", 6, 1e-4);
        checkAgainstLapack(out, "layers.1.q.weight", 6, 1e-4);
        checkLine(r.out(), "layers.0.q.weight", 6, "randomized");
        checkLine(r.out(), "layers.1.q.weight", 6, "randomized");
        assertTrue(r.out().contains("skip layers.0.bias") && r.out().contains("skip cube")
                && r.out().contains("skip empty.weight"), r.out());
        assertEquals(5, r.out().strip().split("\n").length, "one line per input tensor:\n" + r.out());
        try (SafeTensors st = SafeTensors.open(out)) {
            assertEquals(6, st.names().size());
        }
    }

    @Test
    void ratioExactOnBf16MatchesLapack() throws IOException {
        input(202);
        Path in = dir.resolve("wide.safetensors");
        Path out = dir.resolve("wide-out.safetensors");
        CliRun r = sculpt("decompose", "--in", in.toString(), "--ratio", "0.3", "--method", "exact", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        int k = (int) Math.round(0.3 * 25);
        checkAgainstLapack(out, "wide.weight", k, 1e-5);
        checkLine(r.out(), "wide.weight", k, "exact");
    }

    // ---- bad input: checked before any SVD runs ----

    private void assertFailsCleanly(Path in, String[] args, String... fragments) throws IOException {
        List<String> before = listing(dir);
        String hash = in == null ? null : sha256(in);
        CliRun r = sculpt(args);
        assertNotEquals(0, r.code(), "exit code; stdout:\n" + r.out());
        for (String f : fragments) assertTrue(r.err().contains(f), "'" + f + "' in stderr:\n" + r.err());
        if (in != null) assertEquals(hash, sha256(in), "input untouched");
        assertEquals(before, listing(dir), "no output or temporary left");
    }

    private String[] args(Path in, String... rest) {
        String[] head = {"decompose", "--in", in.toString(), "--out", dir.resolve("out.safetensors").toString()};
        String[] all = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, all, head.length, rest.length);
        return all;
    }

    @Test
    void nanAndInfNameTheTensor() throws IOException {
        Path in = input(303);
        float[] bad = stored.get("layers.1.q.weight").clone();
        bad[31] = Float.NaN;
        Path nan = dir.resolve("nan.safetensors");
        SafeTensors.write(nan, Map.of("fine", TensorSource.of(new long[] {40, 30}, stored.get("layers.0.q.weight")),
                "broken.weight", TensorSource.of(new long[] {40, 30}, bad)), DType.F32, Map.of());
        assertFailsCleanly(nan, args(nan, "--rank", "3"), "error:", "'broken.weight'", "NaN", "[1, 1]");
        bad[31] = Float.NEGATIVE_INFINITY;
        Path inf = dir.resolve("inf.safetensors");
        SafeTensors.write(inf, Map.of("x.weight", TensorSource.of(new long[] {40, 30}, bad)), DType.F16, Map.of());
        assertFailsCleanly(inf, args(inf, "--rank", "3"), "'x.weight'", "Infinity");
        assertTrue(Files.exists(in));
    }

    @Test
    void impossibleKNamesTheTensor() throws IOException {
        Path in = input(404);
        assertFailsCleanly(in, args(in, "--rank", "31"), "'layers.0.q.weight'", "--rank 31", "min(m, n) = 30");
        assertFailsCleanly(in, args(in, "--ratio", "0.01"), "'layers.0.q.weight'", "k = 0");
        assertFailsCleanly(in, args(in, "--rank", "0"), "--rank must be positive");
        assertFailsCleanly(in, args(in, "--ratio", "1.5"), "--ratio must be in (0, 1]");
    }

    @Test
    void corruptAndTruncatedFiles() throws IOException {
        Path in = input(505);
        byte[] all = Files.readAllBytes(in);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(all, all.length - 10));
        assertFailsCleanly(cut, args(cut, "--rank", "2"), "cut.safetensors", "tensor '", "truncated");
        Path garbage = dir.resolve("garbage.safetensors");
        byte[] g = all.clone();
        g[8] = '#';   // the header's opening brace
        Files.write(garbage, g);
        assertFailsCleanly(garbage, args(garbage, "--rank", "2"), "garbage.safetensors", "invalid JSON");
        Path missing = dir.resolve("missing.safetensors");
        assertFailsCleanly(null, args(missing, "--rank", "2"), "missing.safetensors");
    }

    @Test
    void badFlags() throws IOException {
        Path in = input(606);
        assertFailsCleanly(in, args(in, "--rank", "2", "--ratio", "0.5"), "exactly one of --rank K or --ratio R");
        assertFailsCleanly(in, args(in), "exactly one of --rank K or --ratio R");
        assertFailsCleanly(in, args(in, "--rank", "2", "--method", "magic"), "--method", "magic");
        assertFailsCleanly(in, args(in, "--rank", "2", "--device", "tpu"), "--device", "tpu");
        assertFailsCleanly(in, args(in, "--rank", "2", "--oversample", "-1"), "--oversample");
        assertFailsCleanly(in, new String[] {"decompose", "--in", in.toString(), "--rank", "2", "--out", in.toString()},
                "is the input file");
        assertFailsCleanly(in, new String[] {"decompose", "--in", in.toString(), "--rank", "2"}, "--out");
    }

    @Test
    void failureKeepsAnExistingOutput() throws IOException {
        Path in = input(707);
        Path out = dir.resolve("out.safetensors");
        Files.writeString(out, "previous result");
        assertFailsCleanly(in, args(in, "--rank", "31"), "'layers.0.q.weight'");
        assertEquals("previous result", Files.readString(out));
    }
}
