package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.data.TextPair;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * General instruction data (against forgetting): JSONL lines {@code {"prompt","completion"}} or
 * {@code {"instruction","input","output"}} (input optional; prompt = instruction, a newline, input), or
 * {@code {"text"}}: plain text trained with loss on all of it, like a CPT passage (to replay what the model learned
 * before the loop, e.g. the passages it was taught).
 */
public final class GeneralData {
    private GeneralData() {}

    public static List<TextPair> load(Path file) {
        List<TextPair> out = new ArrayList<>();
        JsonLines.read(file, (o, where) -> {
            if (o.has("prompt") || o.has("completion")) {
                out.add(new TextPair(JsonLines.text(o, "prompt", where), JsonLines.text(o, "completion", where)));
            } else if (o.has("instruction")) {
                String input = o.hasNonNull("input") ? o.get("input").asText() : "";
                String prompt = JsonLines.text(o, "instruction", where) + (input.isBlank() ? "" : "\n" + input);
                out.add(new TextPair(prompt, JsonLines.text(o, "output", where)));
            } else if (o.has("text")) {
                out.add(new TextPair("", JsonLines.text(o, "text", where)));
            } else {
                throw new SculptException(where + ": expected {\"prompt\",\"completion\"}, {\"instruction\",\"input\",\"output\"} or {\"text\"}");
            }
        });
        if (out.isEmpty()) throw new SculptException(file + ": no general items");
        return out;
    }
}
