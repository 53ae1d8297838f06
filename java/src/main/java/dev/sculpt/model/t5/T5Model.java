package dev.sculpt.model.t5;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.CheckpointWriter;
import dev.sculpt.io.DType;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.Generator;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import dev.sculpt.nn.CrossEntropy;
import dev.sculpt.nn.Embedding;
import dev.sculpt.nn.FloatArray;
import dev.sculpt.nn.Linear;
import dev.sculpt.nn.RmsNorm;
import dev.sculpt.nn.T5Attention;
import dev.sculpt.nn.T5RelativeBias;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * T5 encoder-decoder ({@code T5ForConditionalGeneration}) with Hugging Face semantics and parameter names, forward
 * and explicit backward layer by layer on the CPU.
 *
 * <ul>
 *   <li>Each block: pre-norm sub-layers with residuals; T5's RMS layer norm (no mean, no bias); attention without
 *   1/sqrt(d) scaling; a relative position bias computed from the table of block 0 (bidirectional in the encoder,
 *   causal in the decoder) and shared by all blocks of the stack; cross-attention (no position bias) in the
 *   decoder.</li>
 *   <li>Feed-forward: relu (v1.0) or gated-gelu with gelu_new (v1.1 / flan).</li>
 *   <li>Output: tied to {@code shared.weight} with the decoder output scaled by d_model^-0.5, or a separate
 *   {@code lm_head.weight} without scaling.</li>
 *   <li>An {@link Example} is (encoder input = prompt, labels = target, decoder input = decoder_start_token_id
 *   followed by the target shifted right by one). An empty prompt is read as the single token eos, since the
 *   decoder needs something to attend to. No dropout (training behaves as HF's eval mode).</li>
 * </ul>
 */
public final class T5Model implements LanguageModel {
    private final dev.sculpt.ops.Ops hostOps = new dev.sculpt.ops.cpu.CpuOps();
    private static final Logger LOG = LoggerFactory.getLogger(T5Model.class);
    private final T5Config config;
    private ObjectNode sourceConfig;   // config.json as loaded, kept so that saving preserves unknown fields
    private final List<Parameter> params = new ArrayList<>();
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final List<String> targets = new ArrayList<>();
    private final Embedding embed;
    private final Linear lmHead;
    private final float outputScale;
    private final T5RelativeBias encBias;
    private final T5RelativeBias decBias;
    private final EncoderBlock[] encoder;
    private final DecoderBlock[] decoder;
    private final RmsNorm encFinal;
    private final RmsNorm decFinal;
    private final T5Attention attention;

    /** Pre-norm attention sub-layer: layer_norm, then q/k/v/o. */
    private record AttnLayer(RmsNorm ln, Linear q, Linear k, Linear v, Linear o) {}

    private record EncoderBlock(AttnLayer self, RmsNorm ffLn, T5FeedForward ff) {}

    private record DecoderBlock(AttnLayer self, AttnLayer cross, RmsNorm ffLn, T5FeedForward ff) {}

    /** A model with all parameters zero (fill them by name, or use {@link #init}). */
    public T5Model(T5Config config) {
        this.config = config;
        int d = config.dModel();
        int inner = config.innerDim();
        float eps = config.layerNormEpsilon();
        Parameter shared = add("shared.weight", config.vocabSize(), d);
        this.embed = new Embedding(shared);
        this.encoder = new EncoderBlock[config.numLayers()];
        Parameter encTable = null;
        for (int i = 0; i < encoder.length; i++) {
            String p = "encoder.block." + i + ".layer.";
            AttnLayer self = attnLayer(p + "0.SelfAttention.", p + "0.layer_norm.weight", d, inner, eps);
            if (i == 0) encTable = add(p + "0.SelfAttention.relative_attention_bias.weight",
                    config.relativeAttentionNumBuckets(), config.numHeads());
            RmsNorm ffLn = new RmsNorm(add(p + "1.layer_norm.weight", d), eps);
            encoder[i] = new EncoderBlock(self, ffLn, feedForward(p + "1.DenseReluDense."));
        }
        this.encFinal = new RmsNorm(add("encoder.final_layer_norm.weight", d), eps);
        this.decoder = new DecoderBlock[config.numDecoderLayers()];
        Parameter decTable = null;
        for (int i = 0; i < decoder.length; i++) {
            String p = "decoder.block." + i + ".layer.";
            AttnLayer self = attnLayer(p + "0.SelfAttention.", p + "0.layer_norm.weight", d, inner, eps);
            if (i == 0) decTable = add(p + "0.SelfAttention.relative_attention_bias.weight",
                    config.relativeAttentionNumBuckets(), config.numHeads());
            AttnLayer cross = attnLayer(p + "1.EncDecAttention.", p + "1.layer_norm.weight", d, inner, eps);
            RmsNorm ffLn = new RmsNorm(add(p + "2.layer_norm.weight", d), eps);
            decoder[i] = new DecoderBlock(self, cross, ffLn, feedForward(p + "2.DenseReluDense."));
        }
        this.decFinal = new RmsNorm(add("decoder.final_layer_norm.weight", d), eps);
        if (config.tieWordEmbeddings()) {
            this.lmHead = new Linear(shared);
            this.outputScale = (float) Math.pow(d, -0.5);
        } else {
            this.lmHead = new Linear(add("lm_head.weight", config.vocabSize(), d));
            this.outputScale = 1f;
        }
        this.encBias = new T5RelativeBias(encTable, true, config.relativeAttentionMaxDistance());
        this.decBias = new T5RelativeBias(decTable, false, config.relativeAttentionMaxDistance());
        this.attention = new T5Attention(config.numHeads(), config.dKv());
    }

    private AttnLayer attnLayer(String prefix, String lnName, int d, int inner, float eps) {
        Linear q = new Linear(target(add(prefix + "q.weight", inner, d)));
        Linear k = new Linear(target(add(prefix + "k.weight", inner, d)));
        Linear v = new Linear(target(add(prefix + "v.weight", inner, d)));
        Linear o = new Linear(target(add(prefix + "o.weight", d, inner)));
        RmsNorm ln = new RmsNorm(add(lnName, d), eps);
        return new AttnLayer(ln, q, k, v, o);
    }

    private T5FeedForward feedForward(String prefix) {
        int d = config.dModel();
        int ff = config.dFf();
        if (config.gated()) {
            Parameter wi0 = target(add(prefix + "wi_0.weight", ff, d));
            Parameter wi1 = target(add(prefix + "wi_1.weight", ff, d));
            return new T5FeedForward(wi0, wi1, target(add(prefix + "wo.weight", d, ff)));
        }
        Parameter wi = target(add(prefix + "wi.weight", ff, d));
        return new T5FeedForward(wi, null, target(add(prefix + "wo.weight", d, ff)));
    }

    private Parameter add(String name, int... shape) {
        Parameter p = new Parameter(name, shape);
        params.add(p);
        byName.put(name, p);
        return p;
    }

    private Parameter target(Parameter p) {
        targets.add(p.name());
        return p;
    }

    /**
     * A model initialised as transformers' {@code T5PreTrainedModel._init_weights} does (initializer_factor 1):
     * embeddings and lm_head N(0, 1), layer norms 1, q N(0, (d_model d_kv)^-1/2), k and v N(0, d_model^-1/2),
     * o N(0, (heads d_kv)^-1/2), wi N(0, d_model^-1/2), wo N(0, d_ff^-1/2), relative bias N(0, d_model^-1/2).
     */
    public static T5Model init(T5Config config, long seed) {
        T5Model m = new T5Model(config);
        SplittableRandom rng = new SplittableRandom(seed);
        int d = config.dModel();
        for (Parameter p : m.params) {
            String n = p.name();
            double std;
            if (n.endsWith("layer_norm.weight")) {
                for (int i = 0; i < p.size(); i++) p.data().put(i, 1f);
                continue;
            } else if (n.equals("shared.weight") || n.equals("lm_head.weight")) {
                std = 1.0;
            } else if (n.endsWith(".q.weight")) {
                std = Math.pow((double) d * config.dKv(), -0.5);
            } else if (n.endsWith(".k.weight") || n.endsWith(".v.weight") || n.endsWith("relative_attention_bias.weight")
                    || n.contains(".wi")) {
                std = Math.pow(d, -0.5);
            } else if (n.endsWith(".o.weight")) {
                std = Math.pow(config.innerDim(), -0.5);
            } else if (n.endsWith(".wo.weight")) {
                std = Math.pow(config.dFf(), -0.5);
            } else {
                throw new IllegalStateException("no initialisation rule for " + n);
            }
            for (int i = 0; i < p.size(); i++) p.data().put(i, (float) (gaussian(rng) * std));
        }
        return m;
    }

    /** A freshly initialised model of a preset size ({@link T5Config#preset}) for {@code sculpt init --arch t5}. */
    public static T5Model init(String size, int vocabSize, int padId, int eosId, long seed) {
        return init(T5Config.preset(size, vocabSize, padId, eosId), seed);
    }

    private static double gaussian(SplittableRandom rng) {
        double u1 = rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }

    public T5Config config() { return config; }

    /**
     * Loads a Hugging Face T5 checkpoint directory (config.json and model.safetensors or a sharded index; F32, F16
     * or BF16). Every parameter must be present with its exact shape; the copies of the tied embedding that some
     * checkpoints also carry (encoder/decoder.embed_tokens.weight, lm_head.weight when tied) are ignored.
     */
    public static T5Model load(Path dir) {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            String type = ckpt.modelType();
            if (!"t5".equals(type)) {
                throw new SculptException(dir + ": config.json model_type is \"" + type + "\", expected \"t5\"");
            }
            for (String arch : ckpt.architectures()) {
                if (!arch.startsWith("T5")) {
                    throw new SculptException(dir + ": architecture " + arch + " is not supported by the T5 model");
                }
            }
            T5Config config = T5Config.fromJson(ckpt.config(), dir.resolve(HfCheckpoint.CONFIG).toString());
            T5Model m = new T5Model(config);
            try {
                for (Parameter p : m.params) {
                    String name = p.name();
                    if (name.equals("shared.weight") && !ckpt.has(name) && ckpt.has("encoder.embed_tokens.weight")) {
                        name = "encoder.embed_tokens.weight";
                    }
                    int[] shape = p.shape();
                    long[] dims = new long[shape.length];
                    for (int i = 0; i < shape.length; i++) dims[i] = shape[i];
                    ckpt.expectShape(name, dims);
                    ckpt.read(name, p.data().duplicate().position(0));
                }
                for (String name : ckpt.names()) {
                    if (!m.byName.containsKey(name) && !name.endsWith("embed_tokens.weight") && !name.equals("lm_head.weight")) {
                        LOG.warn("{}: ignoring tensor {} that T5 does not use", dir, name);
                    }
                }
                if (ckpt.config() instanceof ObjectNode o) m.sourceConfig = o.deepCopy();
                return m;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
    }

    /** A checkpoint writer for this model's config.json and tensors; callers may add files (a tokenizer). */
    public CheckpointWriter writer(Path dir, DType dtype) {
        ObjectNode json = sourceConfig == null ? config.toJson() : sourceConfig.deepCopy().setAll(config.toJson());
        Map<String, TensorSource> tensors = new LinkedHashMap<>();
        for (Parameter p : params) {
            int[] shape = p.shape();
            long[] dims = new long[shape.length];
            for (int i = 0; i < shape.length; i++) dims[i] = shape[i];
            tensors.put(p.name(), TensorSource.of(dims, p.data().duplicate().position(0)));
        }
        return CheckpointWriter.to(dir).config(json).tensors(tensors).dtype(dtype);
    }

    /** Writes config.json and model.safetensors atomically (the directory is replaced as a whole). */
    public void save(Path dir, DType dtype) {
        writer(dir, dtype).write();
    }


    /** The parameter with this Hugging Face name. */
    public Parameter parameter(String name) {
        Parameter p = byName.get(name);
        if (p == null) throw new SculptException("T5 model has no parameter " + name);
        return p;
    }

    @Override public String architecture() { return "t5"; }
    @Override public List<Parameter> parameters() { return Collections.unmodifiableList(params); }
    @Override public int vocabSize() { return config.vocabSize(); }
    @Override public List<String> targetMatrixNames() { return Collections.unmodifiableList(targets); }

    @Override
    public int blockOf(String parameterName) {
        if (parameterName.startsWith("encoder.block.")) return blockIndex(parameterName, "encoder.block.".length());
        if (parameterName.startsWith("decoder.block.")) {
            return encoder.length + blockIndex(parameterName, "decoder.block.".length());
        }
        return -1;
    }

    private static int blockIndex(String name, int from) {
        int dot = name.indexOf('.', from);
        try {
            return Integer.parseInt(name.substring(from, dot < 0 ? name.length() : dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Forward pass with everything the backward needs

    /** Saved activations of one attention sub-layer. */
    private static final class AttnTrace {
        FloatArray xn, rstd, q, k, v, probs, ctx;
    }

    /** Saved activations of one feed-forward sub-layer. */
    private static final class FfTrace {
        FloatArray xn, rstd, u, u1, h;
    }

    /** One example's forward: inputs, hidden states after every sub-layer, the traces and the logits. */
    private final class Pass {
        final Arena arena = new Arena();
        int[] encIds, decIds, labels;
        int n, m;
        FloatArray[] encStates;        // encoder: [block][0 = input, 1 = after attention]; final state separately
        FloatArray encLast, encOut, encRstd, encBiasBuf;
        AttnTrace[] encAttn;
        FfTrace[] encFf;
        FloatArray[] decStates;        // decoder: [block][0 = input, 1 = after self, 2 = after cross]
        FloatArray decLast, decNorm, decRstd, decScaled, decBiasBuf, logits;
        AttnTrace[] decSelf, decCross;
        FfTrace[] decFf;
    }

    private Pass forward(int[] encIds, int[] decIds, int[] labels) {
        Pass p = new Pass();
        try {
            runForward(p, encIds, decIds, labels);
            return p;
        } catch (RuntimeException e) {
            p.arena.close();
            throw e;
        }
    }

    private void runForward(Pass p, int[] encIds, int[] decIds, int[] labels) {
        int d = config.dModel();
        int inner = config.innerDim();
        int heads = config.numHeads();
        p.encIds = encIds;
        p.decIds = decIds;
        p.labels = labels;
        int n = p.n = encIds.length;
        int m = p.m = decIds.length;
        Arena a = p.arena;

        // encoder
        FloatArray h = a.take((long) n * d);
        embed.forward(encIds, 0, n, h, 0);
        p.encBiasBuf = a.take((long) heads * n * n);
        encBias.forward(0, n, n, p.encBiasBuf, 0);
        p.encStates = new FloatArray[encoder.length * 2];
        p.encAttn = new AttnTrace[encoder.length];
        p.encFf = new FfTrace[encoder.length];
        for (int b = 0; b < encoder.length; b++) {
            EncoderBlock blk = encoder[b];
            p.encStates[2 * b] = h;
            AttnTrace t = p.encAttn[b] = new AttnTrace();
            FloatArray h1 = a.take((long) n * d);
            attnForward(a, blk.self(), t, h, h1, n, null, n, p.encBiasBuf, false);
            p.encStates[2 * b + 1] = h1;
            FfTrace f = p.encFf[b] = new FfTrace();
            FloatArray h2 = a.take((long) n * d);
            ffForward(a, blk.ffLn(), blk.ff(), f, h1, h2, n);
            h = h2;
        }
        p.encLast = h;
        p.encOut = a.take((long) n * d);
        p.encRstd = a.take(n);
        encFinal.forward(h, 0, p.encOut, 0, p.encRstd, 0, n);

        // decoder
        FloatArray g = a.take((long) m * d);
        embed.forward(decIds, 0, m, g, 0);
        p.decBiasBuf = a.take((long) heads * m * m);
        decBias.forward(0, m, m, p.decBiasBuf, 0);
        p.decStates = new FloatArray[decoder.length * 3];
        p.decSelf = new AttnTrace[decoder.length];
        p.decCross = new AttnTrace[decoder.length];
        p.decFf = new FfTrace[decoder.length];
        for (int b = 0; b < decoder.length; b++) {
            DecoderBlock blk = decoder[b];
            p.decStates[3 * b] = g;
            AttnTrace ts = p.decSelf[b] = new AttnTrace();
            FloatArray g1 = a.take((long) m * d);
            attnForward(a, blk.self(), ts, g, g1, m, null, m, p.decBiasBuf, true);
            p.decStates[3 * b + 1] = g1;
            AttnTrace tc = p.decCross[b] = new AttnTrace();
            FloatArray g2 = a.take((long) m * d);
            attnForward(a, blk.cross(), tc, g1, g2, m, p.encOut, n, null, false);
            p.decStates[3 * b + 2] = g2;
            FfTrace f = p.decFf[b] = new FfTrace();
            FloatArray g3 = a.take((long) m * d);
            ffForward(a, blk.ffLn(), blk.ff(), f, g2, g3, m);
            g = g3;
        }
        p.decLast = g;
        p.decNorm = a.take((long) m * d);
        p.decRstd = a.take(m);
        decFinal.forward(g, 0, p.decNorm, 0, p.decRstd, 0, m);
        if (outputScale != 1f) {
            p.decScaled = a.take((long) m * d);
            for (int i = 0; i < m * d; i++) p.decScaled.set(i, p.decNorm.get(i) * outputScale);
        } else {
            p.decScaled = p.decNorm;
        }
        p.logits = a.take((long) m * config.vocabSize());
        lmHead.forward(p.decScaled, 0, p.logits, 0, m);
    }

    /**
     * out = x + o(attention(q(ln x), k(src), v(src))) where src = ln x (self-attention) or {@code kvSource}
     * (cross-attention over nk encoder states).
     */
    private void attnForward(Arena a, AttnLayer L, AttnTrace t, FloatArray x, FloatArray out, int n,
                             FloatArray kvSource, int nk, FloatArray bias, boolean causal) {
        int d = config.dModel();
        int inner = config.innerDim();
        t.xn = a.take((long) n * d);
        t.rstd = a.take(n);
        L.ln().forward(x, 0, t.xn, 0, t.rstd, 0, n);
        t.q = a.take((long) n * inner);
        t.k = a.take((long) nk * inner);
        t.v = a.take((long) nk * inner);
        FloatArray src = kvSource == null ? t.xn : kvSource;
        L.q().forward(t.xn, 0, t.q, 0, n);
        L.k().forward(src, 0, t.k, 0, nk);
        L.v().forward(src, 0, t.v, 0, nk);
        t.probs = a.take((long) config.numHeads() * n * nk);
        t.ctx = a.take((long) n * inner);
        attention.forward(t.q, 0, t.k, 0, t.v, 0, n, nk, bias, 0, causal, 0, t.probs, 0, t.ctx, 0);
        out.copyFrom(x, 0, 0, n * d);
        L.o().forward(t.ctx, 0, out, 0, n, true);
    }

    /** out = x + ff(ln x). */
    private void ffForward(Arena a, RmsNorm ln, T5FeedForward ff, FfTrace f, FloatArray x, FloatArray out, int n) {
        int d = config.dModel();
        long len = (long) n * ff.dFf();
        f.xn = a.take((long) n * d);
        f.rstd = a.take(n);
        ln.forward(x, 0, f.xn, 0, f.rstd, 0, n);
        f.u = a.take(len);
        f.u1 = ff.gated() ? a.take(len) : null;
        f.h = a.take(len);
        ff.forward(f.xn, f.u, f.u1, f.h, out, n);
        for (int i = 0; i < n * d; i++) out.set(i, out.get(i) + x.get(i));
    }

    // ---------------------------------------------------------------------------------------------------------
    // Loss and backward

    /** Summed cross-entropy of the logits against the labels; fills dLogits = scale * dLoss/dLogits when non-null. */
    private double crossEntropy(Pass p, FloatArray dLogits, float scale) {
        return CrossEntropy.forwardBackward(p.logits, 0, p.m, config.vocabSize(), p.labels, 0,
                CrossEntropy.Reduction.SUM, scale, dLogits, 0).sum();
    }

    private void backward(Pass p, float scale) {
        Arena a = p.arena;
        int d = config.dModel();
        int n = p.n;
        int m = p.m;
        FloatArray dLogits = a.take((long) m * config.vocabSize());
        crossEntropy(p, dLogits, scale);

        // output layer and final norm
        FloatArray dScaled = a.take((long) m * d);
        lmHead.backward(p.decScaled, 0, dLogits, 0, dScaled, 0, m, false);
        if (outputScale != 1f) for (int i = 0; i < m * d; i++) dScaled.set(i, dScaled.get(i) * outputScale);
        FloatArray dg = a.take((long) m * d);
        decFinal.backward(p.decLast, 0, p.decRstd, 0, dScaled, 0, dg, 0, m, false);

        // decoder blocks in reverse; dEnc collects the gradient of the encoder output from every cross-attention
        FloatArray dEnc = a.take((long) n * d);
        FloatArray dDecBias = a.take((long) config.numHeads() * m * m);
        Scratch s = new Scratch(a, Math.max(n, m), Math.max(n, m));
        for (int b = decoder.length - 1; b >= 0; b--) {
            DecoderBlock blk = decoder[b];
            ffBackward(blk.ffLn(), blk.ff(), p.decFf[b], p.decStates[3 * b + 2], dg, m, s);
            attnBackward(blk.cross(), p.decCross[b], p.decStates[3 * b + 1], dg, m, p.encOut, dEnc, n, null, s);
            attnBackward(blk.self(), p.decSelf[b], p.decStates[3 * b], dg, m, null, null, m, dDecBias, s);
        }
        embed.backward(p.decIds, 0, m, dg, 0);
        decBias.backward(0, m, m, dDecBias, 0);

        // encoder
        FloatArray dh = a.take((long) n * d);
        encFinal.backward(p.encLast, 0, p.encRstd, 0, dEnc, 0, dh, 0, n, false);
        FloatArray dEncBias = a.take((long) config.numHeads() * n * n);
        for (int b = encoder.length - 1; b >= 0; b--) {
            EncoderBlock blk = encoder[b];
            ffBackward(blk.ffLn(), blk.ff(), p.encFf[b], p.encStates[2 * b + 1], dh, n, s);
            attnBackward(blk.self(), p.encAttn[b], p.encStates[2 * b], dh, n, null, null, n, dEncBias, s);
        }
        embed.backward(p.encIds, 0, n, dh, 0);
        encBias.backward(0, n, n, dEncBias, 0);
    }

    /** Scratch buffers of a backward pass, sized for the longest sequence. */
    private final class Scratch {
        final FloatArray dxn, dctx, dq, dk, dv, attn, dh, du, du1;

        Scratch(Arena a, int rows, int keys) {
            int d = config.dModel();
            int inner = config.innerDim();
            long ffLen = (long) rows * config.dFf();
            dxn = a.take((long) rows * d);
            dctx = a.take((long) rows * inner);
            dq = a.take((long) rows * inner);
            dk = a.take((long) keys * inner);
            dv = a.take((long) keys * inner);
            attn = a.take((long) rows * keys);
            dh = a.take(ffLen);
            du = a.take(ffLen);
            du1 = a.take(ffLen);
        }
    }

    /**
     * Backward of out = x + ff(ln x): {@code dOut} holds d/d(out) on entry and d/dx on return (the residual
     * passes it through, the norm adds its part).
     */
    private void ffBackward(RmsNorm ln, T5FeedForward ff, FfTrace f, FloatArray x, FloatArray dOut, int n, Scratch s) {
        ff.backward(f.xn, f.u, f.u1, f.h, dOut, s.dxn, s.dh, s.du, s.du1, n);
        ln.backward(x, 0, f.rstd, 0, s.dxn, 0, dOut, 0, n, true);
    }

    /**
     * Backward of out = x + o(attention(...)): {@code dOut} becomes d/dx. Cross-attention adds the gradient of its
     * key/value source into {@code dKv}; self-attention adds d/d(score) into {@code dBias} (shared bias).
     */
    private void attnBackward(AttnLayer L, AttnTrace t, FloatArray x, FloatArray dOut, int n,
                              FloatArray kvSource, FloatArray dKv, int nk, FloatArray dBias, Scratch s) {
        L.o().backward(t.ctx, 0, dOut, 0, s.dctx, 0, n, false);
        attention.backward(t.q, 0, t.k, 0, t.v, 0, n, nk, t.probs, 0, s.dctx, 0, s.dq, 0, s.dk, 0, s.dv, 0,
                dBias, 0, s.attn);
        L.q().backward(t.xn, 0, s.dq, 0, s.dxn, 0, n, false);
        if (kvSource == null) {
            L.k().backward(t.xn, 0, s.dk, 0, s.dxn, 0, n, true);
            L.v().backward(t.xn, 0, s.dv, 0, s.dxn, 0, n, true);
        } else {
            L.k().backward(kvSource, 0, s.dk, 0, dKv, 0, nk, true);
            L.v().backward(kvSource, 0, s.dv, 0, dKv, 0, nk, true);
        }
        L.ln().backward(x, 0, t.rstd, 0, s.dxn, 0, dOut, 0, n, true);
    }

    // ---------------------------------------------------------------------------------------------------------
    // LanguageModel

    /** Encoder input of an example: the prompt, or [eos] when the prompt is empty. */
    private int[] encoderInput(int[] prompt) {
        return prompt.length == 0 ? new int[] {config.eosTokenId()} : prompt;
    }

    /** decoder_start_token_id followed by all but the last label. */
    private int[] decoderInput(int[] labels) {
        int[] in = new int[labels.length];
        in[0] = config.decoderStartTokenId();
        System.arraycopy(labels, 0, in, 1, labels.length - 1);
        return in;
    }

    private void checkIds(int[] ids, String what) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new SculptException(what + " token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }

    private LossSum run(List<Example> batch, boolean withBackward, float gradScale) {
        if (batch == null) throw new SculptException("batch must not be null");
        LossSum total = new LossSum(0, 0);
        for (int e = 0; e < batch.size(); e++) {
            Example ex = batch.get(e);
            checkIds(ex.prompt(), "example " + e + " prompt");
            checkIds(ex.target(), "example " + e + " target");
            if (ex.target().length == 0) continue;
            Pass p = forward(encoderInput(ex.prompt()), decoderInput(ex.target()), ex.target());
            try {
                double loss = crossEntropy(p, null, 0f);
                if (withBackward) backward(p, gradScale);
                total = total.plus(new LossSum(loss, ex.target().length));
            } finally {
                p.arena.close();
            }
        }
        return total;
    }

    @Override
    public LossSum forwardBackward(List<Example> batch, float gradScale) {
        return run(batch, true, gradScale);
    }

    @Override
    public LossSum loss(List<Example> batch) {
        return run(batch, false, 0f);
    }

    @Override
    public float[][] logits(int[] ids, int[] decoderIds) {
        if (ids == null || ids.length == 0) throw new SculptException("T5 logits need at least one encoder input id");
        int[] dec = decoderIds == null || decoderIds.length == 0 ? new int[] {config.decoderStartTokenId()} : decoderIds;
        checkIds(ids, "encoder input");
        checkIds(dec, "decoder input");
        Pass p = forward(ids, dec, null);
        try {
            int vocab = config.vocabSize();
            float[][] out = new float[dec.length][vocab];
            for (int i = 0; i < dec.length; i++) p.logits.buffer().get(i * vocab, out[i], 0, vocab);
            return out;
        } finally {
            p.arena.close();
        }
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample) {
        int blocks = encoder.length + decoder.length;
        double[] sum = new double[blocks];
        long[] count = new long[blocks];
        int d = config.dModel();
        for (Example ex : sample) {
            checkIds(ex.prompt(), "sample prompt");
            checkIds(ex.target(), "sample target");
            int[] labels = ex.target().length == 0 ? new int[] {config.eosTokenId()} : ex.target();
            Pass p = forward(encoderInput(ex.prompt()), decoderInput(labels), labels);
            try {
                for (int b = 0; b < encoder.length; b++) {
                    FloatArray out = b + 1 < encoder.length ? p.encStates[2 * (b + 1)] : p.encLast;
                    sum[b] += cosineRows(p.encStates[2 * b], out, p.n, d);
                    count[b] += p.n;
                }
                for (int b = 0; b < decoder.length; b++) {
                    FloatArray out = b + 1 < decoder.length ? p.decStates[3 * (b + 1)] : p.decLast;
                    sum[encoder.length + b] += cosineRows(p.decStates[3 * b], out, p.m, d);
                    count[encoder.length + b] += p.m;
                }
            } finally {
                p.arena.close();
            }
        }
        double[] mean = new double[blocks];
        for (int b = 0; b < blocks; b++) mean[b] = count[b] == 0 ? 0 : sum[b] / count[b];
        return mean;
    }

    /** Sum over rows of cos(x_i, y_i). */
    private static double cosineRows(FloatArray x, FloatArray y, int rows, int d) {
        double total = 0;
        for (int i = 0; i < rows; i++) {
            double xy = 0, xx = 0, yy = 0;
            for (int j = 0; j < d; j++) {
                double a = x.get(i * d + j), b = y.get(i * d + j);
                xy += a * b;
                xx += a * a;
                yy += b * b;
            }
            total += xx == 0 || yy == 0 ? 0 : xy / Math.sqrt(xx * yy);
        }
        return total;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Generation with a decoder KV cache

    /**
     * Decodes after encoding {@code prompt} through the shared {@link Generator} loop: starts from
     * decoder_start_token_id with a {@link KvCache}, and stops at eos, at any of the options' stop tokens (neither
     * is returned) or after maxNewTokens.
     */
    @Override
    public int[] generate(int[] prompt, GenerationOptions options) {
        if (prompt == null) throw new SculptException("prompt must not be null");
        if (options == null) throw new SculptException("generation options must not be null");
        checkIds(prompt, "prompt");
        if (options.maxNewTokens() == 0) return new int[0];
        Set<Integer> stops = new HashSet<>(options.stopTokens());
        stops.add(config.eosTokenId());
        GenerationOptions withEos = new GenerationOptions(options.maxNewTokens(), options.greedy(), options.temperature(),
                options.topP(), options.seed(), stops);
        try (KvCache cache = newCache(prompt, options.maxNewTokens())) {
            return Generator.generate(cache, new int[] {config.decoderStartTokenId()}, withEos);
        }
    }

    /** Encodes {@code prompt} and returns an empty decoder cache with room for {@code capacity} decoder tokens. */
    public KvCache newCache(int[] prompt, int capacity) {
        checkIds(prompt, "prompt");
        if (capacity <= 0) throw new SculptException("decoder cache capacity must be > 0, got " + capacity);
        return new KvCache(encoderInput(prompt), capacity);
    }

    /**
     * The decoder's incremental state for one encoder input: the encoder output's cross-attention keys/values of
     * every decoder layer (computed once) and each layer's self-attention keys/values of the tokens fed so far.
     */
    public final class KvCache implements Generator.Decoder, AutoCloseable {
        private final Arena a = new Arena();
        private final int n;
        private final int capacity;
        private int length;
        private final FloatArray[] crossK, crossV, selfK, selfV;
        private final FloatArray x, xn, q, ctx, rstd, probs, bias, ffU, ffU1, ffH, y, logits;

        private KvCache(int[] enc, int capacity) {
            this.n = enc.length;
            this.capacity = capacity;
            int d = config.dModel();
            int inner = config.innerDim();
            int heads = config.numHeads();
            try {
                Pass p = forward(enc, new int[] {config.decoderStartTokenId()}, null);
                FloatArray encOut = a.take((long) n * d);
                try {
                    encOut.copyFrom(p.encOut, 0, 0, n * d);
                } finally {
                    p.arena.close();
                }
                crossK = new FloatArray[decoder.length];
                crossV = new FloatArray[decoder.length];
                selfK = new FloatArray[decoder.length];
                selfV = new FloatArray[decoder.length];
                for (int b = 0; b < decoder.length; b++) {
                    crossK[b] = a.take((long) n * inner);
                    crossV[b] = a.take((long) n * inner);
                    decoder[b].cross().k().forward(encOut, 0, crossK[b], 0, n);
                    decoder[b].cross().v().forward(encOut, 0, crossV[b], 0, n);
                    selfK[b] = a.take((long) capacity * inner);
                    selfV[b] = a.take((long) capacity * inner);
                }
                x = a.take(d);
                xn = a.take(d);
                q = a.take(inner);
                ctx = a.take(inner);
                rstd = a.take(1);
                probs = a.take((long) heads * Math.max(n, capacity));
                bias = a.take((long) heads * capacity);
                ffU = a.take(config.dFf());
                ffU1 = a.take(config.dFf());
                ffH = a.take(config.dFf());
                y = a.take(d);
                logits = a.take(config.vocabSize());
            } catch (RuntimeException e) {
                a.close();
                throw e;
            }
        }

        /** Decoder tokens fed so far. */
        public int length() { return length; }

        @Override public int remaining() { return capacity - length; }

        @Override
        public float[] feed(int[] ids) {
            if (ids.length == 0) throw new SculptException("feed needs at least one token");
            if (ids.length > remaining()) {
                throw new SculptException("decoder cache full: " + length + " + " + ids.length + " tokens exceed its capacity " + capacity);
            }
            checkIds(ids, "decoder input");
            for (int id : ids) step(id);
            return logits.toArray(0, config.vocabSize());
        }

        /** One decoder position: self-attention over the cache, cross-attention over the encoder, feed-forward. */
        private void step(int token) {
            int d = config.dModel();
            int inner = config.innerDim();
            int t = length;
            embed.forward(new int[] {token}, 0, 1, x, 0);
            decBias.forward(t, 1, t + 1, bias, 0);
            for (int b = 0; b < decoder.length; b++) {
                DecoderBlock blk = decoder[b];
                AttnLayer sa = blk.self();
                sa.ln().forward(x, 0, xn, 0, rstd, 0, 1);
                sa.q().forward(xn, 0, q, 0, 1);
                sa.k().forward(xn, 0, selfK[b], t * inner, 1);
                sa.v().forward(xn, 0, selfV[b], t * inner, 1);
                attention.forward(q, 0, selfK[b], 0, selfV[b], 0, 1, t + 1, bias, 0, false, 0, probs, 0, ctx, 0);
                sa.o().forward(ctx, 0, x, 0, 1, true);
                AttnLayer ca = blk.cross();
                ca.ln().forward(x, 0, xn, 0, rstd, 0, 1);
                ca.q().forward(xn, 0, q, 0, 1);
                attention.forward(q, 0, crossK[b], 0, crossV[b], 0, 1, n, null, 0, false, 0, probs, 0, ctx, 0);
                ca.o().forward(ctx, 0, x, 0, 1, true);
                blk.ffLn().forward(x, 0, xn, 0, rstd, 0, 1);
                blk.ff().forward(xn, ffU, ffU1, ffH, y, 1);
                for (int j = 0; j < d; j++) x.set(j, x.get(j) + y.get(j));
            }
            decFinal.forward(x, 0, xn, 0, rstd, 0, 1);
            if (outputScale != 1f) for (int j = 0; j < d; j++) xn.set(j, xn.get(j) * outputScale);
            lmHead.forward(xn, 0, logits, 0, 1);
            length++;
        }

        @Override
        public void close() { a.close(); }
    }

    @Override public dev.sculpt.ops.Ops ops() { return hostOps; }

    @Override
    public void close() {
        hostOps.close();
        for (Parameter p : params) p.close();
    }
}
