package dev.sculpt.cem;

/**
 * One training item of a round. {@code kind}: cpt (pre-training text, loss on all of {@code completion}, empty
 * prompt), normative, extractive, review or general (instruction items, loss on the completion only).
 * {@code passage} is the key of the passage the item was built from (null for normative items not tied to one
 * and for general items), {@code point} the knowledge point it teaches (or null), {@code round} the round
 * that built it (replayed items keep their original round).
 */
public record TrainingItem(String kind, String prompt, String completion, String passage, String point, int round) {
    public static final String CPT = "cpt";
    public static final String NORMATIVE = "normative";
    public static final String EXTRACTIVE = "extractive";
    public static final String REVIEW = "review";
    public static final String GENERAL = "general";
}
