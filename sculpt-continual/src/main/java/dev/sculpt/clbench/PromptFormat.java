package dev.sculpt.clbench;

import java.util.List;

/**
 * The prompt of a benchmark example, in the zero-shot format of the continual-learning literature:
 *
 * <pre>
 * {instruction}{sentence}
 * Option: {label 1}, {label 2}, ...
 * Answer:</pre>
 *
 * The family instruction ends with a newline in {@code instruction_config.json}; one is added if it does not.
 * An empty instruction (a family the config does not list) leaves just the sentence. Trailing whitespace of
 * the sentence is dropped (some files end sentences with a newline) so every prompt has the same shape.
 * The target is the label text itself, with nothing around it.
 */
public final class PromptFormat {
    private PromptFormat() {}

    public static String prompt(String instruction, String sentence, List<String> labels) {
        StringBuilder sb = new StringBuilder(instruction.length() + sentence.length() + 64);
        sb.append(instruction);
        if (!instruction.isEmpty() && !instruction.endsWith("\n")) sb.append('\n');
        sb.append(sentence.stripTrailing());
        sb.append("\nOption: ").append(String.join(", ", labels));
        sb.append("\nAnswer:");
        return sb.toString();
    }
}
