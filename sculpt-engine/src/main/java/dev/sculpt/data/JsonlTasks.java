package dev.sculpt.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.JsonLines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads prompt/completion pairs in JSON Lines (through {@link JsonLines}, whose rules every command shares): one
 * object per line, either {@code {"prompt", "completion"}} or {@code {"instruction", "input", "output"}} (Alpaca
 * style; {@code input} may be empty or absent, and the prompt is the instruction, a newline and the input), or
 * {@code {"text"}} (plain text, an empty prompt: the loss covers all of it). The prompt may be empty; the
 * completion, output, instruction and text may not. Task files and CEM's general data both
 * read this way.
 */
public final class JsonlTasks {
    private JsonlTasks() {}

    /** All pairs of one file; fails on a missing, empty or malformed file. */
    public static List<TextPair> read(Path file) {
        List<TextPair> out = new ArrayList<>();
        JsonLines.read(file, (o, where) -> out.add(pair(o, where)));
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

    /** One line's pair; {@code where} ("file:line") names it in errors. */
    public static TextPair pair(ObjectNode o, String where) {
        if (o.has("prompt") || o.has("completion")) {
            return new TextPair(JsonLines.textOrEmpty(o, "prompt", where), JsonLines.text(o, "completion", where));
        }
        if (o.has("instruction") || o.has("output")) {
            String instr = JsonLines.text(o, "instruction", where);
            String input = o.hasNonNull("input") ? JsonLines.textOrEmpty(o, "input", where) : "";
            String prompt = input.isEmpty() ? instr : instr + "\n" + input;
            return new TextPair(prompt, JsonLines.text(o, "output", where));
        }
        if (o.has("text")) return new TextPair("", JsonLines.text(o, "text", where));
        throw new SculptException(where + ": expected fields \"prompt\" and \"completion\", \"instruction\", \"input\" and \"output\", or \"text\"");
    }
}
