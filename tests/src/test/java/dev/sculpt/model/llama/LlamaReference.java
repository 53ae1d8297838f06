package dev.sculpt.model.llama;

import dev.sculpt.model.Example;
import dev.sculpt.model.Parameter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent float64 LLaMA forward for tests, written straight from the Hugging Face definition with plain
 * loops and no shared code: embeddings, RMSNorm, rotate-half RoPE, grouped-query causal attention, SwiGLU,
 * tied or untied lm_head.
 */
final class LlamaReference {
    final LlamaConfig c;
    final Map<String, double[]> w = new HashMap<>();

    LlamaReference(LlamaConfig c, List<Parameter> params) {
        this.c = c;
        for (Parameter p : params) {
            float[] v = p.toArray();
            double[] dv = new double[v.length];
            for (int i = 0; i < v.length; i++) dv[i] = v[i];
            w.put(p.name(), dv);
        }
    }

    private double[] norm(double[] x, double[] g) {
        int d = x.length;
        double ss = 0;
        for (double v : x) ss += v * v;
        double r = 1 / Math.sqrt(ss / d + c.rmsNormEps());
        double[] y = new double[d];
        for (int i = 0; i < d; i++) y[i] = g[i] * x[i] * r;
        return y;
    }

    /** y = W x with W [out, in]. */
    private static double[] mv(double[] wm, double[] x, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) s += wm[o * in + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    private void rope(double[] v, int heads, int pos) {
        int hd = c.headDim(), half = hd / 2;
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                double ang = pos * Math.pow(c.ropeTheta(), -2.0 * i / hd);
                double a = v[h * hd + i], b = v[h * hd + half + i];
                v[h * hd + i] = a * Math.cos(ang) - b * Math.sin(ang);
                v[h * hd + half + i] = b * Math.cos(ang) + a * Math.sin(ang);
            }
        }
    }

    /** Logits [T][V] for one sequence. */
    double[][] logits(int[] ids) {
        int T = ids.length, d = c.hiddenSize(), H = c.numAttentionHeads(), KV = c.numKeyValueHeads(), hd = c.headDim();
        double[][] x = new double[T][d];
        double[] emb = w.get("model.embed_tokens.weight");
        for (int t = 0; t < T; t++) for (int j = 0; j < d; j++) x[t][j] = emb[ids[t] * d + j];
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            String p = "model.layers." + l + ".";
            double[][] q = new double[T][], k = new double[T][], v = new double[T][];
            for (int t = 0; t < T; t++) {
                double[] h = norm(x[t], w.get(p + "input_layernorm.weight"));
                q[t] = mv(w.get(p + "self_attn.q_proj.weight"), h, H * hd);
                k[t] = mv(w.get(p + "self_attn.k_proj.weight"), h, KV * hd);
                v[t] = mv(w.get(p + "self_attn.v_proj.weight"), h, KV * hd);
                rope(q[t], H, t);
                rope(k[t], KV, t);
            }
            for (int t = 0; t < T; t++) {
                double[] o = new double[H * hd];
                for (int h = 0; h < H; h++) {
                    int g = h / (H / KV);
                    double[] s = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= t; j++) {
                        double dot = 0;
                        for (int e = 0; e < hd; e++) dot += q[t][h * hd + e] * k[j][g * hd + e];
                        s[j] = dot / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j <= t; j++) z += Math.exp(s[j] - max);
                    for (int j = 0; j <= t; j++) {
                        double pr = Math.exp(s[j] - max) / z;
                        for (int e = 0; e < hd; e++) o[h * hd + e] += pr * v[j][g * hd + e];
                    }
                }
                double[] ao = mv(w.get(p + "self_attn.o_proj.weight"), o, d);
                for (int j = 0; j < d; j++) x[t][j] += ao[j];
            }
            for (int t = 0; t < T; t++) {
                double[] h = norm(x[t], w.get(p + "post_attention_layernorm.weight"));
                double[] g = mv(w.get(p + "mlp.gate_proj.weight"), h, c.intermediateSize());
                double[] u = mv(w.get(p + "mlp.up_proj.weight"), h, c.intermediateSize());
                for (int i = 0; i < g.length; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                double[] dn = mv(w.get(p + "mlp.down_proj.weight"), g, d);
                for (int j = 0; j < d; j++) x[t][j] += dn[j];
            }
        }
        double[] head = w.get(c.tieWordEmbeddings() ? "model.embed_tokens.weight" : "lm_head.weight");
        double[][] out = new double[T][];
        for (int t = 0; t < T; t++) out[t] = mv(head, norm(x[t], w.get("model.norm.weight")), c.vocabSize());
        return out;
    }

    /** Summed cross-entropy of target tokens, each predicted from everything before it. */
    double loss(List<Example> batch) {
        double total = 0;
        for (Example ex : batch) {
            int p = ex.prompt().length;
            int[] seq = new int[p + ex.target().length];
            System.arraycopy(ex.prompt(), 0, seq, 0, p);
            System.arraycopy(ex.target(), 0, seq, p, ex.target().length);
            if (seq.length < 2) continue;
            double[][] lg = logits(java.util.Arrays.copyOf(seq, seq.length - 1));
            for (int i = Math.max(1, p); i < seq.length; i++) {
                double[] z = lg[i - 1];
                double max = Double.NEGATIVE_INFINITY;
                for (double v : z) max = Math.max(max, v);
                double s = 0;
                for (double v : z) s += Math.exp(v - max);
                total += max + Math.log(s) - z[seq[i]];
            }
        }
        return total;
    }
}
