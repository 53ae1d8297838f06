package dev.sculpt.cem;

/** One question after evaluation: the generated text and what the parser made of it. */
public record Answered(Question question, String generated, ParsedAnswer parsed) {
    public boolean correct() { return parsed.correct(); }
    public boolean unparseable() { return parsed.unparseable(); }
}
