package dev.sculpt.model.llama;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.Generator;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import dev.sculpt.nn.Attention;
import dev.sculpt.nn.CrossEntropy;
import dev.sculpt.nn.Embedding;
import dev.sculpt.nn.FloatArray;
import dev.sculpt.nn.Linear;
import dev.sculpt.nn.RmsNorm;
import dev.sculpt.nn.Rope;
import dev.sculpt.nn.SwiGlu;
import dev.sculpt.io.CheckpointWriter;
import dev.sculpt.io.DType;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LlamaForCausalLM} on the CPU in float32: RMSNorm, RoPE (rotate-half), grouped-query causal attention,
 * SwiGLU MLP, tied or untied lm_head; parameters under their Hugging Face names and layouts.
 *
 * <p>Forward and backward are written out layer by layer (llm.c style, no tape). A micro-batch is packed end to
 * end so that every projection is one sgemm over all of its tokens; activations live in off-heap buffers that
 * grow to the largest micro-batch seen and are then reused. The layer norms' outputs and the SwiGLU product are
 * recomputed in the backward rather than stored. Not thread-safe: one model, one thread of control.
 */
public final class LlamaModel implements LanguageModel {
    private final dev.sculpt.ops.Ops hostOps = new dev.sculpt.ops.cpu.CpuOps();
    private static final Logger LOG = LoggerFactory.getLogger(LlamaModel.class);
    private static final Pattern LAYER = Pattern.compile("^model\\.layers\\.(\\d+)\\.");

    private final LlamaConfig cfg;
    private final List<Parameter> params = new ArrayList<>();
    private final Map<String, Parameter> byName = new LinkedHashMap<>();
    private final Embedding embed;
    private final Block[] blocks;
    private final RmsNorm finalNorm;
    private final Linear lmHead;
    private final Rope rope;
    private final Attention attention;
    private final Activations acts;
    private boolean closed;

    /** One decoder layer's weights. */
    private record Block(RmsNorm inputNorm, Linear q, Linear k, Linear v, Linear o, RmsNorm postNorm,
                         Linear gate, Linear up, Linear down) {}

    private LlamaModel(LlamaConfig cfg) {
        this.cfg = cfg;
        int d = cfg.hiddenSize();
        float eps = (float) cfg.rmsNormEps();
        Parameter emb = add("model.embed_tokens.weight", cfg.vocabSize(), d);
        embed = new Embedding(emb);
        blocks = new Block[cfg.numHiddenLayers()];
        for (int l = 0; l < blocks.length; l++) {
            String p = "model.layers." + l + ".";
            RmsNorm in = new RmsNorm(ones(add(p + "input_layernorm.weight", d)), eps);
            Linear q = new Linear(add(p + "self_attn.q_proj.weight", cfg.qDim(), d));
            Linear k = new Linear(add(p + "self_attn.k_proj.weight", cfg.kvDim(), d));
            Linear v = new Linear(add(p + "self_attn.v_proj.weight", cfg.kvDim(), d));
            Linear o = new Linear(add(p + "self_attn.o_proj.weight", d, cfg.qDim()));
            RmsNorm post = new RmsNorm(ones(add(p + "post_attention_layernorm.weight", d)), eps);
            Linear gate = new Linear(add(p + "mlp.gate_proj.weight", cfg.intermediateSize(), d));
            Linear up = new Linear(add(p + "mlp.up_proj.weight", cfg.intermediateSize(), d));
            Linear down = new Linear(add(p + "mlp.down_proj.weight", d, cfg.intermediateSize()));
            blocks[l] = new Block(in, q, k, v, o, post, gate, up, down);
        }
        finalNorm = new RmsNorm(ones(add("model.norm.weight", d)), eps);
        lmHead = new Linear(cfg.tieWordEmbeddings() ? emb : add("lm_head.weight", cfg.vocabSize(), d));
        rope = new Rope(cfg.headDim(), cfg.inverseFrequencies());
        attention = new Attention(cfg.numAttentionHeads(), cfg.numKeyValueHeads(), cfg.headDim(),
                (float) (1.0 / Math.sqrt(cfg.headDim())), true);
        acts = new Activations(cfg.numHiddenLayers());
    }

    private Parameter add(String name, int... shape) {
        Parameter p = new Parameter(name, shape);
        params.add(p);
        byName.put(name, p);
        return p;
    }

    private static Parameter ones(Parameter p) {
        for (int i = 0; i < p.size(); i++) p.data().put(i, 1f);
        return p;
    }

    /**
     * A model with Hugging Face's initialisation: every linear and embedding weight ~ N(0, initializer_range^2),
     * norms at 1. Deterministic for a seed (each parameter draws from its own split of the seed's stream).
     */
    public static LlamaModel create(LlamaConfig cfg, long seed) {
        LlamaModel m = new LlamaModel(cfg);
        SplittableRandom root = new SplittableRandom(seed);
        for (Parameter p : m.params) {
            SplittableRandom r = root.split();
            if (p.isMatrix()) {
                float[] v = new float[p.size()];
                for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextGaussian() * cfg.initializerRange());
                p.copyFrom(v);
            }
        }
        return m;
    }

    /**
     * Loads a {@code LlamaForCausalLM} checkpoint directory (config.json plus model.safetensors or a sharded
     * index; F32, F16 or BF16 tensors, memory-mapped and converted straight into the off-heap parameters).
     * A missing or mis-shaped tensor is an error naming it; with tied embeddings a stored lm_head.weight is
     * ignored; other unknown tensors are logged and skipped.
     */
    public static LlamaModel load(Path dir) {
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            LlamaConfig cfg = LlamaConfig.fromJson(ck.config());
            LlamaModel m = new LlamaModel(cfg);
            try {
                for (Parameter p : m.params) {
                    if (!ck.has(p.name())) {
                        throw new SculptException(dir + ": checkpoint lacks tensor '" + p.name() + "' " + java.util.Arrays.toString(p.shape()) + " needed by LlamaForCausalLM");
                    }
                    long[] shape = new long[p.rank()];
                    for (int i = 0; i < shape.length; i++) shape[i] = p.shape()[i];
                    ck.expectShape(p.name(), shape);
                    ck.read(p.name(), p.data().duplicate().position(0));
                }
                List<String> unused = new ArrayList<>();
                for (String name : ck.names()) {
                    if (!m.byName.containsKey(name) && !(cfg.tieWordEmbeddings() && name.equals("lm_head.weight"))) unused.add(name);
                }
                if (!unused.isEmpty()) LOG.warn("{}: ignoring {} tensors llama does not use, e.g. {}", dir, unused.size(), unused.get(0));
                return m;
            } catch (RuntimeException e) {
                m.close();
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
        Map<String, TensorSource> tensors = new LinkedHashMap<>();
        for (Parameter p : params) {
            long[] shape = new long[p.rank()];
            for (int i = 0; i < shape.length; i++) shape[i] = p.shape()[i];
            tensors.put(p.name(), TensorSource.of(shape, p.data().duplicate().position(0).limit(p.size())));
        }
        CheckpointWriter w = CheckpointWriter.to(dir).config(cfg.toJson()).tensors(tensors).dtype(DType.F32);
        for (Map.Entry<String, byte[]> f : extraFiles.entrySet()) w.extraFile(f.getKey(), f.getValue());
        w.write();
    }

    public LlamaConfig config() { return cfg; }

    /** The parameter with this Hugging Face name; throws naming it when there is none. */
    public Parameter parameter(String name) {
        Parameter p = byName.get(name);
        if (p == null) throw new SculptException("llama model has no parameter " + name);
        return p;
    }

    @Override public String architecture() { return "llama"; }
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
        for (Block b : blocks) {
            for (Linear l : List.of(b.q, b.k, b.v, b.o, b.gate, b.up, b.down)) names.add(l.weight().name());
        }
        return names;
    }

    // ------------------------------------------------------------------ training and evaluation

    @Override
    public LossSum forwardBackward(List<Example> batch, float gradScale) {
        checkOpen();
        PackedBatch b = PackedBatch.ofExamples(batch, cfg.maxPositionEmbeddings());
        if (b.lossRows.length == 0) return new LossSum(0, 0); // nothing to learn from: no gradient at all
        forward(b);
        LossSum loss = headLossAndBackward(b, gradScale, true);
        backward(b);
        return loss;
    }

    @Override
    public LossSum loss(List<Example> batch) {
        checkOpen();
        PackedBatch b = PackedBatch.ofExamples(batch, cfg.maxPositionEmbeddings());
        if (b.lossRows.length == 0) return new LossSum(0, 0);
        forward(b);
        return headLossAndBackward(b, 0f, false);
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
        int n = b.tokens;
        int d = cfg.hiddenSize();
        int vocab = cfg.vocabSize();
        FloatArray lnf = acts.lnf;
        FloatArray logits = acts.logits.ensure((long) n * vocab);
        lmHead.forward(lnf, 0, logits, 0, n);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = logits.toArray(i * vocab, vocab);
        return out;
    }

    @Override
    public double[] blockInputOutputCosine(List<Example> sample) {
        checkOpen();
        int layers = blocks.length;
        double[] sum = new double[layers];
        long count = 0;
        int d = cfg.hiddenSize();
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
            if (!chunk.isEmpty() && (seq == null || chunkTokens >= 2048)) {
                PackedBatch b = PackedBatch.ofSequences(chunk, cfg.maxPositionEmbeddings());
                forward(b);
                for (int l = 0; l < layers; l++) {
                    FloatArray x = acts.res[l];
                    FloatArray y = acts.res[l + 1];
                    double s = 0;
                    float[] a = new float[d];
                    float[] c = new float[d];
                    for (int i = 0; i < b.tokens; i++) {
                        x.buffer().get(i * d, a, 0, d);
                        y.buffer().get(i * d, c, 0, d);
                        double ab = 0, aa = 0, cc = 0;
                        for (int j = 0; j < d; j++) {
                            ab += (double) a[j] * c[j];
                            aa += (double) a[j] * a[j];
                            cc += (double) c[j] * c[j];
                        }
                        double den = Math.sqrt(aa) * Math.sqrt(cc);
                        s += den == 0 ? 0 : ab / den;
                    }
                    sum[l] += s;
                }
                count += b.tokens;
                chunk.clear();
                chunkTokens = 0;
            }
        }
        if (count == 0) throw new SculptException("layer importance needs a non-empty calibration sample");
        for (int l = 0; l < layers; l++) sum[l] /= count;
        return sum;
    }

    /** Forward through all blocks and the final norm, saving what the backward needs. */
    private void forward(PackedBatch b) {
        int n = b.tokens;
        int d = cfg.hiddenSize();
        int qd = cfg.qDim();
        int kvd = cfg.kvDim();
        int inter = cfg.intermediateSize();
        int heads = cfg.numAttentionHeads();
        int kvHeads = cfg.numKeyValueHeads();
        acts.ensure(b, cfg, attention);
        embed.forward(b.ids, 0, n, acts.res[0], 0);
        FloatArray ln = acts.ln;
        for (int l = 0; l < blocks.length; l++) {
            Block bl = blocks[l];
            FloatArray x = acts.res[l];
            FloatArray q = acts.q[l], k = acts.k[l], v = acts.v[l], att = acts.att[l], mid = acts.mid[l];
            bl.inputNorm.forward(x, 0, ln, 0, acts.rstd1[l], 0, n);
            bl.q.forward(ln, 0, q, 0, n);
            bl.k.forward(ln, 0, k, 0, n);
            bl.v.forward(ln, 0, v, 0, n);
            long pOff = 0;
            for (int s = 0; s < b.sequences(); s++) {
                int st = b.seqStart[s], len = b.seqLen[s];
                rope.forward(q, st * qd, len, heads, 0);
                rope.forward(k, st * kvd, len, kvHeads, 0);
                attention.forward(q, st * qd, k, st * kvd, v, st * kvd, len, len, 0, null, 0,
                        acts.probs[l], (int) pOff, att, st * qd);
                pOff += attention.probsSize(len, len);
            }
            mid.copyFrom(x, 0, 0, n * d);
            bl.o.forward(att, 0, mid, 0, n, true);
            bl.postNorm.forward(mid, 0, ln, 0, acts.rstd2[l], 0, n);
            bl.gate.forward(ln, 0, acts.gate[l], 0, n);
            bl.up.forward(ln, 0, acts.up[l], 0, n);
            SwiGlu.forward(acts.gate[l], 0, acts.up[l], 0, acts.h, 0, n * inter);
            acts.res[l + 1].copyFrom(mid, 0, 0, n * d);
            bl.down.forward(acts.h, 0, acts.res[l + 1], 0, n, true);
        }
        finalNorm.forward(acts.res[blocks.length], 0, acts.lnf, 0, acts.rstdF, 0, n);
    }

    /**
     * The lm_head on the loss rows only, the cross-entropy and (when {@code backward}) its gradient back to the
     * final norm's output, left in {@code acts.dLnf}.
     */
    private LossSum headLossAndBackward(PackedBatch b, float gradScale, boolean backward) {
        int m = b.lossRows.length;
        int d = cfg.hiddenSize();
        int vocab = cfg.vocabSize();
        FloatArray sel = acts.sel.ensure((long) Math.max(1, m) * d);
        for (int i = 0; i < m; i++) sel.copyFrom(acts.lnf, b.lossRows[i] * d, i * d, d);
        FloatArray logits = acts.logits.ensure((long) Math.max(1, m) * vocab);
        lmHead.forward(sel, 0, logits, 0, m);
        if (!backward) return CrossEntropy.loss(logits, 0, m, vocab, b.lossTargets, 0);
        LossSum loss = CrossEntropy.forwardBackward(logits, 0, m, vocab, b.lossTargets, 0,
                CrossEntropy.Reduction.SUM, gradScale, logits, 0);
        FloatArray dSel = acts.dSel.ensure((long) Math.max(1, m) * d);
        lmHead.backward(sel, 0, logits, 0, dSel, 0, m, false);
        FloatArray dLnf = acts.dLn;
        dLnf.zero(0, b.tokens * d);
        for (int i = 0; i < m; i++) dLnf.copyFrom(dSel, i * d, b.lossRows[i] * d, d);
        return loss;
    }

    /** Backward from {@code acts.dLn} (gradient at the final norm's output) to every parameter. */
    private void backward(PackedBatch b) {
        int n = b.tokens;
        int d = cfg.hiddenSize();
        int qd = cfg.qDim();
        int kvd = cfg.kvDim();
        int inter = cfg.intermediateSize();
        int heads = cfg.numAttentionHeads();
        int kvHeads = cfg.numKeyValueHeads();
        FloatArray dRes = acts.dRes;
        FloatArray dLn = acts.dLn;
        FloatArray ln = acts.ln;
        finalNorm.backward(acts.res[blocks.length], 0, acts.rstdF, 0, dLn, 0, dRes, 0, n, false);
        for (int l = blocks.length - 1; l >= 0; l--) {
            Block bl = blocks[l];
            FloatArray gate = acts.gate[l], up = acts.up[l];
            // MLP: res[l+1] = mid + down(silu(gate(ln2)) * up(ln2))
            bl.down.backwardInput(dRes, 0, acts.dH, 0, n, false);
            SwiGlu.backward(gate, 0, up, 0, acts.dH, 0, gate, 0, up, 0, acts.h, 0, n * inter);
            bl.down.backwardWeight(acts.h, 0, dRes, 0, n);
            bl.postNorm.forward(acts.mid[l], 0, ln, 0, null, 0, n);
            bl.gate.backward(ln, 0, gate, 0, dLn, 0, n, false);
            bl.up.backward(ln, 0, up, 0, dLn, 0, n, true);
            bl.postNorm.backward(acts.mid[l], 0, acts.rstd2[l], 0, dLn, 0, dRes, 0, n, true);
            // attention: mid = x + o(attn(rope(q(ln1)), rope(k(ln1)), v(ln1)))
            bl.o.backward(acts.att[l], 0, dRes, 0, acts.dAtt, 0, n, false);
            long pOff = 0;
            for (int s = 0; s < b.sequences(); s++) {
                int st = b.seqStart[s], len = b.seqLen[s];
                attention.backward(acts.q[l], st * qd, acts.k[l], st * kvd, acts.v[l], st * kvd, len, len,
                        acts.probs[l], (int) pOff, acts.dAtt, st * qd,
                        acts.dQ, st * qd, acts.dK, st * kvd, acts.dV, st * kvd, null, 0);
                rope.backward(acts.dQ, st * qd, len, heads, 0);
                rope.backward(acts.dK, st * kvd, len, kvHeads, 0);
                pOff += attention.probsSize(len, len);
            }
            bl.inputNorm.forward(acts.res[l], 0, ln, 0, null, 0, n);
            bl.q.backward(ln, 0, acts.dQ, 0, dLn, 0, n, false);
            bl.k.backward(ln, 0, acts.dK, 0, dLn, 0, n, true);
            bl.v.backward(ln, 0, acts.dV, 0, dLn, 0, n, true);
            bl.inputNorm.backward(acts.res[l], 0, acts.rstd1[l], 0, dLn, 0, dRes, 0, n, true);
        }
        embed.backward(b.ids, 0, n, dRes, 0);
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
        try (KvCache cache = new KvCache(capacity)) {
            return Generator.generate(cache, start, options);
        }
    }

    /** A KV-cached incremental decoder over this model (see {@link Generator}); close it when done. */
    public KvCache newCache(int capacity) {
        checkOpen();
        return new KvCache(Math.min(capacity, cfg.maxPositionEmbeddings()));
    }

    /**
     * Keys and values (after RoPE) of every layer for the tokens fed so far, plus the scratch one decoding step
     * needs. Each {@link #feed} runs the new tokens through the model in one pass.
     */
    public final class KvCache implements Generator.Decoder, AutoCloseable {
        private final int capacity;
        private final FloatArray[] keys;
        private final FloatArray[] values;
        private final FloatArray x, ln, q, att, gate, up, probs, logits;
        private int length;

        private KvCache(int capacity) {
            this.capacity = capacity;
            int L = blocks.length;
            keys = new FloatArray[L];
            values = new FloatArray[L];
            for (int l = 0; l < L; l++) {
                keys[l] = new FloatArray((long) capacity * cfg.kvDim());
                values[l] = new FloatArray((long) capacity * cfg.kvDim());
            }
            x = new FloatArray(0); ln = new FloatArray(0); q = new FloatArray(0); att = new FloatArray(0);
            gate = new FloatArray(0); up = new FloatArray(0); probs = new FloatArray(0);
            logits = new FloatArray(cfg.vocabSize());
        }

        public int length() { return length; }

        @Override public int remaining() { return capacity - length; }

        @Override
        public float[] feed(int[] ids) {
            int n = ids.length;
            if (n == 0) throw new SculptException("nothing to feed");
            if (n > remaining()) throw new SculptException("KV cache full: " + length + " + " + n + " tokens exceed its " + capacity + " positions");
            int d = cfg.hiddenSize(), qd = cfg.qDim(), kvd = cfg.kvDim(), inter = cfg.intermediateSize();
            int total = length + n;
            x.ensure((long) n * d); ln.ensure((long) n * d); q.ensure((long) n * qd); att.ensure((long) n * qd);
            gate.ensure((long) n * inter); up.ensure((long) n * inter);
            probs.ensure(attention.probsSize(n, total));
            embed.forward(ids, 0, n, x, 0);
            for (int l = 0; l < blocks.length; l++) {
                Block bl = blocks[l];
                bl.inputNorm.forward(x, 0, ln, 0, null, 0, n);
                bl.q.forward(ln, 0, q, 0, n);
                bl.k.forward(ln, 0, keys[l], length * kvd, n);
                bl.v.forward(ln, 0, values[l], length * kvd, n);
                rope.forward(q, 0, n, cfg.numAttentionHeads(), length);
                rope.forward(keys[l], length * kvd, n, cfg.numKeyValueHeads(), length);
                attention.forward(q, 0, keys[l], 0, values[l], 0, n, total, length, null, 0, probs, 0, att, 0);
                bl.o.forward(att, 0, x, 0, n, true);
                bl.postNorm.forward(x, 0, ln, 0, null, 0, n);
                bl.gate.forward(ln, 0, gate, 0, n);
                bl.up.forward(ln, 0, up, 0, n);
                SwiGlu.forward(gate, 0, up, 0, gate, 0, n * inter);
                bl.down.forward(gate, 0, x, 0, n, true);
            }
            length = total;
            finalNorm.forward(x, (n - 1) * d, ln, 0, null, 0, 1);
            lmHead.forward(ln, 0, logits, 0, 1);
            return logits.toArray(0, cfg.vocabSize());
        }

        @Override
        public void close() {
            for (FloatArray a : keys) a.close();
            for (FloatArray a : values) a.close();
            for (FloatArray a : new FloatArray[]{x, ln, q, att, gate, up, probs, logits}) a.close();
        }
    }

    // ------------------------------------------------------------------ memory

    /** Bytes of activation buffers currently held (they grow to the largest micro-batch). */
    public long activationBytes() {
        return acts.bytes();
    }

    private void checkOpen() {
        if (closed) throw new SculptException("llama model is closed");
    }

    @Override public dev.sculpt.ops.Ops ops() { return hostOps; }

    @Override
    public void close() {
        hostOps.close();
        if (closed) return;
        closed = true;
        acts.close();
        attention.release();
        for (Parameter p : params) p.close();
    }

    /** Saved activations per layer plus the shared scratch of one forward/backward. */
    private static final class Activations implements AutoCloseable {
        final FloatArray[] res, mid, q, k, v, att, gate, up, probs, rstd1, rstd2;
        final FloatArray ln = new FloatArray(0), h = new FloatArray(0), lnf = new FloatArray(0), rstdF = new FloatArray(0);
        final FloatArray sel = new FloatArray(0), logits = new FloatArray(0), dSel = new FloatArray(0);
        final FloatArray dRes = new FloatArray(0), dLn = new FloatArray(0), dH = new FloatArray(0);
        final FloatArray dAtt = new FloatArray(0), dQ = new FloatArray(0), dK = new FloatArray(0), dV = new FloatArray(0);

        Activations(int layers) {
            res = fresh(layers + 1); mid = fresh(layers); q = fresh(layers); k = fresh(layers); v = fresh(layers);
            att = fresh(layers); gate = fresh(layers); up = fresh(layers); probs = fresh(layers);
            rstd1 = fresh(layers); rstd2 = fresh(layers);
        }

        private static FloatArray[] fresh(int n) {
            FloatArray[] a = new FloatArray[n];
            for (int i = 0; i < n; i++) a[i] = new FloatArray(0);
            return a;
        }

        void ensure(PackedBatch b, LlamaConfig c, Attention attention) {
            long n = b.tokens;
            long p = 0;
            for (int s = 0; s < b.sequences(); s++) p += attention.probsSize(b.seqLen[s], b.seqLen[s]);
            for (FloatArray a : res) a.ensure(n * c.hiddenSize());
            for (int l = 0; l < mid.length; l++) {
                mid[l].ensure(n * c.hiddenSize());
                q[l].ensure(n * c.qDim());
                k[l].ensure(n * c.kvDim());
                v[l].ensure(n * c.kvDim());
                att[l].ensure(n * c.qDim());
                gate[l].ensure(n * c.intermediateSize());
                up[l].ensure(n * c.intermediateSize());
                probs[l].ensure(p);
                rstd1[l].ensure(n);
                rstd2[l].ensure(n);
            }
            ln.ensure(n * c.hiddenSize()); h.ensure(n * c.intermediateSize()); lnf.ensure(n * c.hiddenSize()); rstdF.ensure(n);
            dRes.ensure(n * c.hiddenSize()); dLn.ensure(n * c.hiddenSize()); dH.ensure(n * c.intermediateSize());
            dAtt.ensure(n * c.qDim()); dQ.ensure(n * c.qDim()); dK.ensure(n * c.kvDim()); dV.ensure(n * c.kvDim());
        }

        private List<FloatArray> all() {
            List<FloatArray> all = new ArrayList<>();
            for (FloatArray[] group : List.of(res, mid, q, k, v, att, gate, up, probs, rstd1, rstd2)) Collections.addAll(all, group);
            Collections.addAll(all, ln, h, lnf, rstdF, sel, logits, dSel, dRes, dLn, dH, dAtt, dQ, dK, dV);
            return all;
        }

        long bytes() {
            long s = 0;
            for (FloatArray a : all()) s += 4L * a.length();
            return s;
        }

        @Override
        public void close() {
            for (FloatArray a : all()) a.close();
        }
    }
}
