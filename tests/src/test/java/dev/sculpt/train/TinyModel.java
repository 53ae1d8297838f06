package dev.sculpt.train;

import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A test-only language model small enough to train in milliseconds: it predicts each token from the previous one
 * through an embedding, residual tanh-MLP blocks and an output matrix, with hand-written backward. It lets the
 * trainer and the continual runner be tested without the LLaMA engine.
 */
public final class TinyModel implements LanguageModel {
    private final dev.sculpt.ops.Ops hostOps = new dev.sculpt.ops.cpu.CpuOps();
    private final int vocab, dim, hidden, layers;
    private final Parameter embed, head;
    private final Parameter[] up, down;
    private final List<Parameter> params = new ArrayList<>();

    public TinyModel(int vocab, int dim, int hidden, int layers, long seed) {
        this.vocab = vocab;
        this.dim = dim;
        this.hidden = hidden;
        this.layers = layers;
        Random r = new Random(seed);
        embed = init(new Parameter("model.embed_tokens.weight", vocab, dim), r, 1.0);
        up = new Parameter[layers];
        down = new Parameter[layers];
        params.add(embed);
        for (int l = 0; l < layers; l++) {
            up[l] = init(new Parameter("model.layers." + l + ".mlp.up_proj.weight", hidden, dim), r, 1 / Math.sqrt(dim));
            down[l] = init(new Parameter("model.layers." + l + ".mlp.down_proj.weight", dim, hidden), r, 1 / Math.sqrt(hidden));
            params.add(up[l]);
            params.add(down[l]);
        }
        head = init(new Parameter("lm_head.weight", vocab, dim), r, 1 / Math.sqrt(dim));
        params.add(head);
    }

    private static Parameter init(Parameter p, Random r, double sd) {
        float[] v = new float[p.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * sd);
        p.copyFrom(v);
        return p;
    }

    @Override public String architecture() { return "tiny"; }
    @Override public List<Parameter> parameters() { return params; }
    @Override public int vocabSize() { return vocab; }

    /** Activations of one position: x[0] = embedding, x[l+1] = block l output, a[l] = tanh(up x[l]). */
    private double[][][] forward(int token) {
        double[][] x = new double[layers + 1][dim];
        double[][] a = new double[layers][hidden];
        FloatBuffer e = embed.data();
        for (int i = 0; i < dim; i++) x[0][i] = e.get(token * dim + i);
        for (int l = 0; l < layers; l++) {
            FloatBuffer u = up[l].data(), d = down[l].data();
            for (int h = 0; h < hidden; h++) {
                double s = 0;
                for (int i = 0; i < dim; i++) s += u.get(h * dim + i) * x[l][i];
                a[l][h] = Math.tanh(s);
            }
            for (int i = 0; i < dim; i++) {
                double s = x[l][i];
                for (int h = 0; h < hidden; h++) s += d.get(i * hidden + h) * a[l][h];
                x[l + 1][i] = s;
            }
        }
        return new double[][][] {x, a};
    }

    private double[] logitsOf(double[] x) {
        double[] z = new double[vocab];
        FloatBuffer w = head.data();
        for (int v = 0; v < vocab; v++) {
            double s = 0;
            for (int i = 0; i < dim; i++) s += w.get(v * dim + i) * x[i];
            z[v] = s;
        }
        return z;
    }

    private static double[] softmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double d : z) max = Math.max(max, d);
        double s = 0;
        double[] p = new double[z.length];
        for (int i = 0; i < z.length; i++) { p[i] = Math.exp(z[i] - max); s += p[i]; }
        for (int i = 0; i < z.length; i++) p[i] /= s;
        return p;
    }

    private LossSum run(List<Example> batch, float gradScale, boolean backward) {
        double loss = 0;
        long tokens = 0;
        for (Example ex : batch) {
            int[] seq = concat(ex.prompt(), ex.target());
            int p0 = ex.prompt().length;
            for (int t = 0; t < ex.target().length; t++) {
                int pos = p0 + t;
                if (pos == 0) continue;
                int in = seq[pos - 1], want = seq[pos];
                double[][][] f = forward(in);
                double[][] x = f[0], a = f[1];
                double[] p = softmax(logitsOf(x[layers]));
                loss -= Math.log(Math.max(p[want], 1e-300));
                tokens++;
                if (!backward) continue;
                double[] dz = p.clone();
                dz[want] -= 1;
                for (int i = 0; i < dz.length; i++) dz[i] *= gradScale;
                double[] dx = new double[dim];
                FloatBuffer hw = head.data(), hg = head.grad();
                for (int v = 0; v < vocab; v++) {
                    for (int i = 0; i < dim; i++) {
                        hg.put(v * dim + i, (float) (hg.get(v * dim + i) + dz[v] * x[layers][i]));
                        dx[i] += dz[v] * hw.get(v * dim + i);
                    }
                }
                for (int l = layers - 1; l >= 0; l--) {
                    FloatBuffer u = up[l].data(), ug = up[l].grad(), d = down[l].data(), dg = down[l].grad();
                    double[] da = new double[hidden];
                    for (int i = 0; i < dim; i++) {
                        for (int h = 0; h < hidden; h++) {
                            dg.put(i * hidden + h, (float) (dg.get(i * hidden + h) + dx[i] * a[l][h]));
                            da[h] += dx[i] * d.get(i * hidden + h);
                        }
                    }
                    double[] dxPrev = dx.clone();
                    for (int h = 0; h < hidden; h++) {
                        double ds = da[h] * (1 - a[l][h] * a[l][h]);
                        for (int i = 0; i < dim; i++) {
                            ug.put(h * dim + i, (float) (ug.get(h * dim + i) + ds * x[l][i]));
                            dxPrev[i] += ds * u.get(h * dim + i);
                        }
                    }
                    dx = dxPrev;
                }
                FloatBuffer eg = embed.grad();
                for (int i = 0; i < dim; i++) eg.put(in * dim + i, (float) (eg.get(in * dim + i) + dx[i]));
            }
        }
        return new LossSum(loss, tokens);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Override public LossSum forwardBackward(List<Example> batch, float gradScale) { return run(batch, gradScale, true); }
    @Override public LossSum loss(List<Example> batch) { return run(batch, 0f, false); }

    @Override
    public float[][] logits(int[] ids, int[] decoderIds) {
        float[][] out = new float[ids.length][];
        for (int i = 0; i < ids.length; i++) {
            double[] z = logitsOf(forward(ids[i])[0][layers]);
            out[i] = new float[vocab];
            for (int v = 0; v < vocab; v++) out[i][v] = (float) z[v];
        }
        return out;
    }

    @Override
    public int[] generate(int[] prompt, GenerationOptions options) {
        List<Integer> out = new ArrayList<>();
        int last = prompt[prompt.length - 1];
        for (int s = 0; s < options.maxNewTokens(); s++) {
            double[] z = logitsOf(forward(last)[0][layers]);
            int best = 0;
            for (int v = 1; v < vocab; v++) if (z[v] > z[best]) best = v;
            if (options.stopTokens().contains(best)) break;
            out.add(best);
            last = best;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample) {
        double[] sum = new double[layers];
        long n = 0;
        for (Example ex : sample) {
            for (int tok : concat(ex.prompt(), ex.target())) {
                double[][] x = forward(tok)[0];
                for (int l = 0; l < layers; l++) sum[l] += cos(x[l], x[l + 1]);
                n++;
            }
        }
        for (int l = 0; l < layers; l++) sum[l] /= Math.max(1, n);
        return sum;
    }

    private static double cos(double[] a, double[] b) {
        double ab = 0, aa = 0, bb = 0;
        for (int i = 0; i < a.length; i++) { ab += a[i] * b[i]; aa += a[i] * a[i]; bb += b[i] * b[i]; }
        return ab / Math.sqrt(aa * bb + 1e-30);
    }

    @Override
    public int blockOf(String name) {
        for (int l = 0; l < layers; l++) if (name.startsWith("model.layers." + l + ".")) return l;
        return -1;
    }

    @Override
    public List<String> targetMatrixNames() {
        List<String> n = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            n.add(up[l].name());
            n.add(down[l].name());
        }
        return n;
    }

    @Override public dev.sculpt.ops.Ops ops() { return hostOps; }

    @Override
    public void close() {
        hostOps.close();
        for (Parameter p : params) p.close();
    }
}
