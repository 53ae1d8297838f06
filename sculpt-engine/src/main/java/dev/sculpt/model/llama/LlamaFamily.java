package dev.sculpt.model.llama;

import dev.sculpt.SculptException;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.ModelFamily;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.TrainingShape.TargetGroup;
import dev.sculpt.model.TrainingShape.TensorGroup;
import java.util.ArrayList;
import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.ops.Ops;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The LLaMA family ({@code LlamaForCausalLM}, model_type {@code llama}) for {@link dev.sculpt.model.Models}.
 * Sizes for {@code sculpt init}:
 * <ul>
 *   <li>tiny: hidden 128, 4 layers, 4 heads / 2 kv heads, MLP 384, tied embeddings, 512 positions (~0.8M
 *   parameters with the byte tokenizer)</li>
 *   <li>small: hidden 512, 8 layers, 8 heads / 4 kv heads, MLP 1536, 1024 positions (~25M)</li>
 *   <li>base: hidden 768, 12 layers, 12 heads / 4 kv heads, MLP 2048, 2048 positions (~76M)</li>
 * </ul>
 */
public final class LlamaFamily implements ModelFamily {
    @Override public String name() { return "llama"; }

    @Override
    public boolean accepts(ModelConfig c) {
        return c.architectures().contains("LlamaForCausalLM") || (c.architectures().isEmpty() && c.modelType().equals("llama"));
    }

    @Override
    public LanguageModel load(Path dir) {
        return LlamaModel.load(dir);
    }

    @Override
    public LanguageModel load(Path dir, Ops ops) {
        return LlamaModel.load(dir, ops);
    }

    @Override
    public List<String> sizes() { return List.of("tiny", "small", "base"); }

    /** The preset config of a size for a vocabulary and special ids. */
    public static LlamaConfig preset(String size, int vocab, int bos, int eos, int pad) {
        LlamaConfig c = switch (size) {
            case "tiny" -> LlamaConfig.of(vocab, 128, 384, 4, 4, 2).withTiedEmbeddings(true).withMaxPositions(512);
            case "small" -> LlamaConfig.of(vocab, 512, 1536, 8, 8, 4).withMaxPositions(1024);
            case "base" -> LlamaConfig.of(vocab, 768, 2048, 12, 12, 4).withMaxPositions(2048);
            default -> throw new SculptException("unknown llama size '" + size + "'; known: tiny, small, base");
        };
        return c.withSpecialTokens(bos, eos >= 0 ? new int[]{eos} : new int[0], pad);
    }

    /** LLaMA tokenizers: {@code <s> $A}. */
    @Override
    public InputTemplate inputTemplate(int bosId, int eosId) {
        return InputTemplate.bosFirst(bosId);
    }

    @Override
    public LanguageModel init(String size, Tokenizer tokenizer, long seed) {
        return LlamaModel.create(preset(size, tokenizer.vocabSize(), tokenizer.bosId(), tokenizer.eosId(), tokenizer.padId()), seed);
    }

    @Override
    public LanguageModel init(String size, Tokenizer tokenizer, long seed, Ops ops) {
        return LlamaModel.create(preset(size, tokenizer.vocabSize(), tokenizer.bosId(), tokenizer.eosId(), tokenizer.padId()), seed, ops);
    }

    @Override
    public void save(LanguageModel model, Path dir, Map<String, byte[]> extraFiles) {
        if (!(model instanceof LlamaModel m)) throw new SculptException("not a llama model: " + model.architecture());
        m.save(dir, extraFiles);
    }

    /**
     * Per layer, per token, a training step keeps for the backward pass: the block input and the residual after
     * attention (2 h), both RMSNorm outputs (2 h), q, k and v after RoPE (q width + 2 kv width), the attention
     * context before o_proj (q width), gate and up (2 I) and SiLU(gate) * up (I); plus one softmax row per head.
     */
    @Override
    public TrainingShape trainingShape(ModelConfig config) {
        LlamaConfig c = LlamaConfig.fromJson(config.json());
        int h = c.hiddenSize(), q = c.qDim(), kv = c.kvDim(), inter = c.intermediateSize(), n = c.numHiddenLayers();
        List<TargetGroup> targets = List.of(
                new TargetGroup("q_proj", q, h, n), new TargetGroup("k_proj", kv, h, n), new TargetGroup("v_proj", kv, h, n),
                new TargetGroup("o_proj", h, q, n), new TargetGroup("gate_proj", inter, h, n),
                new TargetGroup("up_proj", inter, h, n), new TargetGroup("down_proj", h, inter, n));
        List<TensorGroup> tensors = new ArrayList<>(List.of(
                new TensorGroup("embed_tokens", List.of(c.vocabSize(), h), 1), new TensorGroup("norms", List.of(h), 2 * n + 1),
                new TensorGroup("q_proj", List.of(q, h), n), new TensorGroup("k_proj", List.of(kv, h), n),
                new TensorGroup("v_proj", List.of(kv, h), n), new TensorGroup("o_proj", List.of(h, q), n),
                new TensorGroup("gate_proj", List.of(inter, h), n), new TensorGroup("up_proj", List.of(inter, h), n),
                new TensorGroup("down_proj", List.of(h, inter), n)));
        if (!c.tieWordEmbeddings()) tensors.add(new TensorGroup("lm_head", List.of(c.vocabSize(), h), 1));
        // the block input, the residual after attention, both norm outputs; q, k, v, the context; gate, up, their product
        List<Integer> widths = List.of(h, h, h, h, q, kv, kv, q, inter, inter, inter);
        long saved = 4L * h + 2L * q + 2L * kv + 3L * inter;
        // the first four (stream and norm outputs) stay float32; the blocks' seven are bf16 under bf16 saves.
        // generation: a [capacity, kv width] key and value tensor per layer, capacity at most max_position_embeddings
        return new TrainingShape(c.parameterCount(), targets, n, h, c.vocabSize(), saved, c.numAttentionHeads(), 2, tensors, widths, 4)
                .withDecoding(new TrainingShape.Decoding(n, q, kv, c.numAttentionHeads(), c.maxPositionEmbeddings()));
    }
}
