package dev.sculpt.cem;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns generated text into an answer. Only the first non-blank line counts, after a leading
 * "Answer:" / "The answer is" is removed.
 *
 * <p>Multiple choice, first rule that matches wins:
 * <ol>
 *   <li>letter: the line starts with an option letter, optionally in parentheses, followed by the end, white
 *       space, '.', ')' or ':' ("B", "(B)", "B. Paris"); an upper-case letter always counts, a lower-case one only
 *       when it is the whole line; the letter must name an existing option;</li>
 *   <li>text: the normalised line equals a normalised option, or starts with it followed by a space
 *       (the longest such option wins);</li>
 *   <li>fuzzy: the option with the highest similarity (1 - Levenshtein / longer length, on normalised text)
 *       when it reaches {@code fuzzyThreshold} and no other option ties with it;</li>
 * </ol>
 * otherwise the answer is unparseable. Short answer: correct when the normalised line, or its first sentence
 * (the line cut before the first '.', '!' or '?' that is followed by white space), equals the normalised gold
 * answer (SQuAD exact match: case, punctuation, articles and extra spaces ignored), so that "Quito. Finn Okafor
 * works as a baker." answers "Quito"; unparseable when the normalised line is empty. Normalisation is {@link TextNorm#normalize}.
 */
public final class AnswerParser {
    public static final double DEFAULT_FUZZY_THRESHOLD = 0.8;
    private static final Pattern PREFIX = Pattern.compile("^(?i)(the\\s+)?(correct\\s+)?answer(\\s+is)?\\s*[:\\-]?\\s*");
    private static final Pattern SENTENCE_END = Pattern.compile("[.!?](?=\\s)");
    private static final Pattern LETTER = Pattern.compile("^\\(?([A-Za-z])(\\)|\\.|:|\\s|$)");

    private final double fuzzyThreshold;

    public AnswerParser() { this(DEFAULT_FUZZY_THRESHOLD); }

    public AnswerParser(double fuzzyThreshold) {
        this.fuzzyThreshold = fuzzyThreshold;
    }

    public ParsedAnswer parse(Question q, String generated) {
        String line = firstLine(generated);
        return q.isMultipleChoice() ? parseChoice(q, line) : parseShort(q, line);
    }

    static String firstLine(String s) {
        for (String l : s.split("\\R")) {
            if (!l.isBlank()) return PREFIX.matcher(l.trim()).replaceFirst("").trim();
        }
        return "";
    }

    private ParsedAnswer parseShort(Question q, String line) {
        String got = TextNorm.normalize(line);
        if (got.isEmpty()) return ParsedAnswer.none();
        String gold = TextNorm.normalize(q.answer());
        if (got.equals(gold)) return new ParsedAnswer(got, true, "exact");
        Matcher end = SENTENCE_END.matcher(line);
        if (end.find()) {
            String first = TextNorm.normalize(line.substring(0, end.start()));
            if (first.equals(gold)) return new ParsedAnswer(first, true, "first-sentence");
        }
        return new ParsedAnswer(got, false, "exact");
    }

    private ParsedAnswer parseChoice(Question q, String line) {
        if (line.isEmpty()) return ParsedAnswer.none();
        Matcher m = LETTER.matcher(line);
        if (m.find()) {
            char c = m.group(1).charAt(0);
            boolean upper = Character.isUpperCase(c);
            if (upper || line.length() == 1 || (line.startsWith("(") && line.length() <= 3)) {
                int idx = Character.toUpperCase(c) - 'A';
                if (idx < q.options().size()) return choice(q, idx, "letter");
            }
        }
        String got = TextNorm.normalize(line);
        if (got.isEmpty()) return ParsedAnswer.none();
        int best = -1;
        int bestLen = -1;
        for (int i = 0; i < q.options().size(); i++) {
            String opt = TextNorm.normalize(q.options().get(i));
            if (opt.isEmpty()) continue;
            if ((got.equals(opt) || got.startsWith(opt + " ")) && opt.length() > bestLen) {
                best = i;
                bestLen = opt.length();
            }
        }
        if (best >= 0) return choice(q, best, "text");
        double top = -1;
        boolean tie = false;
        for (int i = 0; i < q.options().size(); i++) {
            double s = TextNorm.similarity(got, TextNorm.normalize(q.options().get(i)));
            if (s > top) {
                top = s;
                best = i;
                tie = false;
            } else if (s == top) {
                tie = true;
            }
        }
        if (top >= fuzzyThreshold && !tie) return choice(q, best, "fuzzy");
        return ParsedAnswer.none();
    }

    private static ParsedAnswer choice(Question q, int idx, String how) {
        return new ParsedAnswer(Integer.toString(idx), idx == q.answerIndex(), how);
    }
}
