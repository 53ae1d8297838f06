package dev.sculpt.continual;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import dev.sculpt.text.HfTokenizer;
import dev.sculpt.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens a Hugging Face checkpoint directory for continual training: the model (LLaMA or T5, by
 * {@code model_type}), its tokenizer ({@code tokenizer.json}, else the byte-level tokenizer) and a
 * {@link HfModelStore} that writes checkpoints with the same config.json and tokenizer files.
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** What was loaded; closing it closes the model. */
    public record Loaded(LanguageModel model, Tokenizer tokenizer, ModelStore store) implements AutoCloseable {
        @Override public void close() { model.close(); }
    }

    /** Checks that {@code dir} looks like a checkpoint (before any training starts). */
    public static void check(Path dir) {
        if (!Files.isDirectory(dir)) throw new SculptException("--model " + dir + " is not a directory");
        if (!Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG))) throw new SculptException("--model " + dir + " has no " + HfCheckpoint.CONFIG);
    }

    public static Loaded load(Path dir, java.util.function.Supplier<Tokenizer> byteTokenizer) {
        check(dir);
        LanguageModel model;
        JsonNode config;
        try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
            config = ck.config();
            String type = ck.modelType();
            if ("llama".equals(type)) {
                model = LlamaModel.create(LlamaConfig.fromJson(config), 0);
            } else if ("t5".equals(type)) {
                model = T5Model.init(T5Config.fromJson(config, dir.resolve(HfCheckpoint.CONFIG).toString()), 0);
            } else {
                throw new SculptException("--model " + dir + ": model_type '" + type + "' is not supported (expected llama or t5)");
            }
        }
        Map<String, Path> extra = new LinkedHashMap<>();
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json"}) {
            if (Files.isRegularFile(dir.resolve(f))) extra.put(f, dir.resolve(f));
        }
        HfModelStore store = new HfModelStore(config, extra);
        try {
            store.loadInto(model, dir);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        Tokenizer tok = Files.isRegularFile(dir.resolve("tokenizer.json")) ? HfTokenizer.load(dir.resolve("tokenizer.json")) : byteTokenizer.get();
        return new Loaded(model, tok, store);
    }
}
