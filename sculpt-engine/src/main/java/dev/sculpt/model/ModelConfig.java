package dev.sculpt.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A model directory's {@code config.json}, read far enough to tell which family ({@link ModelFamily}) handles it:
 * {@code architectures} (e.g. {@code LlamaForCausalLM}) and {@code model_type} (e.g. {@code llama}).
 *
 * @param source where it was read from (for messages)
 */
public record ModelConfig(String source, List<String> architectures, String modelType, JsonNode json) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        architectures = List.copyOf(architectures);
    }

    /** Reads {@code dir/config.json}. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isDirectory(dir)) throw new SculptException("model directory not found: " + dir);
        if (!Files.isRegularFile(file)) throw new SculptException("no config.json in model directory " + dir);
        try {
            return of(JSON.readTree(file.toFile()), file.toString());
        } catch (IOException e) {
            throw new SculptException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Reads a model directory's config.json, or a bare config.json file given by its own path. */
    public static ModelConfig readFileOrDirectory(Path path) {
        if (Files.isDirectory(path)) return read(path);
        if (!Files.isRegularFile(path)) throw new SculptException("no model directory or config.json at " + path);
        try {
            return of(JSON.readTree(path.toFile()), path.toString());
        } catch (IOException e) {
            throw new SculptException(path + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /** Wraps a parsed config.json tree. */
    public static ModelConfig of(JsonNode json, String source) {
        if (json == null || !json.isObject()) throw new SculptException(source + ": config.json must be a JSON object");
        List<String> arch = new ArrayList<>();
        JsonNode a = json.get("architectures");
        if (a != null && a.isArray()) a.forEach(n -> arch.add(n.asText()));
        String type = json.path("model_type").asText("");
        return new ModelConfig(source, arch, type, json);
    }

    /** Typed access to the fields, with the project's one set of config rules. */
    public ConfigFields fields() {
        return new ConfigFields(json, source);
    }

    /**
     * The model's context in tokens: max_position_embeddings, else n_positions (as T5 configs state it); empty
     * when the config states no positive limit.
     */
    public java.util.OptionalInt contextLength() {
        ConfigFields f = fields();
        String key = f.has("max_position_embeddings") ? "max_position_embeddings" : "n_positions";
        int n = f.intOr(key, 0);
        return n > 0 ? java.util.OptionalInt.of(n) : java.util.OptionalInt.empty();
    }

    /** "architectures" and "model_type" as one phrase for error messages. */
    public String describe() {
        return "architectures " + architectures + ", model_type '" + modelType + "'";
    }
}
