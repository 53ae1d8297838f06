package dev.sculpt.continual;

import dev.sculpt.SculptException;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.model.Parameter;
import java.nio.file.Path;
import java.util.Map;

/**
 * Checkpoints in Hugging Face layout through the model registry ({@link Models#save}: config.json and
 * model.safetensors, float32, dense weights under their HF names, loadable by transformers), with side files such
 * as tokenizer.json copied alongside.
 */
public final class HfModelStore implements ModelStore {
    private final Map<String, byte[]> sideFiles;

    public HfModelStore(Map<String, byte[]> sideFiles) {
        this.sideFiles = sideFiles == null ? Map.of() : Map.copyOf(sideFiles);
    }

    @Override
    public void save(LanguageModel model, Path dir) {
        Models.save(model, dir, sideFiles);
    }

    @Override
    public void loadInto(LanguageModel model, Path dir) {
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            for (Parameter p : model.parameters()) {
                if (!ck.has(p.name())) throw new SculptException("checkpoint " + dir + " has no tensor " + p.name());
                p.copyFrom(ck.read(p.name()));
            }
        }
    }
}
