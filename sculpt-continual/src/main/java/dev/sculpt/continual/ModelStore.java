package dev.sculpt.continual;

import dev.sculpt.model.LanguageModel;
import java.nio.file.Path;

/**
 * Writes a model's weights as a checkpoint directory and reads them back into a model of the same architecture.
 * The continual runner writes into a fresh temporary directory and renames it, so implementations need not be
 * atomic themselves.
 */
public interface ModelStore {
    /** Writes the checkpoint (HF layout: config.json and model.safetensors) into the existing empty {@code dir}. */
    void save(LanguageModel model, Path dir);

    /** Loads the weights of checkpoint {@code dir} into {@code model}. */
    void loadInto(LanguageModel model, Path dir);
}
