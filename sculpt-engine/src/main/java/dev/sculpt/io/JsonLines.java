package dev.sculpt.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The one JSON Lines reader of every command, and atomic JSONL writing. Rules, the same everywhere: one JSON
 * object per line; blank lines are skipped; every error names the file and line ("file:line: ..."); a text field
 * may be given as a JSON string or a JSON number (an answer of {@code 1984} reads as "1984"), never as a boolean,
 * array or object; the file must be UTF-8.
 */
public final class JsonLines {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonLines() {}

    /** Receives one parsed object and where it came from ("file:line"). */
    public interface LineHandler {
        void accept(ObjectNode object, String where);
    }

    public static void read(Path file, LineHandler handler) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                String where = file + ":" + n;
                JsonNode node;
                try {
                    node = MAPPER.readTree(line);
                } catch (JsonProcessingException e) {
                    throw new SculptException(where + ": malformed JSON: " + e.getOriginalMessage());
                }
                if (node == null || !node.isObject()) throw new SculptException(where + ": expected a JSON object");
                handler.accept((ObjectNode) node, where);
            }
        } catch (MalformedInputException e) {
            throw new SculptException(file + ": not valid UTF-8");
        } catch (NoSuchFileException e) {
            throw new SculptException(file + ": no such file");
        } catch (IOException e) {
            throw new SculptException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** A required, non-blank text field. */
    public static String text(ObjectNode o, String field, String where) {
        String s = textOrEmpty(o, field, where);
        if (s.isBlank()) throw new SculptException(where + ": field \"" + field + "\" is empty");
        return s;
    }

    /** A required text field that may be empty. */
    public static String textOrEmpty(ObjectNode o, String field, String where) {
        JsonNode v = o.get(field);
        if (v == null || v.isNull()) throw new SculptException(where + ": missing field \"" + field + "\"");
        if (!v.isTextual() && !v.isNumber()) throw new SculptException(where + ": field \"" + field + "\" must be a string or a number");
        return v.asText();
    }

    public static void write(Path file, List<?> rows) {
        StringBuilder sb = new StringBuilder();
        try {
            for (Object row : rows) sb.append(MAPPER.writeValueAsString(row)).append('\n');
        } catch (JsonProcessingException e) {
            throw new SculptException("cannot serialise rows for " + file + ": " + e.getMessage(), e);
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
