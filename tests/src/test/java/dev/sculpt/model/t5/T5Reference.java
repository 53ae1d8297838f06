package dev.sculpt.model.t5;

import java.util.Map;

/**
 * An independent float64 T5 forward, written from the transformers source semantics with plain loops and no
 * shared code with the model under test: the reference for gradient checks (central finite differences) and
 * forward checks. Weights come as a name -> double[] map (row-major, HF names and layouts).
 */
final class T5Reference {
    final T5Config c;
    final Map<String, double[]> w;

    T5Reference(T5Config c, Map<String, double[]> w) {
        this.c = c;
        this.w = w;
    }

    /** Summed cross-entropy of the labels given the encoder ids (decoder input = start + labels shifted). */
    double loss(int[] enc, int[] labels) {
        int[] dec = new int[labels.length];
        dec[0] = c.decoderStartTokenId();
        System.arraycopy(labels, 0, dec, 1, labels.length - 1);
        double[][] logits = logits(enc, dec);
        double total = 0;
        for (int i = 0; i < labels.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[i]) max = Math.max(max, v);
            double s = 0;
            for (double v : logits[i]) s += Math.exp(v - max);
            total += max + Math.log(s) - logits[i][labels[i]];
        }
        return total;
    }

    double[][] logits(int[] enc, int[] dec) {
        int d = c.dModel();
        double[][] h = embed(enc);
        for (int b = 0; b < c.numLayers(); b++) {
            String p = "encoder.block." + b + ".layer.";
            h = add(h, attention(p + "0.SelfAttention.", norm(h, p + "0.layer_norm.weight"), null, "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", true, false));
            h = add(h, ff(p + "1.DenseReluDense.", norm(h, p + "1.layer_norm.weight")));
        }
        double[][] e = norm(h, "encoder.final_layer_norm.weight");
        double[][] g = embed(dec);
        for (int b = 0; b < c.numDecoderLayers(); b++) {
            String p = "decoder.block." + b + ".layer.";
            g = add(g, attention(p + "0.SelfAttention.", norm(g, p + "0.layer_norm.weight"), null, "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", false, true));
            g = add(g, attention(p + "1.EncDecAttention.", norm(g, p + "1.layer_norm.weight"), e, null, false, false));
            g = add(g, ff(p + "2.DenseReluDense.", norm(g, p + "2.layer_norm.weight")));
        }
        double[][] s = norm(g, "decoder.final_layer_norm.weight");
        double[] head;
        if (c.tieWordEmbeddings()) {
            double scale = 1.0 / Math.sqrt(d);
            for (double[] row : s) for (int j = 0; j < d; j++) row[j] *= scale;
            head = w.get("shared.weight");
        } else {
            head = w.get("lm_head.weight");
        }
        return matmulT(s, head, c.vocabSize(), d);
    }

    private double[][] embed(int[] ids) {
        int d = c.dModel();
        double[] t = w.get("shared.weight");
        double[][] out = new double[ids.length][d];
        for (int i = 0; i < ids.length; i++) System.arraycopy(t, ids[i] * d, out[i], 0, d);
        return out;
    }

    private double[][] norm(double[][] x, String weight) {
        double[] g = w.get(weight);
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            double ms = 0;
            for (double v : x[i]) ms += v * v;
            ms /= x[i].length;
            double r = 1.0 / Math.sqrt(ms + c.layerNormEpsilon());
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) out[i][j] = g[j] * x[i][j] * r;
        }
        return out;
    }

    private static double[][] add(double[][] a, double[][] b) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) out[i][j] = a[i][j] + b[i][j];
        return out;
    }

    /** y = x W^T with W [out, in] row-major. */
    static double[][] matmulT(double[][] x, double[] wt, int out, int in) {
        double[][] y = new double[x.length][out];
        for (int i = 0; i < x.length; i++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int k = 0; k < in; k++) s += x[i][k] * wt[o * in + k];
                y[i][o] = s;
            }
        }
        return y;
    }

    private double[][] ff(String p, double[][] x) {
        int d = c.dModel(), f = c.dFf();
        double[][] hidden;
        if (c.gated()) {
            double[][] a = matmulT(x, w.get(p + "wi_0.weight"), f, d);
            double[][] b = matmulT(x, w.get(p + "wi_1.weight"), f, d);
            hidden = new double[x.length][f];
            for (int i = 0; i < x.length; i++) {
                for (int j = 0; j < f; j++) {
                    double v = a[i][j];
                    // gelu_new written as x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3)) = 0.5 x (1 + tanh(...))
                    double z = 2 * Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v);
                    hidden[i][j] = v / (1 + Math.exp(-z)) * b[i][j];
                }
            }
        } else {
            hidden = matmulT(x, w.get(p + "wi.weight"), f, d);
            for (double[] row : hidden) for (int j = 0; j < f; j++) row[j] = Math.max(0, row[j]);
        }
        return matmulT(hidden, w.get(p + "wo.weight"), d, f);
    }

    /** T5 bucket, straight from the transformers formula (double precision is enough away from ties). */
    static int bucket(int rel, boolean bidirectional, int numBuckets, int maxDistance) {
        int ret = 0;
        int nb = numBuckets;
        if (bidirectional) {
            nb /= 2;
            ret += rel > 0 ? nb : 0;
            rel = Math.abs(rel);
        } else {
            rel = Math.max(-rel, 0);
        }
        int maxExact = nb / 2;
        if (rel < maxExact) return ret + rel;
        int large = maxExact + (int) (Math.log(rel / (double) maxExact) / Math.log(maxDistance / (double) maxExact) * (nb - maxExact));
        return ret + Math.min(large, nb - 1);
    }

    private double[][] attention(String p, double[][] x, double[][] kvSource, String biasTable, boolean bidirectional, boolean causal) {
        int d = c.dModel(), H = c.numHeads(), dk = c.dKv(), inner = H * dk;
        double[][] src = kvSource == null ? x : kvSource;
        double[][] q = matmulT(x, w.get(p + "q.weight"), inner, d);
        double[][] k = matmulT(src, w.get(p + "k.weight"), inner, d);
        double[][] v = matmulT(src, w.get(p + "v.weight"), inner, d);
        double[] table = biasTable == null ? null : w.get(biasTable);
        int nq = x.length, nk = src.length;
        double[][] ctx = new double[nq][inner];
        for (int h = 0; h < H; h++) {
            for (int i = 0; i < nq; i++) {
                double[] s = new double[nk];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < nk; j++) {
                    if (causal && j > i) { s[j] = Double.NEGATIVE_INFINITY; continue; }
                    double dot = 0;
                    for (int t = 0; t < dk; t++) dot += q[i][h * dk + t] * k[j][h * dk + t];
                    if (table != null) {
                        dot += table[bucket(j - i, bidirectional, c.relativeAttentionNumBuckets(), c.relativeAttentionMaxDistance()) * H + h];
                    }
                    s[j] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0;
                for (int j = 0; j < nk; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
                for (int j = 0; j < nk; j++) {
                    double pr = s[j] / sum;
                    for (int t = 0; t < dk; t++) ctx[i][h * dk + t] += pr * v[j][h * dk + t];
                }
            }
        }
        return matmulT(ctx, w.get(p + "o.weight"), d, inner);
    }
}
