package dev.sculpt.data;

import java.util.List;

/**
 * One task of a continual sequence: its name, training pairs and evaluation pairs, and notes the run should
 * print (for example that a missing split was replaced by a seeded hold-out).
 */
public record TaskData(String name, List<TextPair> train, List<TextPair> test, List<String> notes) {
    public TaskData {
        train = List.copyOf(train);
        test = List.copyOf(test);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }
}
