package dev.sculpt.nn;

import dev.sculpt.SculptException;
import dev.sculpt.model.Parameter;

/**
 * Root-mean-square layer norm without mean subtraction or bias, as in LLaMA ({@code LlamaRMSNorm}) and T5
 * ({@code T5LayerNorm}): {@code y = w * x / sqrt(mean(x^2) + eps)} per row. Forward saves 1/rms per row for
 * the backward.
 */
public final class RmsNorm {
    private final Parameter weight;
    private final FloatArray w;
    private final FloatArray gw;
    private final int dim;
    private final float eps;

    public RmsNorm(Parameter weight, float eps) {
        if (weight.rank() != 1) throw new SculptException("norm weight " + weight + " must be 1-D");
        if (!(eps > 0)) throw new SculptException("norm epsilon must be > 0, got " + eps);
        this.weight = weight;
        this.w = FloatArray.dataOf(weight);
        this.gw = FloatArray.gradOf(weight);
        this.dim = weight.size();
        this.eps = eps;
    }

    public Parameter weight() { return weight; }
    public int dim() { return dim; }

    /** y rows = norm(x rows) for n rows of dim; rstd[rOff + i] = 1/rms of row i (rstd may be null). */
    public void forward(FloatArray x, int xOff, FloatArray y, int yOff, FloatArray rstd, int rOff, int n) {
        float[] wv = w.toArray(0, dim);
        Parallel.range(n, 64, (lo, hi) -> {
            float[] row = new float[dim];
            for (int i = lo; i < hi; i++) {
                x.buffer().get(xOff + i * dim, row, 0, dim);
                double ss = 0;
                for (int j = 0; j < dim; j++) ss += (double) row[j] * row[j];
                float r = (float) (1.0 / Math.sqrt(ss / dim + eps));
                for (int j = 0; j < dim; j++) row[j] = wv[j] * (row[j] * r);
                y.buffer().put(yOff + i * dim, row, 0, dim);
                if (rstd != null) rstd.set(rOff + i, r);
            }
        });
    }

    /**
     * Backward over n rows given the forward's input x and saved rstd: {@code w.grad += sum_rows dy * x * rstd}
     * and dx = d(norm)/dx^T dy (added into dx when {@code accumulateDx}). dx must not alias x or dy.
     */
    public void backward(FloatArray x, int xOff, FloatArray rstd, int rOff, FloatArray dy, int dyOff,
                         FloatArray dx, int dxOff, int n, boolean accumulateDx) {
        float[] wv = w.toArray(0, dim);
        Parallel.range(n, 64, (lo, hi) -> {
            float[] xr = new float[dim];
            float[] gr = new float[dim];
            float[] out = new float[dim];
            for (int i = lo; i < hi; i++) {
                x.buffer().get(xOff + i * dim, xr, 0, dim);
                dy.buffer().get(dyOff + i * dim, gr, 0, dim);
                float r = rstd.get(rOff + i);
                double dot = 0;
                for (int j = 0; j < dim; j++) dot += (double) wv[j] * gr[j] * xr[j];
                float c = (float) (dot * r * r * r / dim);
                if (accumulateDx) dx.buffer().get(dxOff + i * dim, out, 0, dim);
                for (int j = 0; j < dim; j++) {
                    float v = r * wv[j] * gr[j] - c * xr[j];
                    out[j] = accumulateDx ? out[j] + v : v;
                }
                dx.buffer().put(dxOff + i * dim, out, 0, dim);
            }
        });
        if (!weight.trainable()) return;
        // weight gradient: columns in parallel so that no two threads touch the same element
        Parallel.range(dim, 16, (lo, hi) -> {
            int len = hi - lo;
            double[] acc = new double[len];
            float[] xr = new float[len];
            float[] gr = new float[len];
            for (int i = 0; i < n; i++) {
                x.buffer().get(xOff + i * dim + lo, xr, 0, len);
                dy.buffer().get(dyOff + i * dim + lo, gr, 0, len);
                float r = rstd.get(rOff + i);
                for (int j = 0; j < len; j++) acc[j] += (double) gr[j] * xr[j] * r;
            }
            for (int j = 0; j < len; j++) gw.set(lo + j, (float) (gw.get(lo + j) + acc[j]));
        });
    }
}
