package dev.sculpt.cem;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.JsonLines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A named list of questions read from JSONL: multiple choice {@code {"id","question","options":[...],"answer"}}
 * or short answer {@code {"id","question","answer"}}, optionally with {@code "cloze": true} (the question is a
 * statement to complete and is used as the prompt without the template, see {@link Question}). A multiple-choice answer is the text of one option, or
 * its letter when no option has that exact text; anything else is an error naming file:line.
 */
public record QuestionSet(String name, List<Question> questions) {
    public static final int MAX_OPTIONS = 26;

    public QuestionSet {
        questions = List.copyOf(questions);
    }

    public int size() { return questions.size(); }

    public static QuestionSet load(String name, Path file) {
        List<Question> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        JsonLines.read(file, (o, where) -> {
            String id = JsonLines.text(o, "id", where);
            String question = JsonLines.text(o, "question", where);
            String answer = JsonLines.text(o, "answer", where);
            JsonNode opts = o.get("options");
            List<String> options = new ArrayList<>();
            int answerIndex = -1;
            if (opts != null && !opts.isNull()) {
                if (!opts.isArray()) throw new SculptException(where + ": \"options\" must be an array of strings");
                for (JsonNode n : opts) {
                    if (!n.isTextual() || n.asText().isBlank()) {
                        throw new SculptException(where + ": every option must be a non-empty string");
                    }
                    options.add(n.asText().trim());
                }
                if (options.size() < 2) throw new SculptException(where + ": a multiple-choice question needs at least 2 options");
                if (options.size() > MAX_OPTIONS) throw new SculptException(where + ": at most " + MAX_OPTIONS + " options");
                answerIndex = options.indexOf(answer.trim());
                if (answerIndex < 0 && answer.trim().length() == 1) {
                    int li = Character.toUpperCase(answer.trim().charAt(0)) - 'A';
                    if (li >= 0 && li < options.size()) answerIndex = li;
                }
                if (answerIndex < 0) {
                    throw new SculptException(where + ": answer \"" + answer + "\" is not one of its options " + options);
                }
            }
            JsonNode c = o.get("cloze");
            if (c != null && !c.isNull() && !c.isBoolean()) throw new SculptException(where + ": \"cloze\" must be true or false");
            boolean cloze = c != null && c.asBoolean(false);
            if (cloze && !options.isEmpty()) throw new SculptException(where + ": a cloze question cannot have options");
            if (!ids.add(id)) throw new SculptException(where + ": duplicate id \"" + id + "\"");
            out.add(new Question(id, question, options, answer.trim(), answerIndex, where, cloze));
        });
        if (out.isEmpty()) throw new SculptException(file + ": no questions");
        return new QuestionSet(name, out);
    }
}
