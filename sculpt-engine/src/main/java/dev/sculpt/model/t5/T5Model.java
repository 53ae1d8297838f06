package dev.sculpt.model.t5;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.engine.Arena;
import dev.sculpt.engine.AttentionBlock;
import dev.sculpt.engine.AttentionShape;
import dev.sculpt.engine.Bf16Compute;
import dev.sculpt.engine.Embedding;
import dev.sculpt.engine.FeedForward;
import dev.sculpt.engine.FeedForwardKind;
import dev.sculpt.engine.Initializer;
import dev.sculpt.engine.KvCache;
import dev.sculpt.engine.Linear;
import dev.sculpt.engine.LmHead;
import dev.sculpt.engine.Norm;
import dev.sculpt.engine.PackedBatch;
import dev.sculpt.engine.ParameterCheckpoint;
import dev.sculpt.engine.RowCosines;
import dev.sculpt.engine.ScoreBias;
import dev.sculpt.engine.Segments;
import dev.sculpt.io.DType;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.Generator;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.HostScalarSums;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.ScalarSums;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * T5 encoder-decoder ({@code T5ForConditionalGeneration}) with Hugging Face semantics and parameter names: wiring
 * over the shared blocks of {@link dev.sculpt.engine} on an {@link Ops} provider, which holds the parameters and every
 * activation (the model reads no float buffer itself).
 *
 * <ul>
 *   <li>Each block: pre-norm sub-layers with residuals; T5's RMS layer norm (no mean, no bias); attention without
 *   1/sqrt(d) scaling and without RoPE; a relative position bias ({@link RelativePositionBias}) from the table of
 *   block 0 (bidirectional in the encoder, causal in the decoder) shared by all blocks of the stack;
 *   cross-attention (no position bias) in the decoder.</li>
 *   <li>Feed-forward: relu (v1.0: wi, wo) or gated-gelu with gelu_new (v1.1 / flan: wi_0, wi_1, wo).</li>
 *   <li>Output: tied to {@code shared.weight} with the decoder output scaled by d_model^-0.5, or a separate
 *   {@code lm_head.weight} without scaling (the scale is the {@link LmHead}'s, folded into its products).</li>
 *   <li>An {@link Example} is (encoder input = prompt, labels = target, decoder input = decoder_start_token_id
 *   followed by the target shifted right by one); see {@link T5Batch}. No dropout (training behaves as HF's eval
 *   mode).</li>
 * </ul>
 *
 * <p>A micro-batch is packed end to end ({@link T5Batch}): every projection is one product over all encoder or all
 * decoder rows, attention runs per sequence on views. Activations live in an {@link Arena} whose buffers grow to
 * the largest micro-batch seen and are then reused. Saved per sub-layer: its input and normed input with 1/rms,
 * plus what the attention and feed-forward blocks keep. Not thread-safe: one model, one thread of control.
 */
public final class T5Model implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(T5Model.class);
    private static final String HF_CLASS = "T5ForConditionalGeneration";
    private final Ops ops;
    private final boolean ownsOps;
    private final T5Config config;
    private ObjectNode sourceConfig;   // config.json as loaded, kept so that saving preserves unknown fields
    private final List<Parameter> params = new ArrayList<>();
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final List<String> targets = new ArrayList<>();
    private final Arena arena;
    private final Parameter shared;
    private final Embedding embed;
    private final LmHead head;
    private final RelativePositionBias encBias;
    private final RelativePositionBias decBias;
    private final EncoderBlock[] encoder;
    private final DecoderBlock[] decoder;
    private final Norm encFinal;
    private final Norm decFinal;
    private final int heads;
    private final int d;
    private final int inner;
    private final List<Linear> projections = new ArrayList<>();
    private Bf16Compute bf16;
    private boolean recompute;
    private boolean closed;

    /**
     * A pre-norm sub-layer: its layer norm and its attention or feed-forward block, saving under the layer's own
     * names; {@code sharedBlock} is the same block saving under names all layers of its stack share (activation
     * recomputation keeps one layer's activations at a time).
     */
    private record SubLayer<B>(Norm norm, B block, B sharedBlock) {
        B block(boolean shared) { return shared ? sharedBlock : block; }
    }

    private record EncoderBlock(SubLayer<AttentionBlock> self, SubLayer<FeedForward> ff) {}

    private record DecoderBlock(SubLayer<AttentionBlock> self, SubLayer<AttentionBlock> cross, SubLayer<FeedForward> ff) {}

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
        this.arena = new Arena(ops, "t5");
        try {
            float eps = config.layerNormEpsilon();
            this.shared = add("shared.weight", config.vocabSize(), d);
            this.embed = new Embedding(ops, shared);
            this.encoder = new EncoderBlock[config.numLayers()];
            Parameter encTable = null;
            for (int i = 0; i < encoder.length; i++) {
                String p = "encoder.block." + i + ".layer.";
                SubLayer<AttentionBlock> self = attention("enc." + i + ".self.", "enc.layer.self.", p + "0.SelfAttention.", p + "0.layer_norm.weight", false);
                if (i == 0) encTable = add(p + "0.SelfAttention.relative_attention_bias.weight", config.relativeAttentionNumBuckets(), heads);
                encoder[i] = new EncoderBlock(self, feedForward("enc." + i + ".ff.", "enc.layer.ff.", p + "1."));
            }
            this.encFinal = new Norm(ops, arena, add("encoder.final_layer_norm.weight", d), eps);
            this.decoder = new DecoderBlock[config.numDecoderLayers()];
            Parameter decTable = null;
            for (int i = 0; i < decoder.length; i++) {
                String p = "decoder.block." + i + ".layer.";
                SubLayer<AttentionBlock> self = attention("dec." + i + ".self.", "dec.layer.self.", p + "0.SelfAttention.", p + "0.layer_norm.weight", true);
                if (i == 0) decTable = add(p + "0.SelfAttention.relative_attention_bias.weight", config.relativeAttentionNumBuckets(), heads);
                SubLayer<AttentionBlock> cross = attention("dec." + i + ".cross.", "dec.layer.cross.", p + "1.EncDecAttention.", p + "1.layer_norm.weight", false);
                decoder[i] = new DecoderBlock(self, cross, feedForward("dec." + i + ".ff.", "dec.layer.ff.", p + "2."));
            }
            this.decFinal = new Norm(ops, arena, add("decoder.final_layer_norm.weight", d), eps);
            // tied: logits = d_model^-0.5 * hidden shared^T (HF scales the decoder output); untied: no scale
            this.head = config.tieWordEmbeddings()
                    ? new LmHead(ops, arena, new Linear(ops, shared), (float) Math.pow(d, -0.5))
                    : new LmHead(ops, arena, new Linear(ops, add("lm_head.weight", config.vocabSize(), d)), 1f);
            this.encBias = new RelativePositionBias(encTable, true, config.relativeAttentionMaxDistance());
            this.decBias = new RelativePositionBias(decTable, false, config.relativeAttentionMaxDistance());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** q, k, v, o (OSFT targets) and the layer norm before them; T5 attention: no scaling, no RoPE. */
    private SubLayer<AttentionBlock> attention(String key, String sharedKey, String prefix, String lnName, boolean causal) {
        Linear q = projection(target(add(prefix + "q.weight", inner, d)));
        Linear k = projection(target(add(prefix + "k.weight", inner, d)));
        Linear v = projection(target(add(prefix + "v.weight", inner, d)));
        Linear o = projection(target(add(prefix + "o.weight", d, inner)));
        Norm ln = new Norm(ops, arena, add(lnName, d), config.layerNormEpsilon());
        AttentionShape shape = new AttentionShape(heads, heads, config.dKv(), 1f, causal, null);
        return new SubLayer<>(ln, new AttentionBlock(ops, arena, key, shape, q, k, v, o),
                new AttentionBlock(ops, arena, sharedKey, shape, q, k, v, o));
    }

    /** T5's DenseReluDense (wi, wo or wi_0, wi_1, wo) and the layer norm before it. */
    private SubLayer<FeedForward> feedForward(String key, String sharedKey, String prefix) {
        int ff = config.dFf();
        String dense = prefix + "DenseReluDense.";
        FeedForward block, sharedBlock;
        if (config.gated()) {
            Linear wi0 = projection(target(add(dense + "wi_0.weight", ff, d)));
            Linear wi1 = projection(target(add(dense + "wi_1.weight", ff, d)));
            Linear wo = projection(target(add(dense + "wo.weight", d, ff)));
            block = new FeedForward(ops, arena, key, FeedForwardKind.GATED_GELU, wi0, wi1, wo);
            sharedBlock = new FeedForward(ops, arena, sharedKey, FeedForwardKind.GATED_GELU, wi0, wi1, wo);
        } else {
            Linear wi = projection(target(add(dense + "wi.weight", ff, d)));
            Linear wo = projection(target(add(dense + "wo.weight", d, ff)));
            block = new FeedForward(ops, arena, key, FeedForwardKind.RELU, wi, null, wo);
            sharedBlock = new FeedForward(ops, arena, sharedKey, FeedForwardKind.RELU, wi, null, wo);
        }
        return new SubLayer<>(new Norm(ops, arena, add(prefix + "layer_norm.weight", d), config.layerNormEpsilon()), block, sharedBlock);
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
     * N(0, d_model^-1/2); drawn by the shared {@link Initializer} (the same values on every provider).
     */
    public static T5Model init(T5Config config, long seed) {
        return initialise(new T5Model(config), seed);
    }

    /** As {@link #init(T5Config, long)} on {@code ops}' device; the caller closes {@code ops} after the model. */
    public static T5Model init(T5Config config, long seed, Ops ops) {
        return initialise(new T5Model(config, ops), seed);
    }

    private static T5Model initialise(T5Model m, long seed) {
        try {
            Initializer.apply(m.params, seed, p -> initOf(m.config, p.name()));
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static Initializer.Init initOf(T5Config c, String n) {
        int d = c.dModel();
        if (n.endsWith("layer_norm.weight")) return new Initializer.Constant(1f);
        if (n.equals("shared.weight") || n.equals("lm_head.weight")) return new Initializer.Normal(1.0);
        if (n.endsWith(".q.weight")) return new Initializer.Normal(Math.pow((double) d * c.dKv(), -0.5));
        if (n.endsWith(".k.weight") || n.endsWith(".v.weight") || n.endsWith("relative_attention_bias.weight") || n.contains(".wi")) {
            return new Initializer.Normal(Math.pow(d, -0.5));
        }
        if (n.endsWith(".o.weight")) return new Initializer.Normal(Math.pow(c.innerDim(), -0.5));
        if (n.endsWith(".wo.weight")) return new Initializer.Normal(Math.pow(c.dFf(), -0.5));
        throw new IllegalStateException("no initialisation rule for " + n);
    }

    /** A freshly initialised model of a preset size ({@link T5Config#preset}) for {@code sculpt init --arch t5}. */
    public static T5Model init(String size, int vocabSize, int padId, int eosId, long seed) {
        return init(T5Config.preset(size, vocabSize, padId, eosId), seed);
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
                boolean embedOnly = !ckpt.has("shared.weight") && ckpt.has("encoder.embed_tokens.weight");
                ParameterCheckpoint.read(ckpt, m.params,
                        p -> p == m.shared && embedOnly ? "encoder.embed_tokens.weight" : p.name(), m.ops, HF_CLASS);
                for (String name : ParameterCheckpoint.unused(ckpt, m.params,
                        n -> n.endsWith("embed_tokens.weight") || n.equals("lm_head.weight"))) {
                    LOG.warn("{}: ignoring tensor {} that T5 does not use", dir, name);
                }
                if (ckpt.config() instanceof ObjectNode o) m.sourceConfig = o.deepCopy();
                return m;
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
    }

    /**
     * Writes config.json (the loaded one with this model's fields over it) and the parameters in {@code dtype},
     * plus {@code extraFiles} (e.g. tokenizer files), to {@code dir} atomically (the directory is replaced as a whole).
     */
    public void save(Path dir, DType dtype, Map<String, byte[]> extraFiles) {
        checkOpen();
        ObjectNode json = sourceConfig == null ? config.toJson() : sourceConfig.deepCopy().setAll(config.toJson());
        ParameterCheckpoint.write(dir, json, params, ops, extraFiles, dtype);
    }

    /** As {@link #save(Path, DType, Map)} without extra files. */
    public void save(Path dir, DType dtype) {
        save(dir, dtype, Map.of());
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

    /** Bytes of activation buffers the model holds (grown to the largest micro-batch seen), for benchmarks and plans. */
    public long activationBytes() {
        return arena.bytes();
    }

    /** Bytes of the activations held for the backward: the arena less its {@code scratch.} buffers. */
    public long savedActivationBytes() {
        return arena.savedBytes();
    }

    /**
     * Activation recomputation: the forward keeps only each block's input (and the encoder output) and the backward
     * runs one block's forward again just before its backward; the same operations on the same inputs (no dropout
     * here), so gradients and losses are bit-identical. Buffers of the other mode already grown stay held.
     */
    @Override
    public void recomputeActivations(boolean on) {
        checkOpen();
        recompute = on;
        applySaves(bf16 != null && !recompute);
    }

    /**
     * bf16 products in the blocks' projections (see {@link LanguageModel#computeInBf16}); lm_head stays float32.
     * Without recomputation the blocks' own attention and feed-forward blocks also save their activations in bf16
     * ({@link AttentionBlock#saveInBf16}); the residual stream, the norm outputs, 1/rms and the position biases stay
     * float32, and under recomputation the one block's shared buffers do too (bf16 would add float32 staging to them
     * and save nothing across blocks).
     */
    @Override
    public void computeInBf16(boolean on) {
        checkOpen();
        if (on && bf16 == null) bf16 = new Bf16Compute(ops, "t5");
        if (!on) applySaves(false);
        for (Linear l : projections) l.computeInBf16(on ? bf16 : null);
        if (!on && bf16 != null) {
            bf16.close();
            bf16 = null;
        }
        applySaves(bf16 != null && !recompute);
    }

    private void applySaves(boolean on) {
        for (EncoderBlock b : encoder) {
            b.self().block().saveInBf16(on);
            b.ff().block().saveInBf16(on);
        }
        for (DecoderBlock b : decoder) {
            b.self().block().saveInBf16(on);
            b.cross().block().saveInBf16(on);
            b.ff().block().saveInBf16(on);
        }
    }

    private Linear projection(Parameter weight) {
        Linear l = new Linear(ops, weight);
        projections.add(l);
        return l;
    }

    private void checkOpen() {
        if (closed) throw new SculptException("T5 model is closed");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Forward pass with everything the backward needs

    /** A sub-layer's saved input, normed input and 1/rms rows (its block keeps the rest in the arena). */
    private record Saved(Tensor x, Tensor xn, Tensor rstd) {}

    /** One micro-batch's forward: the hidden states (arena views) the backward and the block cosines need. */
    private static final class Pass {
        final T5Batch batch;
        Segments encSegs, decSegs;
        ScoreBias encPositions, decPositions;
        Tensor[] encStates;      // input of encoder block i; [L] is the last block's output
        Saved[] encSelf, encFf;
        Tensor encOut, encRstd;
        Tensor[] decStates;      // input of decoder block i; [L] is the last block's output
        Saved[] decSelf, decCross, decFf;
        Tensor decNorm, decRstd;

        Pass(T5Batch batch) {
            this.batch = batch;
        }
    }

    /**
     * out = x + block(norm(x)) over every row, keeping x, norm(x) and 1/rms under {@code key}: the attention
     * (self when memory is null, else cross to memory) or the feed-forward block.
     */
    private Saved attentionForward(String key, SubLayer<AttentionBlock> L, Tensor x, Segments xs, Tensor memory, Segments ms,
                                   ScoreBias bias, Tensor out) {
        Saved s = normed(key, L.norm(), x);
        ops.copy(x, out);
        L.block(recompute).forward(s.xn(), xs, memory, ms, bias, out, true);
        return s;
    }

    private Saved feedForwardForward(String key, SubLayer<FeedForward> L, Tensor x, Tensor out) {
        Saved s = normed(key, L.norm(), x);
        ops.copy(x, out);
        L.block(recompute).forward(s.xn(), out, true);
        return s;
    }

    private Saved normed(String key, Norm norm, Tensor x) {
        int n = x.dim(0);
        Tensor xn = arena.get(key + "xn", n, d);
        Tensor rstd = arena.get(key + "rstd", n);
        norm.forward(x, xn, rstd);
        return new Saved(x, xn, rstd);
    }

    /** The encoder over all packed encoder inputs: states, saves, and encOut (the final norm's output). */
    private void encode(Pass p) {
        PackedBatch b = p.batch.encoder();
        Segments segs = p.encSegs = b.segments();
        int n = b.tokens();
        Tensor h = arena.get("enc.0.in", n, d);
        embed.forward(b.ids(), h);
        p.encPositions = encBias.forSequences(ops, arena, "enc.bias", segs);
        p.encStates = new Tensor[encoder.length + 1];
        p.encSelf = new Saved[encoder.length];
        p.encFf = new Saved[encoder.length];
        for (int i = 0; i < encoder.length; i++) {
            p.encStates[i] = h;
            Tensor out = arena.get("enc." + (i + 1) + ".in", n, d);
            encoderLayerForward(p, i, out);
            h = out;
        }
        p.encStates[encoder.length] = h;
        p.encOut = arena.get("enc.out", n, d);
        p.encRstd = arena.get("enc.out.rstd", n);
        encFinal.forward(h, p.encOut, p.encRstd);
    }

    /** The decoder over all packed decoder inputs given the encoder output; decNorm is the final norm's output. */
    private void decode(Pass p) {
        PackedBatch b = p.batch.decoder();
        Segments segs = p.decSegs = b.segments();
        int m = b.tokens();
        Tensor g = arena.get("dec.0.in", m, d);
        embed.forward(b.ids(), g);
        p.decPositions = decBias.forSequences(ops, arena, "dec.bias", segs);
        p.decStates = new Tensor[decoder.length + 1];
        p.decSelf = new Saved[decoder.length];
        p.decCross = new Saved[decoder.length];
        p.decFf = new Saved[decoder.length];
        for (int i = 0; i < decoder.length; i++) {
            p.decStates[i] = g;
            Tensor g3 = arena.get("dec." + (i + 1) + ".in", m, d);
            decoderLayerForward(p, i, g3);
            g = g3;
        }
        p.decStates[decoder.length] = g;
        p.decNorm = arena.get("dec.out", m, d);
        p.decRstd = arena.get("dec.out.rstd", m);
        decFinal.forward(g, p.decNorm, p.decRstd);
    }

    /** Arena key of stack {@code stack}'s layer i: its own, or the one the stack's layers share under recomputation. */
    private String layerKey(String stack, int i) {
        return recompute ? stack + ".layer." : stack + "." + i + ".";
    }

    /** Encoder layer i from {@code p.encStates[i]} into {@code out}, saving its sub-layers into p. */
    private void encoderLayerForward(Pass p, int i, Tensor out) {
        int n = p.encSegs.tokens();
        String key = layerKey("enc", i);
        Tensor mid = arena.get(key + "mid", n, d);
        p.encSelf[i] = attentionForward(key + "self.", encoder[i].self(), p.encStates[i], p.encSegs, null, null, p.encPositions, mid);
        p.encFf[i] = feedForwardForward(key + "ff.", encoder[i].ff(), mid, out);
    }

    /** Decoder layer i from {@code p.decStates[i]} (and the encoder output) into {@code out}, saving into p. */
    private void decoderLayerForward(Pass p, int i, Tensor out) {
        int m = p.decSegs.tokens();
        DecoderBlock blk = decoder[i];
        String key = layerKey("dec", i);
        Tensor g1 = arena.get(key + "mid1", m, d);
        p.decSelf[i] = attentionForward(key + "self.", blk.self(), p.decStates[i], p.decSegs, null, null, p.decPositions, g1);
        Tensor g2 = arena.get(key + "mid2", m, d);
        p.decCross[i] = attentionForward(key + "cross.", blk.cross(), g1, p.decSegs, p.encOut, p.encSegs, null, g2);
        p.decFf[i] = feedForwardForward(key + "ff.", blk.ff(), g2, out);
    }

    private Pass forward(T5Batch batch) {
        checkOpen();
        Pass p = new Pass(batch);
        encode(p);
        decode(p);
        return p;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Loss and backward

    private LossSum run(List<Example> examples, boolean withBackward, float gradScale) {
        T5Batch batch = T5Batch.ofExamples(examples, config);
        if (batch.sequences() == 0) return new LossSum(0, 0);
        Pass p = forward(batch);
        PackedBatch dec = batch.decoder();
        if (!withBackward) return head.loss(p.decNorm, dec.lossRows(), dec.lossTargets(), 0f, null);
        HostScalarSums sum = new HostScalarSums(ops, 1);   // the loss read back per micro-batch
        long tokens = forwardBackward(p, gradScale, sum, 0);
        return new LossSum(sum.read()[0], tokens);
    }

    /** The loss of a forward pass into a slot of {@code lossSums}, then the backward; returns the target tokens. */
    private long forwardBackward(Pass p, float gradScale, ScalarSums lossSums, int slot) {
        PackedBatch dec = p.batch.decoder();
        Tensor dNorm = arena.get("grad.dnorm", dec.tokens(), d);
        long tokens = head.loss(p.decNorm, dec.lossRows(), dec.lossTargets(), gradScale, dNorm, lossSums, slot);
        backward(p, dNorm);
        return tokens;
    }

    /** Backward from the gradient of the decoder's final norm output. */
    private void backward(Pass p, Tensor dDecNorm) {
        int n = p.encSegs.tokens(), m = p.decSegs.tokens();
        Tensor dxn = arena.get("grad.dxn", Math.max(n, m), d);
        Tensor dg = arena.get("grad.dec", m, d);
        decFinal.backward(p.decStates[decoder.length], p.decRstd, dDecNorm, dg, false);
        // decoder blocks in reverse; dEnc collects the gradient of the encoder output from every cross-attention
        Tensor dEnc = arena.zeroed("grad.encout", n, d);
        Tensor dxnDec = dxn.view("grad.dxn (decoder)", 0, m, d);
        for (int i = decoder.length - 1; i >= 0; i--) {
            DecoderBlock blk = decoder[i];
            if (recompute) decoderLayerForward(p, i, arena.get("scratch.recompute.dec", m, d));
            feedForwardBackward(blk.ff(), p.decFf[i], dg, dxnDec);
            attentionBackward(blk.cross(), p.decCross[i], p.decSegs, p.encOut, p.encSegs, null, dg, dxnDec, dEnc);
            attentionBackward(blk.self(), p.decSelf[i], p.decSegs, null, null, p.decPositions, dg, dxnDec, null);
        }
        embed.backward(p.batch.decoder().ids(), dg);
        // encoder
        Tensor dh = arena.get("grad.enc", n, d);
        encFinal.backward(p.encStates[encoder.length], p.encRstd, dEnc, dh, false);
        Tensor dxnEnc = dxn.view("grad.dxn (encoder)", 0, n, d);
        for (int i = encoder.length - 1; i >= 0; i--) {
            if (recompute) encoderLayerForward(p, i, arena.get("scratch.recompute.enc", n, d));
            feedForwardBackward(encoder[i].ff(), p.encFf[i], dh, dxnEnc);
            attentionBackward(encoder[i].self(), p.encSelf[i], p.encSegs, null, null, p.encPositions, dh, dxnEnc, null);
        }
        embed.backward(p.batch.encoder().ids(), dh);
    }

    /**
     * Backward of out = x + ff(norm x): {@code dOut} holds d/d(out) on entry and d/dx on return (the residual
     * passes it through, the norm adds its part); dxn is scratch [n, d].
     */
    private void feedForwardBackward(SubLayer<FeedForward> L, Saved s, Tensor dOut, Tensor dxn) {
        L.block(recompute).backward(s.xn(), dOut, dxn, false);
        L.norm().backward(s.x(), s.rstd(), dxn, dOut, true);
    }

    /**
     * Backward of out = x + attention(norm x, memory): {@code dOut} becomes d/dx. Cross-attention adds the
     * gradient of its memory into {@code dMemory}; self-attention folds d/d(score) into the position bias table.
     */
    private void attentionBackward(SubLayer<AttentionBlock> L, Saved s, Segments xs, Tensor memory, Segments ms, ScoreBias bias,
                                   Tensor dOut, Tensor dxn, Tensor dMemory) {
        L.block(recompute).backward(s.xn(), xs, memory, ms, bias, dOut, dxn, false, dMemory, true);
        L.norm().backward(s.x(), s.rstd(), dxn, dOut, true);
    }

    // ---------------------------------------------------------------------------------------------------------
    // LanguageModel

    @Override
    public LossSum forwardBackward(List<Example> batch, float gradScale) {
        return run(batch, true, gradScale);
    }

    @Override
    public long forwardBackward(List<Example> batch, float gradScale, ScalarSums lossSums, int slot) {
        T5Batch packed = T5Batch.ofExamples(batch, config);
        if (packed.sequences() == 0) return 0;
        return forwardBackward(forward(packed), gradScale, lossSums, slot);
    }

    @Override
    public LossSum loss(List<Example> batch) {
        return run(batch, false, 0f);
    }

    @Override
    public float[][] logits(int[] ids, int[] decoderIds) {
        if (ids == null || ids.length == 0) throw new SculptException("T5 logits need at least one encoder input id");
        int[] dec = decoderIds == null || decoderIds.length == 0 ? new int[] {config.decoderStartTokenId()} : decoderIds;
        Pass p = forward(T5Batch.ofPair(ids, dec, config));
        return head.logits(p.decNorm);
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample) {
        return blockInputOutputCosine(sample, Integer.MAX_VALUE);
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample, int examplesPerPass) {
        if (examplesPerPass < 1) throw new SculptException("examples per pass must be >= 1, got " + examplesPerPass);
        int blocks = encoder.length + decoder.length;
        double[] sum = new double[blocks];
        List<Example> withTargets = new ArrayList<>();
        for (Example ex : sample) {
            withTargets.add(ex.target().length == 0 ? new Example(ex.prompt(), new int[] {config.eosTokenId()}) : ex);
        }
        long n = 0, m = 0;
        for (int from = 0; from < withTargets.size(); from += examplesPerPass) {
            T5Batch batch = T5Batch.ofExamples(withTargets.subList(from, (int) Math.min(withTargets.size(), (long) from + examplesPerPass)), config);
            if (batch.sequences() == 0) continue;
            Pass p = forward(batch);
            for (int i = 0; i < encoder.length; i++) sum[i] += RowCosines.sum(ops, arena, p.encStates[i], p.encStates[i + 1]);
            for (int i = 0; i < decoder.length; i++) {
                sum[encoder.length + i] += RowCosines.sum(ops, arena, p.decStates[i], p.decStates[i + 1]);
            }
            n += p.encSegs.tokens();
            m += p.decSegs.tokens();
        }
        double[] mean = new double[blocks];
        if (n == 0) return mean;
        for (int i = 0; i < encoder.length; i++) mean[i] = sum[i] / n;
        for (int i = 0; i < decoder.length; i++) mean[encoder.length + i] = sum[encoder.length + i] / m;
        return mean;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Generation with a decoder KV cache

    /**
     * Decodes after encoding {@code prompt} through the shared {@link Generator} loop: starts from
     * decoder_start_token_id with a {@link Decoder}, and stops at eos, at any of the options' stop tokens (neither
     * is returned) or after maxNewTokens.
     */
    @Override
    public int[] generate(int[] prompt, GenerationOptions options) {
        if (prompt == null) throw new SculptException("prompt must not be null");
        if (options == null) throw new SculptException("generation options must not be null");
        T5Batch.checkIds(prompt, "prompt", config.vocabSize());
        if (options.maxNewTokens() == 0) return new int[0];
        Set<Integer> stops = new HashSet<>(options.stopTokens());
        stops.add(config.eosTokenId());
        GenerationOptions withEos = new GenerationOptions(options.maxNewTokens(), options.greedy(), options.temperature(),
                options.topP(), options.seed(), stops);
        try (Decoder cache = newCache(prompt, options.maxNewTokens())) {
            return Generator.generate(cache, new int[] {config.decoderStartTokenId()}, withEos);
        }
    }

    /** Encodes {@code prompt} and returns an empty decoder cache with room for {@code capacity} decoder tokens. */
    public Decoder newCache(int[] prompt, int capacity) {
        checkOpen();
        T5Batch.checkIds(prompt, "prompt", config.vocabSize());
        if (capacity <= 0) throw new SculptException("decoder cache capacity must be > 0, got " + capacity);
        return new Decoder(prompt.length == 0 ? new int[] {config.eosTokenId()} : prompt, capacity);
    }

    /**
     * The decoder's incremental state for one encoder input, on the model's provider: a cross-attention
     * {@link KvCache} filled once from the encoder output and a self-attention {@link KvCache} of the tokens fed
     * so far. Step buffers live in the model's arena (gen.*): use one decoder at a time per model.
     */
    public final class Decoder implements Generator.Decoder, AutoCloseable {
        private final KvCache self;
        private final KvCache cross;

        private Decoder(int[] enc, int capacity) {
            Pass p = new Pass(T5Batch.ofPair(enc, new int[] {config.decoderStartTokenId()}, config));
            encode(p);
            KvCache s = null, c = null;
            try {
                s = new KvCache(ops, "t5 decoder self-attention", decoder.length, capacity, inner);
                c = new KvCache(ops, "t5 cross-attention", decoder.length, enc.length, inner);
                for (int i = 0; i < decoder.length; i++) decoder[i].cross().block().fillCross(p.encOut, c, i);
                c.advance(enc.length);
                arena.reserve("gen.bias", (long) heads * capacity);
            } catch (RuntimeException e) {
                if (s != null) s.close();
                if (c != null) c.close();
                throw e;
            }
            self = s;
            cross = c;
        }

        /** Decoder tokens fed so far. */
        public int length() { return self.length(); }

        @Override public int remaining() { return self.remaining(); }

        @Override
        public float[] feed(int[] ids) {
            checkOpen();
            if (ids.length == 0) throw new SculptException("feed needs at least one token");
            if (ids.length > remaining()) {
                throw new SculptException("decoder cache full: " + length() + " + " + ids.length
                        + " tokens exceed its capacity " + self.capacity());
            }
            T5Batch.checkIds(ids, "decoder input", config.vocabSize());
            float[][] last = null;
            for (int id : ids) last = step(id);
            return last[0];
        }

        /** One decoder position: self-attention over the cache, cross-attention over the encoder, feed-forward. */
        private float[][] step(int token) {
            int t = self.length();
            Tensor x = arena.get("gen.x", 1, d);
            Tensor xn = arena.get("gen.xn", 1, d);
            Tensor rstd = arena.get("gen.rstd", 1);
            embed.forward(new int[] {token}, x);
            Tensor bias = arena.get("gen.bias", heads, 1, t + 1);
            decBias.forward(ops, t, 1, t + 1, bias);
            for (int i = 0; i < decoder.length; i++) {
                DecoderBlock blk = decoder[i];
                blk.self().norm().forward(x, xn, rstd);
                blk.self().block().decodeSelf(xn, self, i, bias, x, true);
                blk.cross().norm().forward(x, xn, rstd);
                blk.cross().block().decodeCross(xn, cross, i, null, x, true);
                blk.ff().norm().forward(x, xn, rstd);
                blk.ff().block(recompute).forward(xn, x, true);   // shared buffers under recomputation, as in training
            }
            self.advance(1);
            decFinal.forward(x, xn, rstd);
            return head.logits(xn);
        }

        @Override
        public void close() {
            self.close();
            cross.close();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Linear l : projections) l.close();
        if (bf16 != null) bf16.close();
        arena.close();
        for (Parameter p : params) p.close();
        if (ownsOps) ops.close();
    }
}
