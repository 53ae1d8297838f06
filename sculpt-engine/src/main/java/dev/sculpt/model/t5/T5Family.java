package dev.sculpt.model.t5;

import dev.sculpt.SculptException;
import dev.sculpt.io.DType;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.ModelFamily;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.ops.Ops;
import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The T5 family ({@code T5ForConditionalGeneration}, model_type {@code t5}) for {@link dev.sculpt.model.Models},
 * which finds it by class name. Sizes for {@code sculpt init} are {@link T5Config#preset}: tiny (d_model 64,
 * 2+2 layers), small and base (the shapes of t5-small and t5-base); relu feed-forward, tied embeddings,
 * decoder start = pad.
 */
public final class T5Family implements ModelFamily {
    @Override public String name() { return "t5"; }

    @Override
    public boolean accepts(ModelConfig c) {
        if (c.architectures().isEmpty()) return c.modelType().equals("t5");
        // T5ForConditionalGeneration, and old configs' T5WithLMHeadModel; encoder-only checkpoints lack the decoder
        return c.modelType().equals("t5") && c.architectures().stream().allMatch(a -> a.startsWith("T5") && !a.equals("T5EncoderModel"))
                || c.architectures().contains("T5ForConditionalGeneration");
    }

    @Override
    public LanguageModel load(Path dir) {
        return T5Model.load(dir);
    }

    /** Loads onto {@code ops}' device (any provider); the caller closes {@code ops} after the model. */
    @Override
    public LanguageModel load(Path dir, Ops ops) {
        return T5Model.load(dir, ops);
    }

    @Override
    public List<String> sizes() { return List.of("tiny", "small", "base"); }

    /** T5 tokenizers: {@code $A </s>}, no bos. */
    @Override
    public InputTemplate inputTemplate(int bosId, int eosId) {
        return InputTemplate.eosLast(eosId);
    }

    /** Pad (also the decoder start) is the tokenizer's pad id, or 0 when it has none. */
    @Override
    public LanguageModel init(String size, Tokenizer tokenizer, long seed) {
        return T5Model.init(preset(size, tokenizer), seed);
    }

    /** As {@link #init(String, Tokenizer, long)} on {@code ops}' device; the caller closes {@code ops} after the model. */
    @Override
    public LanguageModel init(String size, Tokenizer tokenizer, long seed, Ops ops) {
        return T5Model.init(preset(size, tokenizer), seed, ops);
    }

    private static T5Config preset(String size, Tokenizer tokenizer) {
        if (tokenizer.eosId() < 0) throw new SculptException("a T5 model needs a tokenizer with an end-of-sequence token");
        int pad = tokenizer.padId() >= 0 ? tokenizer.padId() : 0;
        return T5Config.preset(size, tokenizer.vocabSize(), pad, tokenizer.eosId());
    }

    @Override
    public void save(LanguageModel model, Path dir, Map<String, byte[]> extraFiles) {
        if (!(model instanceof T5Model m)) throw new SculptException("not a t5 model: " + model.architecture());
        m.save(dir, DType.F32, extraFiles);
    }

    @Override
    public TrainingShape trainingShape(ModelConfig config) {
        return T5TrainingShape.of(T5Config.fromJson(config.json(), config.source()));
    }
}
