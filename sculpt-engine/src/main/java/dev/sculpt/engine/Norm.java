package dev.sculpt.engine;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;

/**
 * RMS norm with a learned scale and no bias or mean subtraction: LLaMA's {@code LlamaRMSNorm} and T5's
 * {@code T5LayerNorm} ({@link Ops#rmsNormForward}). The caller keeps x and the saved 1/rms rows for the backward.
 */
public final class Norm {
    private final Ops ops;
    private final Arena arena;
    private final Parameter weight;
    private final float eps;

    public Norm(Ops ops, Arena arena, Parameter weight, float eps) {
        if (weight.rank() != 1) throw new SculptException("norm weight " + weight + " must be 1-D [width]");
        this.ops = ops;
        this.arena = arena;
        this.weight = weight;
        this.eps = eps;
    }

    public Parameter weight() { return weight; }
    public int width() { return weight.size(); }

    /** y [n, d] = w * x * rstd, rstd [n] written for the backward (y may be x). */
    public void forward(Tensor x, Tensor y, Tensor rstd) {
        ops.rmsNormForward(x, weight.value(), eps, y, rstd);
    }

    /**
     * Backward from dy [n, d] given the forward's x and rstd: {@code dx} overwritten, or added to when
     * {@code accumulateDx} (the residual stream); {@code dw +=} unless frozen. dx may be dy when not accumulating.
     * Uses the shared buffers {@code scratch.norm.dx} and {@code scratch.norm.dw}.
     */
    public void backward(Tensor x, Tensor rstd, Tensor dy, Tensor dx, boolean accumulateDx) {
        int n = x.dim(0), d = width();
        Tensor dw = weight.trainable() ? weight.gradient() : arena.get("scratch.norm.dw", d);
        if (!accumulateDx) {
            ops.rmsNormBackward(x, weight.value(), rstd, dy, dx, dw);
            return;
        }
        Tensor tmp = arena.get("scratch.norm.dx", n, d);
        ops.rmsNormBackward(x, weight.value(), rstd, dy, tmp, dw);
        ops.axpy(1f, tmp, dx);
    }
}
