package dev.sculpt.continual;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.CheckpointWriter;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Parameter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checkpoints in Hugging Face layout (config.json + model.safetensors, float32, dense weights under their HF names),
 * loadable by transformers. Extra files (tokenizer.json, for instance) are copied alongside.
 */
public final class HfModelStore implements ModelStore {
    private final JsonNode config;
    private final Map<String, Path> extraFiles;

    public HfModelStore(JsonNode config, Map<String, Path> extraFiles) {
        this.config = config;
        this.extraFiles = extraFiles == null ? Map.of() : Map.copyOf(extraFiles);
    }

    @Override
    public void save(LanguageModel model, Path dir) {
        Map<String, TensorSource> tensors = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            int[] s = p.shape();
            long[] shape = new long[s.length];
            for (int i = 0; i < s.length; i++) shape[i] = s[i];
            tensors.put(p.name(), TensorSource.of(shape, p.data().duplicate().clear()));
        }
        CheckpointWriter w = CheckpointWriter.to(dir).config(config).tensors(tensors);
        for (Map.Entry<String, Path> e : extraFiles.entrySet()) w.copyFile(e.getKey(), e.getValue());
        w.write();
    }

    @Override
    public void loadInto(LanguageModel model, Path dir) {
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            for (Parameter p : model.parameters()) {
                if (!ck.has(p.name())) throw new SculptException("checkpoint " + dir + " has no tensor " + p.name());
                ck.read(p.name(), p.data().duplicate().clear());
            }
        }
    }
}
