package dev.sculpt.model;

import dev.sculpt.ops.Ops;
import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;
import java.nio.file.Path;
import java.util.Map;

/**
 * One architecture family (LLaMA, T5): recognises its config.json, loads and saves checkpoints in Hugging Face
 * layout and creates randomly initialised models for {@code sculpt init}. {@link Models} holds the registry.
 */
public interface ModelFamily {
    /** Short name used on the command line and by {@link LanguageModel#architecture()}: "llama", "t5". */
    String name();

    /** Whether this family reads the given config (by {@code architectures} or {@code model_type}). */
    boolean accepts(ModelConfig config);

    /** Loads a checkpoint directory (config.json plus model.safetensors or a sharded index). */
    LanguageModel load(Path dir);

    /**
     * Loads a checkpoint directory onto the given provider's device; the caller keeps ownership of {@code ops} and
     * closes it after the model. Families not yet wired over providers accept only host providers.
     */
    default LanguageModel load(Path dir, Ops ops) {
        if (!ops.device().equals(dev.sculpt.tensor.Device.HOST)) {
            throw new dev.sculpt.SculptException("the " + name() + " family cannot run on provider " + ops.name() + " yet");
        }
        return load(dir);
    }

    /** The sizes {@link #init} knows, smallest first (e.g. tiny, small, base). */
    java.util.List<String> sizes();

    /**
     * The special tokens this family's Hugging Face tokenizers put around an input text, for a tokenizer with
     * these bos/eos ids (-1: none): LLaMA {@code <s> $A}, T5 {@code $A </s>}. {@code sculpt init} writes it into the
     * tokenizer it creates; from then on the tokenizer carries it ({@link Tokenizer#inputTemplate}).
     */
    InputTemplate inputTemplate(int bosId, int eosId);

    /** A randomly initialised model of a named size whose vocabulary and special ids fit {@code tokenizer}. */
    LanguageModel init(String size, Tokenizer tokenizer, long seed);

    /**
     * As {@link #init(String, Tokenizer, long)} with the model on the given provider's device; the caller keeps
     * ownership of {@code ops} and closes it after the model. Families not yet wired over providers accept only
     * host providers (the model then runs on a host provider of its own).
     */
    default LanguageModel init(String size, Tokenizer tokenizer, long seed, Ops ops) {
        if (!ops.device().equals(dev.sculpt.tensor.Device.HOST)) {
            throw new dev.sculpt.SculptException("the " + name() + " family cannot run on provider " + ops.name() + " yet");
        }
        return init(size, tokenizer, seed);
    }

    /**
     * Writes {@code model} (of this family) to {@code dir} atomically in Hugging Face layout: config.json,
     * model.safetensors (float32), plus {@code extraFiles} (name to content, e.g. tokenizer files).
     */
    void save(LanguageModel model, Path dir, Map<String, byte[]> extraFiles);

    /**
     * The sizes the memory planner needs for full fine-tuning of a model with this config (no weights needed).
     * Families the planner does not know yet say so.
     */
    default TrainingShape trainingShape(ModelConfig config) {
        throw new dev.sculpt.SculptException("the memory planner does not know the " + name() + " family yet (" + config.source() + ")");
    }
}
