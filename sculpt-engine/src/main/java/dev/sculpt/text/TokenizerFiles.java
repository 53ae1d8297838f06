package dev.sculpt.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sculpt.SculptException;
import dev.sculpt.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** The tokenizer files Sculpt's own tokenizers write (tokenizer.json and tokenizer_config.json), as bytes or into a directory. */
final class TokenizerFiles {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TokenizerFiles() {}

    /** The two files by name; {@code what} names the tokenizer in errors. */
    static Map<String, byte[]> of(JsonNode tokenizerJson, JsonNode tokenizerConfig, String what) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try {
            m.put("tokenizer.json", JSON.writeValueAsBytes(tokenizerJson));
            m.put("tokenizer_config.json", JSON.writeValueAsBytes(tokenizerConfig));
        } catch (IOException e) {
            throw new SculptException("cannot serialise the " + what + ": " + e.getMessage(), e);
        }
        return m;
    }

    /** Writes every file into {@code dir}, each atomically. */
    static void save(Path dir, Map<String, byte[]> files) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SculptException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        for (Map.Entry<String, byte[]> f : files.entrySet()) AtomicFiles.writeBytes(dir.resolve(f.getKey()), f.getValue());
    }
}
