package dev.sculpt.cem;

import dev.sculpt.SculptException;

/**
 * How a question becomes a prompt, and how its gold answer is written as a training completion.
 * Placeholders: {@code {question}} in both templates, {@code {options}} in the multiple-choice one (rendered
 * as "A. text" lines joined by newlines). A cloze question is its own prompt. Completions start with a space:
 * " B. Paris" or " Paris".
 */
public record PromptTemplate(String multipleChoice, String shortAnswer) {
    public static final String DEFAULT_MULTIPLE_CHOICE = "Question: {question}\n{options}\nAnswer:";
    public static final String DEFAULT_SHORT_ANSWER = "Question: {question}\nAnswer:";

    public PromptTemplate {
        if (multipleChoice == null || !multipleChoice.contains("{question}") || !multipleChoice.contains("{options}")) {
            throw new SculptException("the multiple-choice template must contain {question} and {options}");
        }
        if (shortAnswer == null || !shortAnswer.contains("{question}")) {
            throw new SculptException("the short-answer template must contain {question}");
        }
    }

    public static PromptTemplate defaults() {
        return new PromptTemplate(DEFAULT_MULTIPLE_CHOICE, DEFAULT_SHORT_ANSWER);
    }

    public String render(Question q) {
        if (q.cloze()) return q.question();
        if (!q.isMultipleChoice()) return shortAnswer.replace("{question}", q.question());
        StringBuilder opts = new StringBuilder();
        for (int i = 0; i < q.options().size(); i++) {
            if (i > 0) opts.append('\n');
            opts.append(Question.letter(i)).append(". ").append(q.options().get(i));
        }
        return multipleChoice.replace("{question}", q.question()).replace("{options}", opts);
    }

    /** The gold answer as the model should produce it. */
    public String completion(Question q) {
        return q.isMultipleChoice() ? " " + Question.letter(q.answerIndex()) + ". " + q.goldText() : " " + q.answer();
    }
}
