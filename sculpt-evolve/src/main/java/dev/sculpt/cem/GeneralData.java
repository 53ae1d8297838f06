package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.data.TextPair;
import dev.sculpt.io.JsonLines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * General instruction data (against forgetting), in the task files' JSONL format ({@link JsonlTasks#pair}): {@code
 * {"prompt","completion"}}, {@code {"instruction","input","output"}}, or {@code {"text"}}, plain text trained with
 * loss on all of it like a CPT passage (to replay what the model learned before the loop, e.g. the passages it was
 * taught).
 */
public final class GeneralData {
    private GeneralData() {}

    public static List<TextPair> load(Path file) {
        List<TextPair> out = new ArrayList<>();
        JsonLines.read(file, (o, where) -> out.add(JsonlTasks.pair(o, where)));
        if (out.isEmpty()) throw new SculptException(file + ": no general items");
        return out;
    }
}
