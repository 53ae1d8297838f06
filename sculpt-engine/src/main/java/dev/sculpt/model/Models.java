package dev.sculpt.model;

import dev.sculpt.SculptException;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.HfTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.text.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Entry point for models on disk: picks the {@link ModelFamily} from config.json's {@code architectures} /
 * {@code model_type}, loads, saves and initialises models, and opens the tokenizer saved next to them.
 *
 * <p>Families (LLaMA, T5) register through {@link ServiceLoader}: a public class with a public no-argument
 * constructor implementing {@link ModelFamily}, listed in {@code META-INF/services/dev.sculpt.model.ModelFamily}.
 * The registry thus never names a family, and {@code model} does not depend on {@code model.llama} or
 * {@code model.t5} (which depend on {@code nn}, which depends on {@code model}).
 */
public final class Models {
    /** Tokenizer and generation files copied along when a model is saved from another model directory. */
    public static final List<String> SIDE_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "spiece.model", "generation_config.json");

    private Models() {}

    /** The registered families, in class-path order (llama, then t5, from sculpt-engine's services file). */
    public static List<ModelFamily> families() {
        List<ModelFamily> all = new ArrayList<>();
        for (ModelFamily f : ServiceLoader.load(ModelFamily.class, Models.class.getClassLoader())) all.add(f);
        return all;
    }

    /** The family by its short name ("llama", "t5"). */
    public static ModelFamily family(String name) {
        List<String> known = new ArrayList<>();
        for (ModelFamily f : families()) {
            if (f.name().equals(name)) return f;
            known.add(f.name());
        }
        throw new SculptException("unknown architecture '" + name + "'; known: " + known);
    }

    /** The family that reads this config, or a clear error naming its architectures and model_type. */
    public static ModelFamily familyFor(ModelConfig config) {
        for (ModelFamily f : families()) if (f.accepts(config)) return f;
        List<String> known = new ArrayList<>();
        for (ModelFamily f : families()) known.add(f.name());
        throw new SculptException(config.source() + ": unsupported model (" + config.describe()
                + "); supported families: " + known);
    }

    /** Loads the model in {@code dir} (config.json plus safetensors). */
    public static LanguageModel load(Path dir) {
        return familyFor(ModelConfig.read(dir)).load(dir);
    }

    /** Loads the model in {@code dir} onto {@code ops}' device (the caller closes {@code ops} after the model). */
    public static LanguageModel load(Path dir, dev.sculpt.ops.Ops ops) {
        return familyFor(ModelConfig.read(dir)).load(dir, ops);
    }

    /** Saves {@code model} to {@code dir} atomically, with the given extra files (see {@link #sideFiles}). */
    public static void save(LanguageModel model, Path dir, Map<String, byte[]> extraFiles) {
        family(model.architecture()).save(model, dir, extraFiles);
    }

    /**
     * Saves {@code model} to {@code dir}, copying the tokenizer and generation files of {@code sourceDir}
     * (the directory the model was loaded from; may be null).
     */
    public static void save(LanguageModel model, Path dir, Path sourceDir) {
        save(model, dir, sourceDir == null ? Map.of() : sideFiles(sourceDir));
    }

    /** The {@link #SIDE_FILES} present in a model directory, by name. */
    public static Map<String, byte[]> sideFiles(Path dir) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : SIDE_FILES) {
            Path f = dir.resolve(name);
            if (!Files.isRegularFile(f)) continue;
            try {
                out.put(name, Files.readAllBytes(f));
            } catch (IOException e) {
                throw new SculptException("cannot read " + f + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The tokenizer saved in a model directory: Sculpt's byte-level one when recognised, else tokenizer.json. */
    public static Tokenizer tokenizer(Path dir) {
        if (ByteTokenizer.isSavedIn(dir)) return ByteTokenizer.load(dir);
        if (WordTokenizer.isSavedIn(dir)) return WordTokenizer.load(dir);
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new SculptException("no tokenizer.json in model directory " + dir);
        }
        return HfTokenizer.load(dir);
    }
}
