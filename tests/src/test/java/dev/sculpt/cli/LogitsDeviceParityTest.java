package dev.sculpt.cli;

import static dev.sculpt.FloatBounds.gamma;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.FloatBounds;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.ops.ParityProvider;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line shows the provider parity: {@code sculpt init} makes a tiny LLaMA and a tiny T5 (a fresh seed each
 * run), {@code sculpt logits --device cpu} and {@code --device cuda-emulated} (or the provider
 * {@code -Dsculpt.parity.provider} names) score the same fresh random ids, and the two logits files agree elementwise
 * to float32 tolerance. {@code init --device} on the provider writes the same weights as on cpu.
 *
 * <p>Tolerance ({@link FloatBounds}). logit(t, v) = s xn_t . W_v, with xn_t the final RMS norm's output (s = d^-1/2 for
 * a tied T5, else 1). A float32 evaluation made of D chained roundings (the inner-product lengths along the deepest
 * path from the embedding to the logit, counted per model below) is within gamma(D) of its absolute-value scale; the
 * rounding carried into xn_t is norm-wise relative to ||xn_t||, and RMS-normed rows have ||xn_t|| <= max|w_norm| sqrt(d)
 * (x / rms(x) has norm sqrt(d) before the weight). By Cauchy-Schwarz each provider is within
 * gamma(D) s max|w_norm| sqrt(d) ||W_v|| of the exact logit, and two providers (other summation orders, other
 * kernels) within twice that of each other. This assumes the residual stream's absolute-value scale is its norm (no
 * cancellation between the embedding and the blocks' outputs), which holds at initialisation where the blocks add
 * small updates to the embedding. A wrong weight, mask, bias or head moves a logit by about its own size, which the
 * test checks is far above the bound.
 */
class LogitsDeviceParityTest {
    @TempDir Path dir;

    /** A few ulps for each nonlinearity (expf, sqrt, division) on the chain, beyond the inner products counted. */
    private static final int PER_NONLINEARITY = 4;

    @Test
    void tinyLlamaLogitsOnTheProviderMatchCpuFromTheCommandLine() throws Exception {
        ParityProvider.require();
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Path model = init("llama", rnd.nextInt(1_000_000), seed);
        JsonNode c = config(model);
        int h = c.get("hidden_size").asInt(), inter = c.get("intermediate_size").asInt();
        int layers = c.get("num_hidden_layers").asInt(), headDim = h / c.get("num_attention_heads").asInt();
        int[] ids = ids(rnd, 4 + rnd.nextInt(5), 259);
        int t = ids.length;
        // per layer: RMS norm (h + 3), q/k/v (h), RoPE (3), scores over the head (headDim + 1), softmax (t + 2
        // nonlinearities), weights x values (t), o_proj (h), residual (1), RMS norm (h + 3), gate/up (h), SiLU and the
        // gate product (2 nonlinearities + 1), down (inter), residual (1); then the final norm (h + 3) and the head (h)
        int perLayer = (h + 3) + h + 3 + (headDim + 1) + (t + 2 * PER_NONLINEARITY) + t + h + 1 + (h + 3) + h
                + (2 * PER_NONLINEARITY + 1) + inter + 1;
        int depth = layers * perLayer + (h + 3) + h;
        String head = c.path("tie_word_embeddings").asBoolean(false) ? "model.embed_tokens.weight" : "lm_head.weight";
        compare(model, "model.norm.weight", head, 1, h, depth, seed, "--ids", join(ids));
    }

    @Test
    void tinyT5LogitsOnTheProviderMatchCpuFromTheCommandLine() throws Exception {
        ParityProvider.require();
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Path model = init("t5", rnd.nextInt(1_000_000), seed);
        JsonNode c = config(model);
        int d = c.get("d_model").asInt(), inner = c.get("num_heads").asInt() * c.get("d_kv").asInt();
        int dKv = c.get("d_kv").asInt(), ff = c.get("d_ff").asInt();
        boolean gated = c.path("feed_forward_proj").asText("relu").contains("gated");
        boolean tied = c.path("tie_word_embeddings").asBoolean(true);
        int[] enc = ids(rnd, 4 + rnd.nextInt(5), 259), dec = ids(rnd, 2 + rnd.nextInt(4), 259);
        int te = enc.length, td = dec.length;
        // attention block over n keys: norm (d + 3), q/k/v (d), scores (dKv) plus the position bias (1), softmax
        // (n + 2 nonlinearities), weights x values (n), o (inner), residual (1); feed-forward: norm (d + 3), wi (d),
        // the activation (and the gate's product), wo (ff), residual (1)
        int ffn = (d + 3) + d + (gated ? 2 * PER_NONLINEARITY + 1 : 1) + ff + 1;
        int encoder = c.get("num_layers").asInt() * (attention(d, dKv, inner, te) + ffn) + (d + 3);
        // the decoder's deepest path runs through the encoder's output into cross-attention's keys and values
        int decoder = c.get("num_decoder_layers").asInt() * (attention(d, dKv, inner, td) + attention(d, dKv, inner, te) + ffn)
                + (d + 3) + d;
        String head = tied ? "shared.weight" : "lm_head.weight";
        compare(model, "decoder.final_layer_norm.weight", head, tied ? Math.pow(d, -0.5) : 1, d, encoder + decoder, seed,
                "--ids", join(enc), "--decoder-ids", join(dec));
    }

    private static int attention(int d, int dKv, int inner, int keys) {
        return (d + 3) + d + (dKv + 1) + (keys + 2 * PER_NONLINEARITY) + keys + inner + 1;
    }

    /** sculpt init on cpu, and on the provider into a second directory: both write the same weights. */
    private Path init(String arch, int initSeed, long seed) {
        Path cpu = dir.resolve(arch), dev = dir.resolve(arch + "-" + ParityProvider.DEVICE);
        for (Path out : new Path[] {cpu, dev}) {
            CliRun r = CliRun.of("init", "--arch", arch, "--size", "tiny", "--seed", Integer.toString(initSeed),
                    "--out", out.toString(), "--device", out == cpu ? "cpu" : ParityProvider.DEVICE);
            assertEquals(0, r.code(), arch + " init, seed " + seed + ": " + r.out() + r.err());
        }
        try (SafeTensors a = SafeTensors.open(cpu.resolve("model.safetensors"));
             SafeTensors b = SafeTensors.open(dev.resolve("model.safetensors"))) {
            assertEquals(a.names(), b.names());
            for (String n : a.names()) assertArrayEquals(a.read(n), b.read(n), arch + " init on " + ParityProvider.DEVICE + ": " + n);
        }
        return cpu;
    }

    /** sculpt logits on cpu and on the provider with the same arguments; the files agree within the bound above. */
    private void compare(Path model, String finalNorm, String head, double s, int d, int depth, long seed, String... ids) {
        float[] lc = logits(model, "cpu", ids), ld = logits(model, ParityProvider.DEVICE, ids);
        float[] w, wNorm;
        try (SafeTensors st = SafeTensors.open(model.resolve("model.safetensors"))) {
            w = st.read(head);
            wNorm = st.read(finalNorm);
        }
        int vocab = w.length / d;
        assertEquals(0, lc.length % vocab);
        assertEquals(lc.length, ld.length);
        double xnNorm = FloatBounds.maxAbs(wNorm) * Math.sqrt(d);
        double worstShare = 0, sumSq = 0, maxTol = 0;
        for (int i = 0; i < lc.length; i++) {
            int v = i % vocab;
            double rowNorm = 0;
            for (int j = 0; j < d; j++) rowNorm += (double) w[v * d + j] * w[v * d + j];
            double tol = 2 * gamma(depth) * s * xnNorm * Math.sqrt(rowNorm);
            double diff = Math.abs((double) lc[i] - ld[i]);
            assertTrue(diff <= tol, model.getFileName() + ", seed " + seed + ": logit " + i / vocab + "," + v + " cpu " + lc[i]
                    + " vs " + ParityProvider.DEVICE + " " + ld[i] + ", bound " + tol + " (D = " + depth + ")");
            worstShare = Math.max(worstShare, diff / tol);
            sumSq += (double) lc[i] * lc[i];
            maxTol = Math.max(maxTol, tol);
        }
        // the bound must be able to fail: the logits' own size (what a wrong weight or mask changes) is far above it
        double rms = Math.sqrt(sumSq / lc.length);
        assertTrue(rms > 10 * maxTol, model.getFileName() + ": logits of rms " + rms + " against a bound of " + maxTol);
        System.out.printf("%s: %d logits, D = %d, bound <= %.2e, rms logit %.3f, largest difference %.1e of its bound%n",
                model.getFileName(), lc.length, depth, maxTol, rms, worstShare);
    }

    private float[] logits(Path model, String device, String... ids) {
        Path out = dir.resolve(model.getFileName() + "-" + device + ".safetensors");
        java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("logits", "--model", model.toString(),
                "--out", out.toString(), "--device", device));
        args.addAll(java.util.List.of(ids));
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(0, r.code(), "logits --device " + device + ": " + r.out() + r.err());
        assertTrue(r.out().contains("device: ops provider " + device), "the run names its provider: " + r.out());
        try (SafeTensors st = SafeTensors.open(out)) {
            return st.read("logits");
        }
    }

    private static JsonNode config(Path model) throws Exception {
        return new ObjectMapper().readTree(model.resolve("config.json").toFile());
    }

    private static int[] ids(Random rnd, int n, int vocab) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = 3 + rnd.nextInt(vocab - 3);
        return a;
    }

    private static String join(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) sb.append(i > 0 ? "," : "").append(ids[i]);
        return sb.toString();
    }
}
