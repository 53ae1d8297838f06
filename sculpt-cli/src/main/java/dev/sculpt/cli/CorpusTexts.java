package dev.sculpt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The texts of JSONL files for a tokenizer vocabulary: every string value of every line's object (nested arrays
 * and objects included), so corpus lines ({id, title, text}), question lines ({question, options, answer}) and
 * task lines ({prompt, completion}) all serve. Blank lines are skipped; a line that is not a JSON object, or has no
 * non-blank string, is an error naming the file and line.
 */
final class CorpusTexts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CorpusTexts() {}

    static List<String> read(List<Path> files) {
        List<String> out = new ArrayList<>();
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new SculptException("--corpus: cannot read " + f + ": " + e.getMessage(), e);
            }
            int before = out.size();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).isBlank()) continue;
                String where = f + ":" + (i + 1);
                JsonNode n;
                try {
                    n = JSON.readTree(lines.get(i));
                } catch (JsonProcessingException e) {
                    throw new SculptException("--corpus: " + where + ": malformed JSON (" + e.getOriginalMessage() + ")");
                }
                if (n == null || !n.isObject()) throw new SculptException("--corpus: " + where + ": expected a JSON object");
                int had = out.size();
                collect(n, out);
                if (out.size() == had) throw new SculptException("--corpus: " + where + ": the line has no text (no non-blank string field)");
            }
            if (out.size() == before) throw new SculptException("--corpus: " + f + " is empty");
        }
        return out;
    }

    private static void collect(JsonNode n, List<String> out) {
        if (n.isTextual()) {
            if (!n.asText().isBlank()) out.add(n.asText());
        } else if (n.isContainerNode()) {
            for (JsonNode c : n) collect(c, out);
        }
    }
}
