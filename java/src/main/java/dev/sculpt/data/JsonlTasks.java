package dev.sculpt.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads task files in JSON Lines: one object per line, either {@code {"prompt", "completion"}} or
 * {@code {"instruction", "input", "output"}} (Alpaca style; {@code input} may be empty or absent, and the prompt
 * is the instruction, a newline and the input). Blank lines are skipped. Every error names the file and line.
 */
public final class JsonlTasks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonlTasks() {}

    /** All pairs of one file; fails on a missing, empty or malformed file. */
    public static List<TextPair> read(Path file) {
        if (!Files.isRegularFile(file)) throw new SculptException("task file " + file + " does not exist");
        List<TextPair> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                out.add(parseLine(file, lineNo, line));
            }
        } catch (java.nio.charset.MalformedInputException e) {
            throw new SculptException(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new SculptException("cannot read task file " + file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new SculptException(file + ": no examples (the file is empty)");
        return out;
    }

    /** A task named after its file (without extension), with the given evaluation pairs. */
    public static TaskData task(Path trainFile, Path evalFile) {
        List<TextPair> train = read(trainFile);
        List<TextPair> test = evalFile == null ? train : read(evalFile);
        List<String> notes = evalFile == null
                ? List.of("task " + taskName(trainFile) + ": no --eval file, evaluated on its training data") : List.of();
        return new TaskData(taskName(trainFile), train, test, notes);
    }

    public static String taskName(Path file) {
        String n = file.getFileName().toString();
        if (n.endsWith(".jsonl")) n = n.substring(0, n.length() - 6);
        else if (n.endsWith(".json")) n = n.substring(0, n.length() - 5);
        return n;
    }

    static TextPair parseLine(Path file, int lineNo, String line) {
        String where = file + ":" + lineNo;
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new SculptException(where + ": malformed JSON (" + e.getOriginalMessage() + ")");
        }
        if (n == null || !n.isObject()) throw new SculptException(where + ": expected a JSON object");
        if (n.has("prompt") || n.has("completion")) {
            return new TextPair(text(n, "prompt", where, false), text(n, "completion", where, true));
        }
        if (n.has("instruction") || n.has("output")) {
            String instr = text(n, "instruction", where, true);
            String input = n.has("input") ? text(n, "input", where, false) : "";
            String prompt = input.isEmpty() ? instr : instr + "\n" + input;
            return new TextPair(prompt, text(n, "output", where, true));
        }
        throw new SculptException(where + ": expected fields \"prompt\" and \"completion\", or \"instruction\", \"input\" and \"output\"");
    }

    private static String text(JsonNode n, String field, String where, boolean nonEmpty) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new SculptException(where + ": missing field \"" + field + "\"");
        if (!v.isTextual()) throw new SculptException(where + ": field \"" + field + "\" must be a string");
        if (nonEmpty && v.asText().isEmpty()) throw new SculptException(where + ": field \"" + field + "\" is empty");
        return v.asText();
    }
}
