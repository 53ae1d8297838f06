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
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.cpu.CpuOps;
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
 * and explicit backward layer by layer on an {@link Ops} provider (the parameters and every activation live on
 * its device; the model reads no float buffer itself).
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
 *   followed by the target shifted right by one); see {@link EncDecBatch}. No dropout (training behaves as HF's
 *   eval mode).</li>
 * </ul>
 *
 * <p>A micro-batch is packed end to end ({@link EncDecBatch}): every projection is one product over all encoder
 * or all decoder rows, attention runs per sequence on views. Activations live in {@link ActivationBuffers} that
 * grow to the largest micro-batch seen and are then reused. Not thread-safe: one model, one thread of control.
 */
public final class T5Model implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(T5Model.class);
    private final Ops ops;
    private final boolean ownsOps;
    private final T5Config config;
    private ObjectNode sourceConfig;   // config.json as loaded, kept so that saving preserves unknown fields
    private final List<Parameter> params = new ArrayList<>();
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final List<String> targets = new ArrayList<>();
    private final Parameter shared;
    private final Parameter lmHead;
    private final float outputScale;
    private final RelativePositionBias encBias;
    private final RelativePositionBias decBias;
    private final EncoderBlock[] encoder;
    private final DecoderBlock[] decoder;
    private final Parameter encFinal;
    private final Parameter decFinal;
    private final ActivationBuffers buffers;
    private final T5Layers layers;
    private final int heads;
    private final int d;
    private final int inner;
    private boolean closed;

    /** Pre-norm attention sub-layer: layer_norm, then q/k/v/o. */
    private record AttnLayer(Parameter ln, Parameter q, Parameter k, Parameter v, Parameter o) {}

    private record EncoderBlock(AttnLayer self, Parameter ffLn, T5FeedForward ff) {}

    private record DecoderBlock(AttnLayer self, AttnLayer cross, Parameter ffLn, T5FeedForward ff) {}

    /** A model with all parameters zero on its own {@code cpu} provider (fill them by name, or use {@link #init}). */
    public T5Model(T5Config config) {
        this(config, new CpuOps(), true);
    }

    /** A model with all parameters zero on {@code ops}' device; the caller closes {@code ops} after the model. */
    public T5Model(T5Config config, Ops ops) {
        this(config, ops, false);
    }

    private T5Model(T5Config config, Ops ops, boolean ownsOps) {
        if (ops == null) throw new SculptException("a T5 model needs an ops provider (null given)");
        this.ops = ops;
        this.ownsOps = ownsOps;
        this.config = config;
        this.d = config.dModel();
        this.inner = config.innerDim();
        this.heads = config.numHeads();
        this.buffers = new ActivationBuffers(ops);
        this.layers = new T5Layers(ops, config.layerNormEpsilon(), buffers);
        try {
            this.shared = add("shared.weight", config.vocabSize(), d);
            this.encoder = new EncoderBlock[config.numLayers()];
            Parameter encTable = null;
            for (int i = 0; i < encoder.length; i++) {
                String p = "encoder.block." + i + ".layer.";
                AttnLayer self = attnLayer(p + "0.SelfAttention.", p + "0.layer_norm.weight");
                if (i == 0) encTable = add(p + "0.SelfAttention.relative_attention_bias.weight",
                        config.relativeAttentionNumBuckets(), heads);
                Parameter ffLn = add(p + "1.layer_norm.weight", d);
                encoder[i] = new EncoderBlock(self, ffLn, feedForward(p + "1.DenseReluDense."));
            }
            this.encFinal = add("encoder.final_layer_norm.weight", d);
            this.decoder = new DecoderBlock[config.numDecoderLayers()];
            Parameter decTable = null;
            for (int i = 0; i < decoder.length; i++) {
                String p = "decoder.block." + i + ".layer.";
                AttnLayer self = attnLayer(p + "0.SelfAttention.", p + "0.layer_norm.weight");
                if (i == 0) decTable = add(p + "0.SelfAttention.relative_attention_bias.weight",
                        config.relativeAttentionNumBuckets(), heads);
                AttnLayer cross = attnLayer(p + "1.EncDecAttention.", p + "1.layer_norm.weight");
                Parameter ffLn = add(p + "2.layer_norm.weight", d);
                decoder[i] = new DecoderBlock(self, cross, ffLn, feedForward(p + "2.DenseReluDense."));
            }
            this.decFinal = add("decoder.final_layer_norm.weight", d);
            if (config.tieWordEmbeddings()) {
                this.lmHead = shared;
                this.outputScale = (float) Math.pow(d, -0.5);
            } else {
                this.lmHead = add("lm_head.weight", config.vocabSize(), d);
                this.outputScale = 1f;
            }
            this.encBias = new RelativePositionBias(encTable, true, config.relativeAttentionMaxDistance());
            this.decBias = new RelativePositionBias(decTable, false, config.relativeAttentionMaxDistance());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private AttnLayer attnLayer(String prefix, String lnName) {
        Parameter q = target(add(prefix + "q.weight", inner, d));
        Parameter k = target(add(prefix + "k.weight", inner, d));
        Parameter v = target(add(prefix + "v.weight", inner, d));
        Parameter o = target(add(prefix + "o.weight", d, inner));
        Parameter ln = add(lnName, d);
        return new AttnLayer(ln, q, k, v, o);
    }

    private T5FeedForward feedForward(String prefix) {
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
        Parameter p = new Parameter(ops, name, shape);
        params.add(p);
        byName.put(name, p);
        return p;
    }

    private Parameter target(Parameter p) {
        targets.add(p.name());
        return p;
    }

    /**
     * A model on its own {@code cpu} provider, initialised as transformers' {@code T5PreTrainedModel._init_weights}
     * does (initializer_factor 1): embeddings and lm_head N(0, 1), layer norms 1, q N(0, (d_model d_kv)^-1/2), k and
     * v N(0, d_model^-1/2), o N(0, (heads d_kv)^-1/2), wi N(0, d_model^-1/2), wo N(0, d_ff^-1/2), relative bias
     * N(0, d_model^-1/2). One seeded stream over the parameters in order.
     */
    public static T5Model init(T5Config config, long seed) {
        return initialise(new T5Model(config), seed);
    }

    /** As {@link #init(T5Config, long)} on {@code ops}' device (the same values for the same seed on every provider). */
    public static T5Model init(T5Config config, long seed, Ops ops) {
        return initialise(new T5Model(config, ops), seed);
    }

    private static T5Model initialise(T5Model m, long seed) {
        try {
            T5Config config = m.config;
            SplittableRandom rng = new SplittableRandom(seed);
            int d = config.dModel();
            for (Parameter p : m.params) {
                String n = p.name();
                float[] values = new float[p.size()];
                double std;
                if (n.endsWith("layer_norm.weight")) {
                    java.util.Arrays.fill(values, 1f);
                    p.copyFrom(values);
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
                for (int i = 0; i < values.length; i++) values[i] = (float) (gaussian(rng) * std);
                p.copyFrom(values);
            }
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
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
     * or BF16) onto its own {@code cpu} provider. Every parameter must be present with its exact shape; the copies
     * of the tied embedding that some checkpoints also carry (encoder/decoder.embed_tokens.weight, lm_head.weight
     * when tied) are ignored.
     */
    public static T5Model load(Path dir) {
        return load(dir, null);
    }

    /** As {@link #load(Path)} onto {@code ops}' device; the caller closes {@code ops} after the model. */
    public static T5Model load(Path dir, Ops ops) {
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
            T5Model m = ops == null ? new T5Model(config) : new T5Model(config, ops);
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
                    m.readInto(ckpt, name, p);
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

    /** Reads a checkpoint tensor into a parameter through a host staging tensor (uploaded on a device provider). */
    private void readInto(HfCheckpoint ckpt, String name, Parameter p) {
        try (Tensor host = Tensor.allocateHost(name + " (read)", p.shape())) {
            ckpt.read(name, host.hostBuffer().duplicate().position(0));
            if (host.device() == ops.device()) {
                ops.copy(host, p.value());
            } else {
                try (Tensor dev = ops.upload(host, name + " (upload)")) {
                    ops.copy(dev, p.value());
                }
            }
        }
    }

    /** A checkpoint writer for this model's config.json and tensors; callers may add files (a tokenizer). */
    public CheckpointWriter writer(Path dir, DType dtype) {
        checkOpen();
        ObjectNode json = sourceConfig == null ? config.toJson() : sourceConfig.deepCopy().setAll(config.toJson());
        Map<String, TensorSource> tensors = new LinkedHashMap<>();
        for (Parameter p : params) tensors.put(p.name(), new ProviderTensorSource(ops, p));
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
    @Override public Ops ops() { return ops; }
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
    // Views of packed tensors

    private Tensor buf(String name, int... shape) {
        return buffers.get(name, shape);
    }

    /** Rows [start, start + len) of a [rows, cols] tensor. */
    private static Tensor rows(Tensor t, int start, int len) {
        int cols = t.dim(1);
        return t.view(t.name() + " rows " + start + "+" + len, (long) start * cols, len, cols);
    }

    /** The [heads, tq, tk] plane block at {@code heads * plane} of a flat packed tensor. */
    private Tensor planes(Tensor flat, long plane, int tq, int tk) {
        return flat.view(flat.name() + " @" + plane, (long) heads * plane, heads, tq, tk);
    }

    /** Which rows attend to which, per packed sequence: self-attention of a stack, or cross-attention. */
    private record Spans(int[] qStart, int[] qLen, int[] kStart, int[] kLen, long[] plane, long planes, boolean causal) {
        int count() { return qLen.length; }
    }

    private static Spans encoderSelf(EncDecBatch b) {
        return new Spans(b.encStart, b.encLen, b.encStart, b.encLen, b.encPlane, b.encPlanes, false);
    }

    private static Spans decoderSelf(EncDecBatch b) {
        return new Spans(b.decStart, b.decLen, b.decStart, b.decLen, b.decPlane, b.decPlanes, true);
    }

    private static Spans cross(EncDecBatch b) {
        return new Spans(b.decStart, b.decLen, b.encStart, b.encLen, b.crossPlane, b.crossPlanes, false);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Forward pass with everything the backward needs

    /** Saved activations of one attention sub-layer. */
    private static final class AttnTrace {
        Tensor xn, rstd, q, k, v, probs, ctx;
    }

    /** Saved activations of one feed-forward sub-layer. */
    private static final class FfTrace {
        Tensor xn, rstd, u, u1, h;
    }

    /** One micro-batch's forward: hidden states after every sub-layer, the traces and the logits (buffer views). */
    private final class Pass {
        final EncDecBatch batch;
        int n, m;
        Tensor[] encIn;               // input of encoder block b; encIn[L] is the last block's output
        Tensor[] encMid;              // after block b's attention
        AttnTrace[] encAttn;
        FfTrace[] encFf;
        Tensor encBiasBuf, encOut, encRstd;
        Tensor[] decIn, decMid1, decMid2;   // decoder: input, after self-attention, after cross-attention
        AttnTrace[] decSelf, decCross;
        FfTrace[] decFf;
        Tensor decBiasBuf, decNorm, decRstd, logits;

        Pass(EncDecBatch batch) {
            this.batch = batch;
        }
    }

    private void checkOpen() {
        if (closed) throw new SculptException("T5 model is closed");
    }

    /** Encoder over all packed encoder inputs: fills encIn, encMid, the traces and encOut. */
    private void encode(Pass p) {
        EncDecBatch b = p.batch;
        int n = p.n = b.encTokens();
        Tensor h = buf("enc.0.in", n, d);
        ops.embeddingForward(shared.value(), b.encIds, h);
        Spans spans = encoderSelf(b);
        p.encBiasBuf = positionBias(encBias, "enc.bias", spans);
        p.encIn = new Tensor[encoder.length + 1];
        p.encMid = new Tensor[encoder.length];
        p.encAttn = new AttnTrace[encoder.length];
        p.encFf = new FfTrace[encoder.length];
        for (int i = 0; i < encoder.length; i++) {
            EncoderBlock blk = encoder[i];
            p.encIn[i] = h;
            Tensor mid = buf("enc." + i + ".mid", n, d);
            p.encAttn[i] = attnForward("enc." + i + ".self", blk.self(), h, mid, null, spans, p.encBiasBuf);
            Tensor out = buf("enc." + (i + 1) + ".in", n, d);
            p.encFf[i] = ffForward("enc." + i + ".ff", blk.ffLn(), blk.ff(), mid, out);
            p.encMid[i] = mid;
            h = out;
        }
        p.encIn[encoder.length] = h;
        p.encOut = buf("enc.out", n, d);
        p.encRstd = buf("enc.out.rstd", n);
        layers.norm(encFinal, h, p.encOut, p.encRstd);
    }

    /** Decoder over all packed decoder inputs given the encoder output; logits when asked. */
    private void decode(Pass p, boolean withLogits) {
        EncDecBatch b = p.batch;
        int m = p.m = b.decTokens();
        Tensor g = buf("dec.0.in", m, d);
        ops.embeddingForward(shared.value(), b.decIds, g);
        Spans self = decoderSelf(b);
        Spans cross = cross(b);
        p.decBiasBuf = positionBias(decBias, "dec.bias", self);
        p.decIn = new Tensor[decoder.length + 1];
        p.decMid1 = new Tensor[decoder.length];
        p.decMid2 = new Tensor[decoder.length];
        p.decSelf = new AttnTrace[decoder.length];
        p.decCross = new AttnTrace[decoder.length];
        p.decFf = new FfTrace[decoder.length];
        for (int i = 0; i < decoder.length; i++) {
            DecoderBlock blk = decoder[i];
            p.decIn[i] = g;
            Tensor g1 = buf("dec." + i + ".mid1", m, d);
            p.decSelf[i] = attnForward("dec." + i + ".self", blk.self(), g, g1, null, self, p.decBiasBuf);
            Tensor g2 = buf("dec." + i + ".mid2", m, d);
            p.decCross[i] = attnForward("dec." + i + ".cross", blk.cross(), g1, g2, p.encOut, cross, null);
            Tensor g3 = buf("dec." + (i + 1) + ".in", m, d);
            p.decFf[i] = ffForward("dec." + i + ".ff", blk.ffLn(), blk.ff(), g2, g3);
            p.decMid1[i] = g1;
            p.decMid2[i] = g2;
            g = g3;
        }
        p.decIn[decoder.length] = g;
        p.decNorm = buf("dec.out", m, d);
        p.decRstd = buf("dec.out.rstd", m);
        layers.norm(decFinal, g, p.decNorm, p.decRstd);
        if (withLogits) {
            p.logits = buf("logits", m, config.vocabSize());
            layers.linear(lmHead, p.decNorm, p.logits, outputScale, false);
        }
    }

    private Pass forward(EncDecBatch batch, boolean withLogits) {
        checkOpen();
        Pass p = new Pass(batch);
        encode(p);
        decode(p, withLogits);
        return p;
    }

    /** The position bias of every sequence of a stack, packed as the attention probabilities are. */
    private Tensor positionBias(RelativePositionBias bias, String name, Spans s) {
        Tensor flat = buf(name, Math.toIntExact(heads * s.planes()));
        for (int i = 0; i < s.count(); i++) {
            bias.forward(ops, 0, s.qLen()[i], s.kLen()[i], planes(flat, s.plane()[i], s.qLen()[i], s.kLen()[i]));
        }
        return flat;
    }

    /**
     * out = x + o(attention(q(ln x), k(src), v(src))) where src = ln x (self-attention) or {@code kvSource}
     * (cross-attention over the encoder output), per sequence as {@code spans} say.
     */
    private AttnTrace attnForward(String key, AttnLayer L, Tensor x, Tensor out, Tensor kvSource, Spans s, Tensor bias) {
        int rows = x.dim(0);
        AttnTrace t = new AttnTrace();
        t.xn = buf(key + ".xn", rows, d);
        t.rstd = buf(key + ".rstd", rows);
        layers.norm(L.ln(), x, t.xn, t.rstd);
        Tensor src = kvSource == null ? t.xn : kvSource;
        int kvRows = src.dim(0);
        t.q = buf(key + ".q", rows, inner);
        t.k = buf(key + ".k", kvRows, inner);
        t.v = buf(key + ".v", kvRows, inner);
        layers.linear(L.q(), t.xn, t.q, 1f, false);
        layers.linear(L.k(), src, t.k, 1f, false);
        layers.linear(L.v(), src, t.v, 1f, false);
        t.probs = buf(key + ".probs", Math.toIntExact(heads * s.planes()));
        t.ctx = buf(key + ".ctx", rows, inner);
        for (int i = 0; i < s.count(); i++) {
            int tq = s.qLen()[i], tk = s.kLen()[i];
            ops.attentionForward(rows(t.q, s.qStart()[i], tq), rows(t.k, s.kStart()[i], tk), rows(t.v, s.kStart()[i], tk),
                    heads, heads, 1f, s.causal(), 0, bias == null ? null : planes(bias, s.plane()[i], tq, tk),
                    planes(t.probs, s.plane()[i], tq, tk), rows(t.ctx, s.qStart()[i], tq));
        }
        ops.copy(x, out);
        layers.linear(L.o(), t.ctx, out, 1f, true);
        return t;
    }

    /** out = x + ff(ln x). */
    private FfTrace ffForward(String key, Parameter ln, T5FeedForward ff, Tensor x, Tensor out) {
        int rows = x.dim(0);
        FfTrace f = new FfTrace();
        f.xn = buf(key + ".xn", rows, d);
        f.rstd = buf(key + ".rstd", rows);
        layers.norm(ln, x, f.xn, f.rstd);
        f.u = buf(key + ".u", rows, ff.dFf());
        f.u1 = ff.gated() ? buf(key + ".u1", rows, ff.dFf()) : null;
        f.h = buf(key + ".h", rows, ff.dFf());
        ops.copy(x, out);
        ff.forward(ops, layers, f.xn, f.u, f.u1, f.h, out);
        return f;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Loss and backward

    /** Summed cross-entropy of the logits against the labels; lse [m] kept for the backward. */
    private double crossEntropy(Pass p, Tensor lse) {
        Tensor loss = buf("loss", p.m);
        ops.crossEntropyForward(p.logits, p.batch.labels, loss, lse);
        return ops.sum(loss);
    }

    /** Gradient scratch of a backward pass, sized once for the larger stack. */
    private final class Grads {
        final Tensor dxn, tmp, dctx, dq, dk, dv, dBias, dh, du, du1;

        Grads(EncDecBatch b) {
            int rows = Math.max(b.encTokens(), b.decTokens());
            int ff = config.dFf();
            int maxPlane = Math.max(b.maxEnc * b.maxEnc, b.maxDec * b.maxDec);
            dxn = buf("grad.dxn", rows, d);
            tmp = buf("grad.tmp", rows, d);
            dctx = buf("grad.dctx", rows, inner);
            dq = buf("grad.dq", rows, inner);
            dk = buf("grad.dk", rows, inner);
            dv = buf("grad.dv", rows, inner);
            dBias = buf("grad.dbias", Math.toIntExact((long) heads * maxPlane));
            dh = buf("grad.dh", rows, ff);
            du = buf("grad.du", rows, ff);
            du1 = config.gated() ? buf("grad.du1", rows, ff) : null;
        }

        /** The first {@code n} rows of a scratch tensor. */
        Tensor top(Tensor t, int n) {
            return rows(t, 0, n);
        }
    }

    private void backward(Pass p, Tensor lse, float scale) {
        EncDecBatch b = p.batch;
        int n = p.n, m = p.m;
        Grads g = new Grads(b);
        // dLogits overwrites the logits (allowed by the op)
        ops.crossEntropyBackward(p.logits, lse, b.labels, scale, p.logits);
        Tensor dNorm = g.top(g.dxn, m);
        layers.linearBackward(lmHead, p.decNorm, p.logits, dNorm, outputScale, false);
        Tensor dg = buf("grad.dec", m, d);
        layers.normBackward(decFinal, p.decIn[decoder.length], p.decRstd, dNorm, dg);

        // decoder blocks in reverse; dEnc collects the gradient of the encoder output from every cross-attention
        Tensor dEnc = buf("grad.encout", n, d);
        ops.zero(dEnc);
        Spans self = decoderSelf(b), cross = cross(b);
        for (int i = decoder.length - 1; i >= 0; i--) {
            DecoderBlock blk = decoder[i];
            ffBackward(blk.ffLn(), blk.ff(), p.decFf[i], p.decMid2[i], dg, g);
            attnBackward(blk.cross(), p.decCross[i], p.decMid1[i], dg, p.encOut, dEnc, cross, null, g);
            attnBackward(blk.self(), p.decSelf[i], p.decIn[i], dg, null, null, self, decBias, g);
        }
        if (shared.trainable()) ops.embeddingBackward(b.decIds, dg, shared.gradient());

        // encoder
        Tensor dh = buf("grad.enc", n, d);
        layers.normBackward(encFinal, p.encIn[encoder.length], p.encRstd, dEnc, dh);
        Spans encSelf = encoderSelf(b);
        for (int i = encoder.length - 1; i >= 0; i--) {
            EncoderBlock blk = encoder[i];
            ffBackward(blk.ffLn(), blk.ff(), p.encFf[i], p.encMid[i], dh, g);
            attnBackward(blk.self(), p.encAttn[i], p.encIn[i], dh, null, null, encSelf, encBias, g);
        }
        if (shared.trainable()) ops.embeddingBackward(b.encIds, dh, shared.gradient());
    }

    /**
     * Backward of out = x + ff(ln x): {@code dOut} holds d/d(out) on entry and d/dx on return (the residual
     * passes it through, the norm adds its part).
     */
    private void ffBackward(Parameter ln, T5FeedForward ff, FfTrace f, Tensor x, Tensor dOut, Grads g) {
        int rows = x.dim(0);
        Tensor dxn = g.top(g.dxn, rows), tmp = g.top(g.tmp, rows);
        ff.backward(ops, layers, f.xn, f.u, f.u1, f.h, dOut, dxn, g.top(g.dh, rows), g.top(g.du, rows),
                g.du1 == null ? null : g.top(g.du1, rows));
        layers.normBackward(ln, x, f.rstd, dxn, tmp);
        ops.axpy(1f, tmp, dOut);
    }

    /**
     * Backward of out = x + o(attention(...)): {@code dOut} becomes d/dx. Cross-attention adds the gradient of its
     * key/value source into {@code dKv}; self-attention folds d/d(score) into the position bias table.
     */
    private void attnBackward(AttnLayer L, AttnTrace t, Tensor x, Tensor dOut, Tensor kvSource, Tensor dKv, Spans s,
                              RelativePositionBias bias, Grads g) {
        int rows = x.dim(0);
        int kvRows = t.k.dim(0);
        Tensor dctx = g.top(g.dctx, rows), dq = g.top(g.dq, rows), dk = g.top(g.dk, kvRows), dv = g.top(g.dv, kvRows);
        layers.linearBackward(L.o(), t.ctx, dOut, dctx, 1f, false);
        boolean biasGrad = bias != null && bias.table().trainable();
        for (int i = 0; i < s.count(); i++) {
            int tq = s.qLen()[i], tk = s.kLen()[i];
            int qs = s.qStart()[i], ks = s.kStart()[i];
            Tensor dBias = biasGrad ? planes(g.dBias, 0, tq, tk) : null;
            ops.attentionBackward(rows(t.q, qs, tq), rows(t.k, ks, tk), rows(t.v, ks, tk), heads, heads, 1f,
                    planes(t.probs, s.plane()[i], tq, tk), rows(dctx, qs, tq), rows(dq, qs, tq), rows(dk, ks, tk),
                    rows(dv, ks, tk), dBias);
            if (biasGrad) bias.backward(ops, 0, tq, tk, dBias);
        }
        Tensor dxn = g.top(g.dxn, rows), tmp = g.top(g.tmp, rows);
        layers.linearBackward(L.q(), t.xn, dq, dxn, 1f, false);
        if (kvSource == null) {
            layers.linearBackward(L.k(), t.xn, dk, dxn, 1f, true);
            layers.linearBackward(L.v(), t.xn, dv, dxn, 1f, true);
        } else {
            layers.linearBackward(L.k(), kvSource, dk, dKv, 1f, true);
            layers.linearBackward(L.v(), kvSource, dv, dKv, 1f, true);
        }
        layers.normBackward(L.ln(), x, t.rstd, dxn, tmp);
        ops.axpy(1f, tmp, dOut);
    }

    // ---------------------------------------------------------------------------------------------------------
    // LanguageModel

    private LossSum run(List<Example> batch, boolean withBackward, float gradScale) {
        EncDecBatch b = EncDecBatch.ofExamples(batch, config);
        if (b.sequences() == 0) return new LossSum(0, 0);
        Pass p = forward(b, true);
        Tensor lse = buf("lse", p.m);
        double loss = crossEntropy(p, lse);
        if (withBackward) backward(p, lse, gradScale);
        return new LossSum(loss, p.m);
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
        Pass p = forward(EncDecBatch.ofPair(ids, dec, config), true);
        float[] all = download(p.logits);
        int vocab = config.vocabSize();
        float[][] out = new float[dec.length][vocab];
        for (int i = 0; i < dec.length; i++) System.arraycopy(all, i * vocab, out[i], 0, vocab);
        return out;
    }

    private float[] download(Tensor t) {
        try (Tensor h = ops.download(t, t.name() + " (download)")) {
            return h.toArray();
        }
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample) {
        int blocks = encoder.length + decoder.length;
        double[] sum = new double[blocks];
        long[] count = new long[blocks];
        List<Example> withTargets = new ArrayList<>();
        for (Example ex : sample) {
            withTargets.add(ex.target().length == 0 ? new Example(ex.prompt(), new int[] {config.eosTokenId()}) : ex);
        }
        EncDecBatch b = EncDecBatch.ofExamples(withTargets, config);
        if (b.sequences() > 0) {
            Pass p = forward(b, false);
            float[] in = download(p.encIn[0]);
            for (int i = 0; i < encoder.length; i++) {
                float[] out = download(p.encIn[i + 1]);
                sum[i] += cosineRows(in, out, p.n, d);
                count[i] += p.n;
                in = out;
            }
            in = download(p.decIn[0]);
            for (int i = 0; i < decoder.length; i++) {
                float[] out = download(p.decIn[i + 1]);
                sum[encoder.length + i] += cosineRows(in, out, p.m, d);
                count[encoder.length + i] += p.m;
                in = out;
            }
        }
        double[] mean = new double[blocks];
        for (int i = 0; i < blocks; i++) mean[i] = count[i] == 0 ? 0 : sum[i] / count[i];
        return mean;
    }

    /** Sum over rows of cos(x_i, y_i). */
    private static double cosineRows(float[] x, float[] y, int rows, int d) {
        double total = 0;
        for (int i = 0; i < rows; i++) {
            double xy = 0, xx = 0, yy = 0;
            for (int j = 0; j < d; j++) {
                double a = x[i * d + j], b = y[i * d + j];
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
        EncDecBatch.checkIds(prompt, "prompt", config.vocabSize());
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
        EncDecBatch.checkIds(prompt, "prompt", config.vocabSize());
        if (capacity <= 0) throw new SculptException("decoder cache capacity must be > 0, got " + capacity);
        return new KvCache(prompt.length == 0 ? new int[] {config.eosTokenId()} : prompt, capacity);
    }

    /**
     * The decoder's incremental state for one encoder input, on the model's provider: the encoder output's
     * cross-attention keys/values of every decoder layer (computed once) and each layer's self-attention
     * keys/values of the tokens fed so far.
     */
    public final class KvCache implements Generator.Decoder, AutoCloseable {
        private final List<Tensor> owned = new ArrayList<>();
        private final int n;
        private final int capacity;
        private int length;
        private final Tensor[] crossK, crossV, selfK, selfV;
        private final Tensor x, xn, q, ctx, rstd, probs, bias, ffU, ffU1, ffH, logits;

        private KvCache(int[] enc, int capacity) {
            checkOpen();
            this.n = enc.length;
            this.capacity = capacity;
            try {
                Pass p = new Pass(EncDecBatch.ofPair(enc, new int[] {config.decoderStartTokenId()}, config));
                encode(p);
                crossK = new Tensor[decoder.length];
                crossV = new Tensor[decoder.length];
                selfK = new Tensor[decoder.length];
                selfV = new Tensor[decoder.length];
                for (int i = 0; i < decoder.length; i++) {
                    crossK[i] = own("cache cross k " + i, n, inner);
                    crossV[i] = own("cache cross v " + i, n, inner);
                    layers.linear(decoder[i].cross().k(), p.encOut, crossK[i], 1f, false);
                    layers.linear(decoder[i].cross().v(), p.encOut, crossV[i], 1f, false);
                    selfK[i] = own("cache self k " + i, capacity, inner);
                    selfV[i] = own("cache self v " + i, capacity, inner);
                }
                x = own("cache x", 1, d);
                xn = own("cache xn", 1, d);
                q = own("cache q", 1, inner);
                ctx = own("cache ctx", 1, inner);
                rstd = own("cache rstd", 1);
                probs = own("cache probs", heads * Math.max(n, capacity));
                bias = own("cache bias", heads * capacity);
                ffU = own("cache ff u", 1, config.dFf());
                ffU1 = own("cache ff u1", 1, config.dFf());
                ffH = own("cache ff h", 1, config.dFf());
                logits = own("cache logits", 1, config.vocabSize());
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private Tensor own(String name, int... shape) {
            Tensor t = ops.allocate(name, shape);
            owned.add(t);
            return t;
        }

        /** Decoder tokens fed so far. */
        public int length() { return length; }

        @Override public int remaining() { return capacity - length; }

        @Override
        public float[] feed(int[] ids) {
            checkOpen();
            if (ids.length == 0) throw new SculptException("feed needs at least one token");
            if (ids.length > remaining()) {
                throw new SculptException("decoder cache full: " + length + " + " + ids.length + " tokens exceed its capacity " + capacity);
            }
            EncDecBatch.checkIds(ids, "decoder input", config.vocabSize());
            for (int id : ids) step(id);
            return download(logits);
        }

        /** One decoder position: self-attention over the cache, cross-attention over the encoder, feed-forward. */
        private void step(int token) {
            int t = length;
            ops.embeddingForward(shared.value(), new int[] {token}, x);
            Tensor selfBias = bias.view("cache bias", 0, heads, 1, t + 1);
            decBias.forward(ops, t, 1, t + 1, selfBias);
            Tensor selfProbs = probs.view("cache self probs", 0, heads, 1, t + 1);
            Tensor crossProbs = probs.view("cache cross probs", 0, heads, 1, n);
            for (int i = 0; i < decoder.length; i++) {
                DecoderBlock blk = decoder[i];
                AttnLayer sa = blk.self();
                layers.norm(sa.ln(), x, xn, rstd);
                layers.linear(sa.q(), xn, q, 1f, false);
                layers.linear(sa.k(), xn, rows(selfK[i], t, 1), 1f, false);
                layers.linear(sa.v(), xn, rows(selfV[i], t, 1), 1f, false);
                ops.attentionForward(q, rows(selfK[i], 0, t + 1), rows(selfV[i], 0, t + 1), heads, heads, 1f, false, 0,
                        selfBias, selfProbs, ctx);
                layers.linear(sa.o(), ctx, x, 1f, true);
                AttnLayer ca = blk.cross();
                layers.norm(ca.ln(), x, xn, rstd);
                layers.linear(ca.q(), xn, q, 1f, false);
                ops.attentionForward(q, crossK[i], crossV[i], heads, heads, 1f, false, 0, null, crossProbs, ctx);
                layers.linear(ca.o(), ctx, x, 1f, true);
                layers.norm(blk.ffLn(), x, xn, rstd);
                blk.ff().forward(ops, layers, xn, ffU, ffU1, ffH, x);
            }
            layers.norm(decFinal, x, xn, rstd);
            layers.linear(lmHead, xn, logits, outputScale, false);
            length++;
        }

        @Override
        public void close() {
            for (Tensor t : owned) t.close();
            owned.clear();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        buffers.close();
        for (Parameter p : params) p.close();
        if (ownsOps) ops.close();
    }
}
