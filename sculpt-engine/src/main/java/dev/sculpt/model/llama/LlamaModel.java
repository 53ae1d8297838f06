package dev.sculpt.model.llama;

import dev.sculpt.SculptException;
import dev.sculpt.engine.Arena;
import dev.sculpt.engine.AttentionBlock;
import dev.sculpt.engine.AttentionShape;
import dev.sculpt.engine.Bf16Compute;
import dev.sculpt.engine.Embedding;
import dev.sculpt.engine.FeedForward;
import dev.sculpt.engine.FeedForwardKind;
import dev.sculpt.engine.Initializer;
import dev.sculpt.engine.Linear;
import dev.sculpt.engine.LmHead;
import dev.sculpt.engine.Norm;
import dev.sculpt.engine.PackedBatch;
import dev.sculpt.engine.ParameterCheckpoint;
import dev.sculpt.engine.RowCosines;
import dev.sculpt.engine.Segments;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LlamaForCausalLM} in float32 on an {@link Ops} provider: RMSNorm, RoPE (rotate-half), grouped-query causal
 * attention, SwiGLU MLP, tied or untied lm_head; parameters under their Hugging Face names and layouts. The model
 * is wiring over the shared blocks of {@link dev.sculpt.engine}; every float it computes with lives on the provider.
 *
 * <p>Forward and backward are written out layer by layer (llm.c style, no tape). A micro-batch is packed end to
 * end ({@link PackedBatch}) so that every projection is one gemm over all of its tokens; activations live in an
 * {@link Arena} whose buffers grow to the largest micro-batch seen and are then reused. Saved per layer: the block
 * input, both norm outputs and their 1/rms rows, the residual after attention, q/k/v/context/probabilities and the
 * MLP's gate, up and SiLU(gate) * up (what {@link LlamaFamily#trainingShape} counts; the last six and the
 * probabilities in bf16 under bf16 compute without recomputation). Not thread-safe: one model,
 * one thread of control.
 */
public final class LlamaModel implements LanguageModel {
    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);
    /** Arena prefix of the one layer's activations that recomputation keeps at a time. */
    private static final String SHARED = "layer.";
    private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.");

    private final LlamaConfig cfg;
    private final Ops ops;
    private final boolean ownsOps;
    private final Arena arena;
    private final List<Parameter> params = new ArrayList<>();
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final Embedding embed;
    private final Layer[] layers;
    private final Norm finalNorm;
    private final LmHead head;
    private final List<Linear> projections = new ArrayList<>();
    private Bf16Compute bf16;
    private boolean recompute;
    private boolean closed;

    /**
     * One decoder layer. {@code attention} and {@code mlp} save under the layer's own names; {@code sharedAttention}
     * and {@code sharedMlp} are the same projections saving under names every layer shares (activation
     * recomputation: one layer's saved activations at a time).
     */
    private record Layer(Norm inputNorm, AttentionBlock attention, Norm postNorm, FeedForward mlp,
                         AttentionBlock sharedAttention, FeedForward sharedMlp) {
        AttentionBlock attention(boolean shared) { return shared ? sharedAttention : attention; }
        FeedForward mlp(boolean shared) { return shared ? sharedMlp : mlp; }
    }

    private LlamaModel(LlamaConfig cfg, Ops ops, boolean ownsOps) {
        this.cfg = cfg;
        this.ops = ops;
        this.ownsOps = ownsOps;
        this.arena = new Arena(ops, "llama");
        try {
            int d = cfg.hiddenSize(), inter = cfg.intermediateSize();
            float eps = (float) cfg.rmsNormEps();
            Parameter emb = add("model.embed_tokens.weight", cfg.vocabSize(), d);
            embed = new Embedding(ops, emb);
            AttentionShape shape = new AttentionShape(cfg.numAttentionHeads(), cfg.numKeyValueHeads(), cfg.headDim(),
                    (float) (1.0 / Math.sqrt(cfg.headDim())), true, cfg.inverseFrequencies());
            layers = new Layer[cfg.numHiddenLayers()];
            for (int l = 0; l < layers.length; l++) {
                String p = "model.layers." + l + ".";
                Norm in = new Norm(ops, arena, add(p + "input_layernorm.weight", d), eps);
                Linear q = linear(p + "self_attn.q_proj.weight", cfg.qDim(), d);
                Linear k = linear(p + "self_attn.k_proj.weight", cfg.kvDim(), d);
                Linear v = linear(p + "self_attn.v_proj.weight", cfg.kvDim(), d);
                Linear o = linear(p + "self_attn.o_proj.weight", d, cfg.qDim());
                Norm post = new Norm(ops, arena, add(p + "post_attention_layernorm.weight", d), eps);
                Linear gate = linear(p + "mlp.gate_proj.weight", inter, d);
                Linear up = linear(p + "mlp.up_proj.weight", inter, d);
                Linear down = linear(p + "mlp.down_proj.weight", d, inter);
                layers[l] = new Layer(in, new AttentionBlock(ops, arena, "layers." + l + ".attn.", shape, q, k, v, o), post,
                        new FeedForward(ops, arena, "layers." + l + ".mlp.", FeedForwardKind.SWIGLU, gate, up, down),
                        new AttentionBlock(ops, arena, SHARED + "attn.", shape, q, k, v, o),
                        new FeedForward(ops, arena, SHARED + "mlp.", FeedForwardKind.SWIGLU, gate, up, down));
            }
            finalNorm = new Norm(ops, arena, add("model.norm.weight", d), eps);
            head = new LmHead(ops, arena, new Linear(ops, cfg.tieWordEmbeddings() ? emb : add("lm_head.weight", cfg.vocabSize(), d)));
        } catch (RuntimeException e) {
            release();
            throw e;
        }
    }

    private Parameter add(String name, int... shape) {
        Parameter p = new Parameter(ops, name, shape);
        params.add(p);
        byName.put(name, p);
        return p;
    }

    private Linear linear(String name, int rows, int cols) {
        Linear l = new Linear(ops, add(name, rows, cols));
        projections.add(l);
        return l;
    }

    /** A host model (on a {@code cpu} provider it owns and closes) with Hugging Face's initialisation; see {@link #create(LlamaConfig, long, Ops)}. */
    public static LlamaModel create(LlamaConfig cfg, long seed) {
        Ops own = newHostOps();
        LlamaModel m;
        try {
            m = new LlamaModel(cfg, own, true);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
        return init(m, seed);
    }

    /**
     * A model on {@code ops} (the caller closes it after the model) with Hugging Face's initialisation: every
     * linear and embedding weight ~ N(0, initializer_range^2), norms at 1. Deterministic for a seed and the same on
     * every provider (each parameter draws from its own split of the seed's stream, on the host).
     */
    public static LlamaModel create(LlamaConfig cfg, long seed, Ops ops) {
        return init(new LlamaModel(cfg, ops, false), seed);
    }

    private static LlamaModel init(LlamaModel m, long seed) {
        try {
            Initializer.apply(m.params, seed, p -> p.isMatrix()
                    ? new Initializer.Normal(m.cfg.initializerRange()) : new Initializer.Constant(1f));
            return m;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static Ops newHostOps() {
        return new CpuOps();
    }

    /** Loads a checkpoint into host memory, on a {@code cpu} provider the model owns; see {@link #load(Path, Ops)}. */
    public static LlamaModel load(Path dir) {
        Ops own = newHostOps();
        try {
            return load(dir, own, true);
        } catch (RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Loads a {@code LlamaForCausalLM} checkpoint directory (config.json plus model.safetensors or a sharded
     * index; F32, F16 or BF16 tensors, memory-mapped and converted into the parameters on {@code ops}, which the
     * caller closes after the model). A missing or mis-shaped tensor is an error naming it; with tied embeddings a
     * stored lm_head.weight is ignored; other unknown tensors are logged and skipped.
     */
    public static LlamaModel load(Path dir, Ops ops) {
        return load(dir, ops, false);
    }

    private static LlamaModel load(Path dir, Ops ops, boolean owns) {
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            LlamaConfig cfg = LlamaConfig.fromJson(ck.config());
            LlamaModel m = new LlamaModel(cfg, ops, owns);
            try {
                ParameterCheckpoint.read(ck, m.params, Parameter::name, ops, "LlamaForCausalLM");
                List<String> unused = ParameterCheckpoint.unused(ck, m.params,
                        n -> cfg.tieWordEmbeddings() && n.equals("lm_head.weight"));
                if (!unused.isEmpty()) LOG.warn("{}: ignoring {} tensors llama does not use, e.g. {}", dir, unused.size(), unused.get(0));
                return m;
            } catch (RuntimeException e) {
                m.closeKeepingOps();
                throw e;
            }
        }
    }

    /**
     * Writes the model to {@code dir} atomically in Hugging Face layout: config.json, float32 model.safetensors
     * (lm_head.weight omitted when tied, as transformers does) and the given extra files (e.g. the tokenizer).
     */
    public void save(Path dir, Map<String, byte[]> extraFiles) {
        checkOpen();
        ParameterCheckpoint.write(dir, cfg.toJson(), params, ops, extraFiles);
    }

    public LlamaConfig config() { return cfg; }

    /** The parameter with this Hugging Face name; throws naming it when there is none. */
    public Parameter parameter(String name) {
        Parameter p = byName.get(name);
        if (p == null) throw new SculptException("llama model has no parameter " + name);
        return p;
    }

    @Override public String architecture() { return "llama"; }
    @Override public Ops ops() { return ops; }
    @Override public List<Parameter> parameters() { return Collections.unmodifiableList(params); }
    @Override public int vocabSize() { return cfg.vocabSize(); }

    @Override
    public int blockOf(String parameterName) {
        Matcher m = LAYER.matcher(parameterName);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    @Override
    public List<String> targetMatrixNames() {
        List<String> names = new ArrayList<>();
        for (Layer l : layers) {
            AttentionBlock a = l.attention;
            for (Linear x : List.of(a.q(), a.k(), a.v(), a.o(), l.mlp.gate(), l.mlp.up(), l.mlp.down())) names.add(x.weight().name());
        }
        return names;
    }

    // ------------------------------------------------------------------ training and evaluation

    @Override
    public LossSum forwardBackward(List<Example> batch, float gradScale) {
        HostScalarSums sum = new HostScalarSums(ops, 1);   // the loss read back per micro-batch
        long tokens = forwardBackward(batch, gradScale, sum, 0);
        return new LossSum(sum.read()[0], tokens);
    }

    @Override
    public long forwardBackward(List<Example> batch, float gradScale, ScalarSums lossSums, int slot) {
        checkOpen();
        PackedBatch b = PackedBatch.ofExamples(batch, cfg.maxPositionEmbeddings());
        if (b.lossRows().length == 0) return 0; // nothing to learn from: no gradient at all
        forward(b);
        Tensor dLn = arena.get("scratch.dln", b.tokens(), cfg.hiddenSize());
        long tokens = head.loss(act("lnf", b.tokens()), b.lossRows(), b.lossTargets(), gradScale, dLn, lossSums, slot);
        backward(b);
        return tokens;
    }

    @Override
    public LossSum loss(List<Example> batch) {
        checkOpen();
        PackedBatch b = PackedBatch.ofExamples(batch, cfg.maxPositionEmbeddings());
        if (b.lossRows().length == 0) return new LossSum(0, 0);
        forward(b);
        return head.loss(act("lnf", b.tokens()), b.lossRows(), b.lossTargets(), 0f, null);
    }

    @Override
    public float[][] logits(int[] ids, int[] decoderIds) {
        checkOpen();
        if (decoderIds != null && decoderIds.length > 0) {
            throw new SculptException("llama is decoder-only: decoder ids apply to encoder-decoder models (t5)");
        }
        if (ids.length == 0) return new float[0][];
        PackedBatch b = PackedBatch.ofSequences(List.of(ids), cfg.maxPositionEmbeddings());
        forward(b);
        return head.logits(act("lnf", b.tokens()));
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample) {
        return blockInputOutputCosine(sample, Integer.MAX_VALUE);
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample, int examplesPerPass) {
        checkOpen();
        if (examplesPerPass < 1) throw new SculptException("examples per pass must be >= 1, got " + examplesPerPass);
        double[] sum = new double[layers.length];
        long count = 0;
        // chunks of examples keep the activation buffers bounded
        List<int[]> chunk = new ArrayList<>();
        int chunkTokens = 0;
        for (int e = 0; e <= sample.size(); e++) {
            int[] seq = null;
            if (e < sample.size()) {
                Example ex = sample.get(e);
                seq = new int[ex.prompt().length + ex.target().length];
                System.arraycopy(ex.prompt(), 0, seq, 0, ex.prompt().length);
                System.arraycopy(ex.target(), 0, seq, ex.prompt().length, ex.target().length);
            }
            if (seq != null && seq.length > 0) {
                chunk.add(seq);
                chunkTokens += seq.length;
            }
            if (!chunk.isEmpty() && (seq == null || chunkTokens >= 2048 || chunk.size() >= examplesPerPass)) {
                PackedBatch b = PackedBatch.ofSequences(chunk, cfg.maxPositionEmbeddings());
                forward(b);
                for (int l = 0; l < layers.length; l++) {
                    sum[l] += RowCosines.sum(ops, arena, act("res." + l, b.tokens()), act("res." + (l + 1), b.tokens()));
                }
                count += b.tokens();
                chunk.clear();
                chunkTokens = 0;
            }
        }
        if (count == 0) throw new SculptException("layer importance needs a non-empty calibration sample");
        for (int l = 0; l < layers.length; l++) sum[l] /= count;
        return sum;
    }

    /** The saved activation {@code name}, [n, hidden]. */
    private Tensor act(String name, int n) {
        return arena.get(name, n, cfg.hiddenSize());
    }

    private Tensor rows(String name, int n) {
        return arena.get(name, n);
    }

    /** Arena name of layer l's saved activation {@code what}: its own, or the shared one under recomputation. */
    private String saved(String what, int l) {
        return recompute ? SHARED + what : what + "." + l;
    }

    /**
     * Forward through all layers and the final norm, saving what the backward needs: everything of every layer, or
     * under recomputation only each layer's input {@code res.l} (the rest of a layer lives in the shared buffers
     * until the next layer overwrites it).
     */
    private void forward(PackedBatch b) {
        int n = b.tokens();
        Segments seg = b.segments();
        embed.forward(b.ids(), act("res.0", n));
        for (int l = 0; l < layers.length; l++) {
            Tensor next = act("res." + (l + 1), n);
            layerForward(l, b, seg, next);
        }
        finalNorm.forward(act("res." + layers.length, n), act("lnf", n), rows("rstdF", n));
    }

    /**
     * Layer l from {@code res.l}, saving under {@link #saved}, its output written to {@code out}:
     * mid = x + o(attention(ln1)); out = mid + down(silu(gate(ln2)) * up(ln2)).
     */
    private void layerForward(int l, PackedBatch b, Segments seg, Tensor out) {
        int n = b.tokens();
        Layer layer = layers[l];
        Tensor x = act("res." + l, n), mid = act(saved("mid", l), n);
        Tensor ln1 = act(saved("ln1", l), n), ln2 = act(saved("ln2", l), n);
        layer.inputNorm.forward(x, ln1, rows(saved("rstd1", l), n));
        ops.copy(x, mid);
        layer.attention(recompute).forward(ln1, seg, null, null, null, mid, true);
        layer.postNorm.forward(mid, ln2, rows(saved("rstd2", l), n));
        ops.copy(mid, out);
        layer.mlp(recompute).forward(ln2, out, true);
    }

    /**
     * Backward from {@code scratch.dln} (the gradient at the final norm's output) to every parameter. Under
     * recomputation each layer's forward first runs again from its saved input (the same operations on the same
     * inputs, so the same bits; there is no dropout or other randomness to replay), its output going to a scratch
     * buffer, not over the next layer's input.
     */
    private void backward(PackedBatch b) {
        int n = b.tokens();
        Segments seg = b.segments();
        Tensor dRes = act("scratch.dres", n), dLn = act("scratch.dln", n);
        finalNorm.backward(act("res." + layers.length, n), rows("rstdF", n), dLn, dRes, false);
        for (int l = layers.length - 1; l >= 0; l--) {
            Layer layer = layers[l];
            if (recompute) layerForward(l, b, seg, act("scratch.recompute.out", n));
            Tensor x = act("res." + l, n), mid = act(saved("mid", l), n);
            layer.mlp(recompute).backward(act(saved("ln2", l), n), dRes, dLn, false);
            layer.postNorm.backward(mid, rows(saved("rstd2", l), n), dLn, dRes, true);
            layer.attention(recompute).backward(act(saved("ln1", l), n), seg, null, null, null, dRes, dLn, false, null, false);
            layer.inputNorm.backward(x, rows(saved("rstd1", l), n), dLn, dRes, true);
        }
        embed.backward(b.ids(), dRes);
    }

    // ------------------------------------------------------------------ generation

    @Override
    public int[] generate(int[] prompt, GenerationOptions options) {
        checkOpen();
        int[] start = prompt;
        if (start.length == 0) {
            if (cfg.bosTokenId() < 0) throw new SculptException("empty prompt and the config has no bos_token_id to start from");
            start = new int[]{cfg.bosTokenId()};
        }
        int capacity = (int) Math.min(cfg.maxPositionEmbeddings(), (long) start.length + options.maxNewTokens());
        try (KvCache cache = new KvCache(Math.max(1, capacity))) {
            return Generator.generate(cache, start, options);
        }
    }

    /** A KV-cached incremental decoder over this model (see {@link Generator}); close it when done. */
    public KvCache newCache(int capacity) {
        checkOpen();
        return new KvCache(Math.min(capacity, cfg.maxPositionEmbeddings()));
    }

    /**
     * Keys and values (after RoPE) of every layer for the tokens fed so far, on the model's provider
     * ({@link dev.sculpt.engine.KvCache}). Each {@link #feed} runs the new tokens through the model in one pass; the
     * step's activations live in the model's arena.
     */
    public final class KvCache implements Generator.Decoder, AutoCloseable {
        private final dev.sculpt.engine.KvCache cache;

        private KvCache(int capacity) {
            cache = new dev.sculpt.engine.KvCache(ops, "llama kv", layers.length, capacity, cfg.kvDim());
        }

        public int length() { return cache.length(); }

        @Override public int remaining() { return cache.remaining(); }

        @Override
        public float[] feed(int[] ids) {
            checkOpen();
            int n = ids.length;
            if (n == 0) throw new SculptException("nothing to feed");
            cache.ensureRoom(n);
            int d = cfg.hiddenSize();
            Tensor x = arena.get("scratch.decode.x", n, d), ln = arena.get("scratch.decode.ln", n, d);
            Tensor rstd = arena.get("scratch.decode.rstd", n);
            embed.forward(ids, x);
            for (int l = 0; l < layers.length; l++) {
                Layer layer = layers[l];
                layer.inputNorm.forward(x, ln, rstd);
                layer.attention.decodeSelf(ln, cache, l, null, x, true);
                layer.postNorm.forward(x, ln, rstd);
                // the feed-forward saves nothing here: under recomputation its buffers are the ones every layer shares,
                // so that decoding holds no per-layer feed-forward buffers a recomputing run's plan does not count
                layer.mlp(recompute).forward(ln, x, true);
            }
            cache.advance(n);
            Tensor last = x.view("llama last row", (long) (n - 1) * d, 1, d);
            Tensor lnLast = arena.get("scratch.decode.lnf", 1, d);
            finalNorm.forward(last, lnLast, arena.get("scratch.decode.rstdf", 1));
            return head.logits(lnLast)[0];
        }

        @Override
        public void close() {
            cache.close();
        }
    }

    // ------------------------------------------------------------------ memory

    /** Bytes of activation buffers currently held (they grow to the largest micro-batch), scratch included. */
    public long activationBytes() {
        return arena.bytes();
    }

    /**
     * Bytes of the activations held for the backward (the arena less its {@code scratch.} buffers): what the memory
     * planner's activation term counts, logits apart.
     */
    public long savedActivationBytes() {
        return arena.savedBytes();
    }

    /**
     * Activation recomputation: the forward keeps only each layer's input and the backward runs one layer's forward
     * again just before its backward, so the saved activations are layers x tokens x hidden plus one layer's worth
     * instead of every layer's. Gradients and losses are bit-identical either way. Buffers of the other mode
     * already grown stay held until the model is closed.
     */
    @Override
    public void recomputeActivations(boolean on) {
        checkOpen();
        recompute = on;
        applySaves();
    }

    /**
     * bf16 saves in every layer's own attention and MLP blocks when the products run in bf16 and nothing is
     * recomputed (under recomputation the one layer's shared buffers stay float32: bf16 would add float32 staging to
     * them and save nothing across layers). The residual stream, the norm outputs and 1/rms stay float32 either way.
     */
    private void applySaves() {
        boolean on = bf16 != null && !recompute;
        for (Layer l : layers) {
            l.attention.saveInBf16(on);
            l.mlp.saveInBf16(on);
        }
    }

    /**
     * bf16 products in the layers' projections (see {@link LanguageModel#computeInBf16}); lm_head stays float32.
     * Without recomputation the layers' attention and MLP blocks also save their activations in bf16
     * ({@link AttentionBlock#saveInBf16}).
     */
    @Override
    public void computeInBf16(boolean on) {
        checkOpen();
        if (on && bf16 == null) bf16 = new Bf16Compute(ops, "llama");
        if (!on) for (Layer l : layers) {
            l.attention.saveInBf16(false);
            l.mlp.saveInBf16(false);
        }
        for (Linear l : projections) l.computeInBf16(on ? bf16 : null);
        if (!on && bf16 != null) {
            bf16.close();
            bf16 = null;
        }
        applySaves();
    }

    private void checkOpen() {
        if (closed) throw new SculptException("llama model is closed");
    }

    private void release() {
        for (Linear l : projections) l.close();
        if (bf16 != null) bf16.close();
        arena.close();
        for (Parameter p : params) p.close();
    }

    private void closeKeepingOps() {
        if (closed) return;
        closed = true;
        release();
    }

    /** Frees parameters and activations, and the provider when the model created it. */
    @Override
    public void close() {
        if (closed) return;
        closeKeepingOps();
        if (ownsOps) ops.close();
    }
}
