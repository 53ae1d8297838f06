package dev.sculpt.cem;

/**
 * What the parser made of a generated answer. {@code key} identifies the answer for agreement counting
 * (the option index for multiple choice, the normalised text for short answers); null when unparseable.
 * {@code how} says which rule matched: letter, text, fuzzy, exact, or none.
 */
public record ParsedAnswer(String key, boolean correct, String how) {
    public boolean unparseable() { return key == null; }

    public static ParsedAnswer none() { return new ParsedAnswer(null, false, "none"); }
}
