package dev.sculpt.ops.cpu;

import java.util.Optional;

/**
 * The cpu provider's innermost loops over heap arrays, the ones that a step spends its non-gemm time in: the masked
 * softmax and its backward, SwiGLU, ReLU's backward, and RMSNorm's row reductions. Two implementations: {@link VectorInnerLoops} on the JDK's vector API
 * (SIMD exp, max and sums; used when the JVM runs with {@code --add-modules jdk.incubator.vector}, as {@code ./sculpt},
 * the tests and the benches do) and {@link ScalarInnerLoops} (plain Java, everywhere else). Both meet the error bounds
 * that {@code OpsContractTest} derives; each implementation states its own rounding count.
 *
 * <p>Stateless: one instance serves every thread.
 */
interface InnerLoops {
    /** The system property that, set to {@code false}, keeps the scalar loops even where the vector API is loaded. */
    String VECTOR_PROPERTY = "sculpt.cpu.vector";

    /** Short description for {@code Ops.describe()}: "scalar loops" or "vector loops (16 float lanes)". */
    String describe();

    /** {@code row[0, n) = softmax(row[0, n))} in place ({@code n >= 1}). */
    void softmax(float[] row, int n);

    /** {@code ds[j] = p[j] (ds[j] - sum_k p[k] ds[k])} in place over [0, n): the softmax backward of one row. */
    void softmaxBackward(float[] p, float[] ds, int n);

    /** {@code sum_j x[j]^2} over [0, n) (RMSNorm's row statistic). */
    double sumOfSquares(float[] x, int n);

    /** {@code sum_j w[j] a[j] b[j]} over [0, n) (RMSNorm backward's row dot). */
    double dot(float[] w, float[] a, float[] b, int n);

    /** {@code dx[i] = x[i] > 0 ? dy[i] : 0} over [0, n) (ReLU backward; NaN x gives 0); dx may be dy. */
    void reluBackward(float[] x, float[] dy, float[] dx, int n);

    /** {@code h[i] = silu(g[i]) u[i]} over [0, n), silu(g) = g / (1 + e^-g); h may be u or g. */
    void swiglu(float[] g, float[] u, float[] h, int n);

    /**
     * Backward of {@link #swiglu} over [0, n): {@code dg = dh u silu'(g)}, {@code du = dh silu(g)}; dg may be g and du
     * may be u (each index is read before it is written).
     */
    void swigluBackward(float[] g, float[] u, float[] dh, float[] dg, float[] du, int n);

    /**
     * The vector loops where the JVM has {@code jdk.incubator.vector} loaded and {@link #VECTOR_PROPERTY} is not
     * {@code false}, else the scalar loops. The vector class is loaded by name only in the first case, so that a
     * JVM without the module never links it.
     */
    static InnerLoops best() {
        if (!Boolean.parseBoolean(System.getProperty(VECTOR_PROPERTY, "true"))) return new ScalarInnerLoops();
        return vector().orElseGet(ScalarInnerLoops::new);
    }

    /** The vector loops, if this JVM has the vector API loaded. */
    static Optional<InnerLoops> vector() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) return Optional.empty();
        try {
            return Optional.of((InnerLoops) Class.forName("dev.sculpt.ops.cpu.VectorInnerLoops").getDeclaredConstructor().newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            return Optional.empty();
        }
    }
}
