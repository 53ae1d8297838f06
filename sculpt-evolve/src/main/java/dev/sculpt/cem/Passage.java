package dev.sculpt.cem;

/** A corpus passage: id and title from the corpus line, text, and the source (corpus name, e.g. "wiki", "web"). */
public record Passage(String id, String title, String text, String source) {
    /** Unique across corpora. */
    public String key() { return source + ":" + id; }

    /** Title and text as one piece of pre-training text. */
    public String fullText() {
        return title.isBlank() ? text : title + ". " + text;
    }
}
