package dev.sculpt.bench;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.cpu.CpuOps;
import java.util.SplittableRandom;

/**
 * The scratch tensors and products of a training step's sgemm floor ({@link TrainStepBench}, {@link T5TrainStepBench}):
 * each bench issues exactly its step's matrix products, on these tensors, through the cpu provider's gemm (the models'
 * own gemm path), so the floor is what the step could take if it did nothing but its products.
 */
final class GemmFloor implements AutoCloseable {
    /** Activations, their products and gradients: rows x widest. */
    final Tensor x, y, dx;
    /** A weight and its gradient: widest x widest. */
    final Tensor w, gw;
    /** One head's attention scores: attention x attention. */
    final Tensor s;
    private final Ops ops = new CpuOps();

    GemmFloor(int rows, int widest, int attention) {
        x = random("x", rows, widest);
        y = random("y", rows, widest);
        dx = random("dx", rows, widest);
        w = random("w", widest, widest);
        gw = random("gw", widest, widest);
        s = random("s", attention, attention);
    }

    private Tensor random(String name, int rows, int cols) {
        Tensor t = ops.allocate(name, rows, cols);
        SplittableRandom g = new SplittableRandom(name.hashCode());
        float[] v = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (g.nextDouble() - 0.5) * 0.01f;
        t.copyFrom(v);
        return t;
    }

    /** One row-major product {@code c = op(a) op(b) + beta c}, with element offsets and row strides. */
    void gemm(boolean ta, boolean tb, int m, int n, int k, Tensor a, long aOff, int lda, Tensor b, long bOff, int ldb,
              float beta, Tensor c, long cOff, int ldc) {
        ops.gemm(ta, tb, 1, m, n, k, 1f, a, aOff, lda, 0, b, bOff, ldb, 0, beta, c, cOff, ldc, 0);
    }

    /** Forward, dX and dW of one projection [rows, in -> out]. */
    void linear(int rows, int in, int out) {
        gemm(false, true, rows, out, in, x, 0, in, w, 0, in, 0f, y, 0, out);
        gemm(false, false, rows, in, out, y, 0, out, w, 0, in, 0f, dx, 0, in);
        gemm(true, false, out, in, rows, y, 0, out, x, 0, in, 1f, gw, 0, in);
    }

    /** A value that depends on the products, so that the work cannot be elided. */
    float result() {
        return gw.hostBuffer().get(0);
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {x, y, dx, w, gw, s}) t.close();
        ops.close();
    }
}
