package dev.sculpt.data;

/** One supervised text example: the model reads {@code prompt} and must produce {@code completion}. */
public record TextPair(String prompt, String completion) {
    public TextPair {
        if (prompt == null || completion == null) throw new IllegalArgumentException("prompt and completion must not be null");
    }
}
