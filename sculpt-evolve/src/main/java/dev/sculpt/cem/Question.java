package dev.sculpt.cem;

import java.util.List;

/**
 * One evaluation or training question. Multiple choice when {@code options} is non-empty (then
 * {@code answerIndex} points at the gold option); short answer otherwise ({@code answerIndex} is -1).
 * {@code origin} is "file:line" for messages. A {@code cloze} question is a statement to complete in the style of
 * the LAMA knowledge probes ("Finn Okafor was born in"): its prompt is the question text itself, without the
 * template, so the answer continues it ({@link PromptTemplate#render}); short answer only.
 */
public record Question(String id, String question, List<String> options, String answer, int answerIndex, String origin,
                       boolean cloze) {
    public Question {
        options = List.copyOf(options);
        if (cloze && !options.isEmpty()) throw new IllegalArgumentException("a cloze question cannot have options: " + origin);
    }

    public Question(String id, String question, List<String> options, String answer, int answerIndex, String origin) {
        this(id, question, options, answer, answerIndex, origin, false);
    }

    public static Question cloze(String id, String statement, String answer) {
        return new Question(id, statement, List.of(), answer, -1, id, true);
    }

    public static Question shortAnswer(String id, String question, String answer) {
        return new Question(id, question, List.of(), answer, -1, id);
    }

    public boolean isMultipleChoice() { return !options.isEmpty(); }

    /** The gold answer as text (the gold option's text for multiple choice). */
    public String goldText() { return isMultipleChoice() ? options.get(answerIndex) : answer; }

    /** Option letter for index i: A, B, C, ... */
    public static char letter(int i) { return (char) ('A' + i); }
}
