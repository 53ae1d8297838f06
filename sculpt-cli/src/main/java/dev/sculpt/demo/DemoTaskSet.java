package dev.sculpt.demo;

import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import java.util.List;
import java.util.Locale;

/** The task sequences the continual demo can learn. */
public enum DemoTaskSet {
    /** {@link StoryTasks}: parts of sentences of the pre-training grammar (who, where, what, feel). */
    STORIES,
    /** {@link SyntheticTasks}: string transformations over a small alphabet (reverse, shift, double, count). */
    STRINGS,
    /** {@link SyntheticTasks#shortSpecs()}: one-character answers (last, next, count, mid). */
    LETTERS;

    public List<TaskData> generate(int trainPerTask, int testPerTask, long seed) {
        return switch (this) {
            case STORIES -> StoryTasks.generate(trainPerTask, testPerTask, seed);
            case STRINGS -> SyntheticTasks.generate(trainPerTask, testPerTask, seed);
            case LETTERS -> SyntheticTasks.generate(SyntheticTasks.shortSpecs(), trainPerTask, testPerTask, seed);
        };
    }

    public List<String> names() {
        return switch (this) {
            case STORIES -> StoryTasks.names();
            case STRINGS -> SyntheticTasks.names();
            case LETTERS -> SyntheticTasks.names(SyntheticTasks.shortSpecs());
        };
    }

    public static DemoTaskSet parse(String s) {
        for (DemoTaskSet t : values()) if (t.name().equalsIgnoreCase(s.trim())) return t;
        throw new SculptException("unknown demo task set '" + s + "' (expected stories, strings or letters)");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
