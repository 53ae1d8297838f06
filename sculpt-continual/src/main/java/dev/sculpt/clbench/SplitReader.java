package dev.sculpt.clbench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads one split file (a JSON array of {@code {"label","sentence"}} objects) with Jackson's streaming parser,
 * so a file of thousands of long entries never exists twice in memory as a tree.
 *
 * <p>Every label must be one of the task's labels. The one exception is {@value #NO_GOLD_LABEL}: GLUE marks
 * MNLI pairs without annotator consensus that way (131 of the 7600 MNLI test entries in the reference copy);
 * such entries carry no answer, so they are skipped and counted, never guessed.
 */
final class SplitReader {
    /** GLUE's marker for "no gold label". */
    static final String NO_GOLD_LABEL = "-";

    private static final JsonFactory JSON = new JsonFactory();

    /** Entries read from one file, and how many were skipped for having no gold label. */
    record Split(List<LabeledSentence> entries, int skippedNoGold) {}

    private SplitReader() {}

    static Split read(Path file, Set<String> labels) {
        try (InputStream in = Files.newInputStream(file); JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new SculptException(file + ": expected a JSON array of {\"label\",\"sentence\"} objects");
            }
            List<LabeledSentence> out = new ArrayList<>();
            int skipped = 0;
            int index = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), index++) {
                if (t == null) throw new SculptException(file + ": the JSON array is not closed (file truncated?)");
                if (t != JsonToken.START_OBJECT) {
                    throw new SculptException(file + ": entry " + index + " is not an object");
                }
                String label = null;
                String sentence = null;
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    JsonToken value = p.nextToken();
                    if ("label".equals(field) || "sentence".equals(field)) {
                        if (value != JsonToken.VALUE_STRING) {
                            throw new SculptException(file + ": entry " + index + ": \"" + field + "\" is not a string");
                        }
                        if ("label".equals(field)) label = p.getText();
                        else sentence = p.getText();
                    } else {
                        p.skipChildren(); // unknown fields are allowed and ignored
                    }
                }
                if (p.currentToken() != JsonToken.END_OBJECT) {
                    throw new SculptException(file + ": entry " + index + " is not closed (file truncated?)");
                }
                if (label == null || sentence == null) {
                    throw new SculptException(file + ": entry " + index + " lacks \"" + (label == null ? "label" : "sentence") + "\"");
                }
                if (!labels.contains(label)) {
                    if (NO_GOLD_LABEL.equals(label)) {
                        skipped++;
                        continue;
                    }
                    throw new SculptException(file + ": entry " + index + " has label \"" + label
                            + "\", which is not in labels.json " + labels);
                }
                out.add(new LabeledSentence(label, sentence, index));
            }
            return new Split(out, skipped);
        } catch (NoSuchFileException e) {
            throw new SculptException("missing split file " + file, e);
        } catch (IOException e) {
            throw new SculptException(file + ": cannot read: " + e.getMessage(), e);
        }
    }
}
