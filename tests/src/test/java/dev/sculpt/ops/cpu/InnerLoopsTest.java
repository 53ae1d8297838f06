package dev.sculpt.ops.cpu;

import static dev.sculpt.FloatBounds.U;
import static dev.sculpt.FloatBounds.gamma;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The cpu provider's inner loops, scalar and vector, against float64 references at row lengths around the vector
 * loops' edges (below, at and past one and four vectors of lanes, with tails), on fresh random inputs. Each tolerance
 * is the rounding count stated in {@link VectorInnerLoops} (which the scalar loops, with their double arithmetic,
 * meet with room to spare). A missed tail, a wrong max or a lane left out is an error of the size of the values.
 */
class InnerLoopsTest {
    /** Scores lie in [-B, B]. */
    private static final double B = 8;

    static Stream<Arguments> cases() {
        List<InnerLoops> loops = new ArrayList<>(List.of(new ScalarInnerLoops()));
        InnerLoops.vector().ifPresent(loops::add);
        List<Arguments> out = new ArrayList<>();
        for (InnerLoops l : loops) {
            for (int n : new int[] {1, 2, 7, 8, 15, 16, 17, 31, 32, 63, 64, 65, 127, 128, 131, 257, 1000}) {
                out.add(Arguments.of(l.describe(), l, n));
            }
        }
        return out.stream();
    }

    /** The tests run with {@code --add-modules jdk.incubator.vector} (the build's argLine): the vector loops must load. */
    @Test
    void vectorLoopsLoadWhereTheModuleIs() {
        boolean module = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        assertTrue(module, "the test JVM should run with --add-modules jdk.incubator.vector (see the root pom's sculpt.jvm.args)");
        assertTrue(InnerLoops.vector().isPresent(), "vector loops failed to link although jdk.incubator.vector is loaded");
        // CI's second pass asks for the scalar loops with -Dsculpt.cpu.vector=false
        boolean scalarAsked = "false".equals(System.getProperty(InnerLoops.VECTOR_PROPERTY));
        assertTrue(new CpuOps().describe().contains(scalarAsked ? "scalar" : "vector"), new CpuOps().describe());
        assertTrue(CpuOps.withScalarLoops().describe().contains("scalar"), CpuOps.withScalarLoops().describe());
    }

    /** The vector loops' own exponential against Math.exp over the whole float range, subnormal results included. */
    @Test
    void vectorExpIsWithinThreeRoundingsEverywhere() {
        jdk.incubator.vector.VectorSpecies<Float> s = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED;
        SplittableRandom r = new SplittableRandom();
        float[] x = new float[s.length() * 4096], e = new float[x.length];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 200 - 110);
        float[] special = {0f, -0f, 88.72283f, 88.7229f, -87.33655f, -103.97208f, -103.9721f, -200f, 200f, Float.NaN,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f};
        System.arraycopy(special, 0, x, 0, special.length);
        for (int i = 0; i < x.length; i += s.length()) VectorInnerLoops.exp(jdk.incubator.vector.FloatVector.fromArray(s, x, i)).intoArray(e, i);
        for (int i = 0; i < x.length; i++) {
            double want = Math.exp(x[i]);
            if (Double.isNaN(x[i])) {
                assertTrue(Float.isNaN(e[i]), "exp(NaN) = " + e[i]);
            } else if (want > Float.MAX_VALUE) {
                assertEquals(Float.POSITIVE_INFINITY, e[i], "exp(" + x[i] + ")");
            } else {
                // 3u relative (the class comment's count), plus half the smallest subnormal where the result is one
                within("exp(" + x[i] + ")", e[i], want, 3 * U * want + 0x1p-150);
            }
        }
    }

    @ParameterizedTest(name = "{0} n={2}")
    @MethodSource("cases")
    void softmax(String name, InnerLoops loops, int n) {
        SplittableRandom r = new SplittableRandom();
        float[] row = new float[n + 3];
        for (int j = 0; j < row.length; j++) row[j] = (float) ((r.nextDouble() * 2 - 1) * B);
        float[] in = row.clone();
        loops.softmax(row, n);
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int j = 0; j < n; j++) max = Math.max(max, in[j]);
        for (int j = 0; j < n; j++) sum += Math.exp(in[j] - max);
        // x - max rounded in float: |x - max| u <= 2 B u relative in each exponential, twice (term and sum); the exps,
        // the sum (at most n/L + 2L <= n + 3 roundings for the vector loops' rows, n >= 4L), division and product
        double rel = 4 * B * U + gamma(n + 6);
        for (int j = 0; j < n; j++) {
            double want = Math.exp(in[j] - max) / sum;
            within(name + " softmax n=" + n + " j=" + j, row[j], want, rel * want);
        }
        for (int j = n; j < row.length; j++) assertEquals(in[j], row[j], "softmax wrote past its row at " + j);
    }

    @ParameterizedTest(name = "{0} n={2}")
    @MethodSource("cases")
    void softmaxBackward(String name, InnerLoops loops, int n) {
        SplittableRandom r = new SplittableRandom();
        float[] p = new float[n], ds = new float[n + 2];
        double z = 0;
        double[] e = new double[n];
        for (int j = 0; j < n; j++) z += e[j] = Math.exp((r.nextDouble() * 2 - 1) * B);
        for (int j = 0; j < n; j++) p[j] = (float) (e[j] / z);
        for (int j = 0; j < ds.length; j++) ds[j] = (float) (r.nextDouble() * 2 - 1);
        float[] in = ds.clone();
        loops.softmaxBackward(p, ds, n);
        double dot = 0, absDot = 0;
        for (int j = 0; j < n; j++) {
            dot += (double) p[j] * in[j];
            absDot += Math.abs((double) p[j] * in[j]);
        }
        for (int j = 0; j < n; j++) {
            double want = p[j] * (in[j] - dot);
            // the dot within gamma(n + 3) sum |p ds|; the difference and the product: two more roundings
            double tol = p[j] * (gamma(n + 3) * absDot + gamma(2) * (Math.abs(in[j]) + Math.abs(dot)));
            within(name + " softmax backward n=" + n + " j=" + j, ds[j], want, tol);
        }
        for (int j = n; j < ds.length; j++) assertEquals(in[j], ds[j], "softmax backward wrote past its row at " + j);
    }

    @ParameterizedTest(name = "{0} n={2}")
    @MethodSource("cases")
    void rmsNormReductions(String name, InnerLoops loops, int n) {
        SplittableRandom r = new SplittableRandom();
        float[] w = new float[n], a = new float[n], b = new float[n];
        for (int j = 0; j < n; j++) {
            w[j] = (float) (r.nextDouble() * 2 - 1);
            a[j] = (float) (r.nextDouble() * 2 - 1);
            b[j] = (float) (r.nextDouble() * 2 - 1);
        }
        double ss = 0, dot = 0, absDot = 0;
        for (int j = 0; j < n; j++) {
            ss += (double) a[j] * a[j];
            dot += (double) w[j] * a[j] * b[j];
            absDot += Math.abs((double) w[j] * a[j] * b[j]);
        }
        // at most n/L + L + 1 roundings of the absolute terms for the vector loops' rows (n >= 4L): within n + 4
        within(name + " sum of squares n=" + n, (float) loops.sumOfSquares(a, n), ss, gamma(n + 4) * ss + Math.ulp((float) ss));
        double got = loops.dot(w, a, b, n);
        if (!(Math.abs(got - dot) <= gamma(n + 4) * absDot)) fail(name + " dot n=" + n + ": got " + got + ", expected " + dot);
    }

    @ParameterizedTest(name = "{0} n={2}")
    @MethodSource("cases")
    void reluBackwardPassesPositiveInputsOnly(String name, InnerLoops loops, int n) {
        SplittableRandom r = new SplittableRandom();
        float[] x = new float[n], dy = new float[n];
        float[] special = {0f, -0f, Float.NaN, Float.MIN_VALUE, -Float.MIN_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < n; i++) {
            x[i] = i % 11 == 3 ? special[(i / 11) % special.length] : (float) (r.nextDouble() * 2 - 1);
            dy[i] = (float) (r.nextDouble() * 2 - 1);
        }
        float[] dx = dy.clone();
        loops.reluBackward(x, dx, dx, n); // in place, as the provider may call it
        for (int i = 0; i < n; i++) {
            float want = x[i] > 0f ? dy[i] : 0f;
            assertEquals(want, dx[i], name + " relu backward n=" + n + " i=" + i + " x=" + x[i]);
        }
    }

    @ParameterizedTest(name = "{0} n={2}")
    @MethodSource("cases")
    void swiglu(String name, InnerLoops loops, int n) {
        SplittableRandom r = new SplittableRandom();
        float[] g = new float[n], u = new float[n], dh = new float[n], h = new float[n];
        for (int i = 0; i < n; i++) {
            // gates over [-12, 12] and a few past e^-g's float overflow (g < -88.7), where silu's limit is 0
            g[i] = (float) (i % 29 == 5 ? -100 + r.nextDouble() : (r.nextDouble() * 2 - 1) * 12);
            u[i] = (float) (r.nextDouble() * 2 - 1);
            dh[i] = (float) (r.nextDouble() * 2 - 1);
        }
        loops.swiglu(g, u, h, n);
        for (int i = 0; i < n; i++) {
            double s = 1 / (1 + Math.exp(-(double) g[i])), want = g[i] * s * u[i];
            // exp, 1 + e, the division, two products: a product of factors, within gamma(8) of |want|; where sig leaves
            // float's normal range (sig < 2^-126, g < -87.3) its relative precision is gone (and the vector EXP
            // overflows for g < -88.7, giving sig = 0): an absolute allowance of 2^-126 times the other factors
            within(name + " swiglu n=" + n + " i=" + i, h[i], want, gamma(8) * Math.abs(want) + tiny(g[i]) * Math.abs(u[i]));
        }
        float[] dg = g.clone(), du = u.clone(); // in place, as the provider calls it
        loops.swigluBackward(dg, du, dh, dg, du, n);
        for (int i = 0; i < n; i++) {
            double gi = g[i], s = 1 / (1 + Math.exp(-gi));
            double wantDg = dh[i] * u[i] * s * (1 + gi * (1 - s)), wantDu = dh[i] * gi * s;
            // sig's relative error (3 roundings) passes into 1 - sig as an absolute error 3 u sig: the |g| sig term;
            // the other factors are at most 8 more roundings of the absolute terms
            double tolDg = gamma(16) * Math.abs(dh[i] * u[i]) * s * (1 + Math.abs(gi) * (1 - s) + Math.abs(gi) * s) + tiny(gi) * Math.abs(dh[i] * u[i]);
            within(name + " swiglu dgate n=" + n + " i=" + i, dg[i], wantDg, tolDg);
            within(name + " swiglu dup n=" + n + " i=" + i, du[i], wantDu, gamma(8) * Math.abs(wantDu) + tiny(gi) * Math.abs(dh[i]));
        }
    }

    /**
     * 2^-126 (1 + |g|): a bound on sig (1 + |g|) once sig is below float's normal range, where its relative precision
     * is gone; also covers products that leave the normal range. Negligible (1e-38) against any value in range.
     */
    private static double tiny(double g) {
        return 0x1p-126 * (1 + Math.abs(g));
    }

    private static void within(String what, float got, double want, double tol) {
        if (!(Math.abs(got - want) <= tol)) fail(what + ": got " + got + ", expected " + want + " within " + tol);
    }
}
