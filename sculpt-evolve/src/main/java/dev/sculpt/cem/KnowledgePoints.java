package dev.sculpt.cem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rule-based knowledge points from a question and its gold answer, in this order:
 * <ol>
 *   <li>the question's entity spans ({@link #entitySpans}): quoted spans (double quotes, straight or curly, or
 *       single quotes that open after a space), then runs of capitalised words outside quotes (names, places,
 *       titles; joined across "of", "the", "de", "von", "van", "and", "la", "le", "del"; a run that is only a stop
 *       word or question word such as "What" is dropped, a leading one is trimmed), then dates (a month name with
 *       a day or a year: "12 May 1901", "May 12, 1901"), then other numbers (integers and decimals, an optional %
 *       sign);</li>
 *   <li>answer: the gold answer together with the question's first entity span, "Finn Okafor, Quito", whose
 *       parts are both: a passage must mention both for the point to occur there. A gold answer alone names a
 *       value that many facts share (many people were born in Quito), so it is never a point by itself, and a
 *       question without an entity span gives no answer point;</li>
 *   <li>ngram: bigrams inside runs of lower-case content words, then their unigrams of 3+ letters, skipping any
 *       already covered by an earlier point. A run breaks at every stop word, number, punctuation mark,
 *       capitalised word and quoted span, so an n-gram never joins a name to another word ("okafor born"). An
 *       n-gram of a question with an entity span has that entity as a second part: "born" from "Where was Finn
 *       Okafor born?" occurs only in a passage that also names Finn Okafor.</li>
 * </ol>
 * Points are de-duplicated case-insensitively and capped at {@code maxPoints} per question; the answer point
 * is kept within the cap (it replaces the last entity span when the spans alone fill it).
 */
public final class KnowledgePoints {
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]{2,80})\"|\u201C([^\u201D]{2,80})\u201D|(?:^|\\s)'([^']{2,80})'");
    private static final String MONTH = "(?:January|February|March|April|May|June|July|August|September|October|November|December)";
    /** "12 May 1901", "May 12, 1901", "May 1901", "12 May": a month name with a day or a year. */
    private static final Pattern DATE = Pattern.compile("\\b(?:\\d{1,2} " + MONTH + "(?: \\d{1,4})?|" + MONTH
            + " \\d{1,2}(?:, \\d{1,4})?|" + MONTH + " \\d{3,4})\\b");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\p{L}\\d])-?\\d+(?:[.,]\\d+)*%?");
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}'\\-]*");
    private static final Set<String> CONNECTORS = Set.of("of", "the", "de", "von", "van", "and", "la", "le", "del");

    private final int maxPoints;
    private final boolean grounded;

    public KnowledgePoints(int maxPoints) {
        this(maxPoints, true);
    }

    /**
     * {@code grounded = false} is for ablation only ({@code sculpt evolve --ungrounded}): the points as they were
     * before issue 17. The gold answer alone is the first point, of one part, not tied to the entity; the entity
     * spans follow; n-grams come from runs broken only by stop words and numbers (so "okafor born" can happen)
     * and have the n-gram as their only part.
     */
    public KnowledgePoints(int maxPoints, boolean grounded) {
        if (maxPoints < 1) throw new IllegalArgumentException("maxPoints must be >= 1, got " + maxPoints);
        this.maxPoints = maxPoints;
        this.grounded = grounded;
    }

    public List<KnowledgePoint> extract(Question q) {
        Map<String, KnowledgePoint> out = new LinkedHashMap<>();
        String id = q.id();
        if (!grounded) return ungrounded(q, out);
        List<KnowledgePoint> spans = entityPoints(q.question(), id);
        for (KnowledgePoint p : spans) out.putIfAbsent(key(p.text()), p);
        KnowledgePoint answer = answerPoint(q, spans);
        if (answer != null) out.putIfAbsent(key(answer.text()), answer);
        String entity = spans.isEmpty() ? null : spans.get(0).text();
        List<List<String>> runs = contentRuns(q.question());
        for (List<String> run : runs) {
            for (int i = 0; i + 1 < run.size(); i++) addNgram(out, run.get(i) + " " + run.get(i + 1), entity, id);
        }
        for (List<String> run : runs) {
            for (String w : run) if (w.length() >= 3) addNgram(out, w, entity, id);
        }
        List<KnowledgePoint> list = new ArrayList<>(out.values());
        if (list.size() <= maxPoints) return list;
        List<KnowledgePoint> capped = new ArrayList<>(list.subList(0, maxPoints));
        if (answer != null && !capped.contains(answer)) capped.set(Math.min(maxPoints, spans.size()) - 1, answer);
        return capped;
    }

    private List<KnowledgePoint> ungrounded(Question q, Map<String, KnowledgePoint> out) {
        add(out, q.goldText(), "answer", q.id());
        for (KnowledgePoint p : entityPoints(q.question(), q.id())) out.putIfAbsent(key(p.text()), p);
        List<List<String>> runs = new ArrayList<>();
        List<String> run = new ArrayList<>();
        for (String w : TextNorm.words(q.question())) {
            if (TextNorm.STOP_WORDS.contains(w) || w.chars().allMatch(Character::isDigit)) {
                if (!run.isEmpty()) runs.add(run);
                run = new ArrayList<>();
            } else {
                run.add(w);
            }
        }
        if (!run.isEmpty()) runs.add(run);
        for (List<String> r : runs) for (int i = 0; i + 1 < r.size(); i++) addNgram(out, r.get(i) + " " + r.get(i + 1), null, q.id());
        for (List<String> r : runs) for (String w : r) if (w.length() >= 3) addNgram(out, w, null, q.id());
        List<KnowledgePoint> list = new ArrayList<>(out.values());
        return list.size() > maxPoints ? list.subList(0, maxPoints) : list;
    }

    /** Points of many mistakes, de-duplicated across them (first occurrence kept). */
    public List<KnowledgePoint> extractAll(List<Mistake> mistakes) {
        Map<String, KnowledgePoint> all = new LinkedHashMap<>();
        for (Mistake mk : mistakes) {
            for (KnowledgePoint p : extract(mk.question())) all.putIfAbsent(key(p.text()), p);
        }
        return new ArrayList<>(all.values());
    }

    /** The question's entity spans in the order of the class comment: quoted, capitalised, numbers. */
    public static List<String> entitySpans(String question) {
        return entityPoints(question, "").stream().map(KnowledgePoint::text).toList();
    }

    /** The question's first entity span (the one its answer point pairs with the gold answer), or null. */
    public static String entity(Question q) {
        List<String> spans = entitySpans(q.question());
        return spans.isEmpty() ? null : spans.get(0);
    }

    private static List<KnowledgePoint> entityPoints(String question, String id) {
        Map<String, KnowledgePoint> out = new LinkedHashMap<>();
        Matcher m = QUOTED.matcher(question);
        while (m.find()) {
            String s = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            add(out, s, "quoted", id);
        }
        for (String segment : outsideQuotes(question)) {
            for (String span : capitalizedSpans(segment)) add(out, span, "capitalized", id);
        }
        List<int[]> dates = new ArrayList<>();
        m = DATE.matcher(question);
        while (m.find()) {
            add(out, m.group(), "date", id);
            dates.add(new int[] {m.start(), m.end()});
        }
        m = NUMBER.matcher(question);
        while (m.find()) {
            int at = m.start();
            if (dates.stream().noneMatch(d -> at >= d[0] && at < d[1])) add(out, m.group(), "number", id);
        }
        return new ArrayList<>(out.values());
    }

    private static KnowledgePoint answerPoint(Question q, List<KnowledgePoint> spans) {
        String gold = q.goldText().trim();
        if (spans.isEmpty() || TextNorm.normalize(gold).isEmpty()) return null;
        String entity = spans.get(0).text();
        if (TextNorm.containsPhrase(TextNorm.padded(entity), gold)) return null;   // the answer is part of the entity
        return new KnowledgePoint(entity + ", " + gold, "answer", q.id(), List.of(entity, gold));
    }

    /**
     * The question's text between quoted spans and dates (boundaries that no capitalised span or n-gram crosses,
     * and that hide a date's month name from the capitalised spans).
     */
    private static List<String> outsideQuotes(String question) {
        List<int[]> cuts = new ArrayList<>();
        for (Pattern p : List.of(QUOTED, DATE)) {
            Matcher m = p.matcher(question);
            while (m.find()) cuts.add(new int[] {m.start(), m.end()});
        }
        cuts.sort((a, b) -> Integer.compare(a[0], b[0]));
        List<String> out = new ArrayList<>();
        int last = 0;
        for (int[] c : cuts) {
            if (c[0] < last) continue;
            out.add(question.substring(last, c[0]));
            last = c[1];
        }
        out.add(question.substring(last));
        return out;
    }

    static List<String> capitalizedSpans(String text) {
        List<String> spans = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        List<String> run = new ArrayList<>();
        List<String> pendingConnectors = new ArrayList<>();
        while (m.find()) {
            String w = m.group();
            boolean cap = Character.isUpperCase(w.charAt(0));
            boolean gapBefore = m.start() > 0 && !run.isEmpty() && hasBreak(text, m.start());
            if (gapBefore) {
                flush(run, spans);
                pendingConnectors.clear();
            }
            if (cap) {
                run.addAll(pendingConnectors);
                pendingConnectors.clear();
                run.add(w);
            } else if (!run.isEmpty() && CONNECTORS.contains(w)) {
                pendingConnectors.add(w);
            } else {
                flush(run, spans);
                pendingConnectors.clear();
            }
        }
        flush(run, spans);
        return spans;
    }

    /** A comma, colon, question mark etc. between the previous word and this one ends a run. */
    private static boolean hasBreak(String text, int start) {
        for (int i = start - 1; i >= 0; i--) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c)) return false;
            if (!Character.isWhitespace(c) && c != '\'' && c != '-') return true;
        }
        return false;
    }

    private static void flush(List<String> run, List<String> spans) {
        if (run.isEmpty()) return;
        List<String> words = new ArrayList<>(run);
        while (!words.isEmpty() && TextNorm.STOP_WORDS.contains(words.get(0).toLowerCase(Locale.ROOT))) words.remove(0);
        if (!words.isEmpty()) spans.add(String.join(" ", words));
        run.clear();
    }

    /**
     * Runs of lower-case content words: a stop word, a number, a capitalised word, a punctuation mark or a quoted
     * span ends a run.
     */
    private static List<List<String>> contentRuns(String question) {
        List<List<String>> runs = new ArrayList<>();
        for (String segment : outsideQuotes(question)) {
            List<String> run = new ArrayList<>();
            Matcher m = WORD.matcher(segment);
            while (m.find()) {
                String w = m.group();
                String lower = w.toLowerCase(Locale.ROOT);
                boolean breaks = Character.isUpperCase(w.charAt(0)) || !Character.isLetter(w.charAt(0))
                        || TextNorm.STOP_WORDS.contains(lower) || (!run.isEmpty() && hasBreak(segment, m.start()));
                if (breaks && !run.isEmpty()) {
                    runs.add(run);
                    run = new ArrayList<>();
                }
                boolean content = Character.isLowerCase(w.charAt(0)) && !TextNorm.STOP_WORDS.contains(lower);
                if (content) run.add(TextNorm.normalize(lower.endsWith("'s") ? lower.substring(0, lower.length() - 2) : lower));
            }
            if (!run.isEmpty()) runs.add(run);
        }
        return runs;
    }

    private static String key(String text) {
        return text.trim().toLowerCase(Locale.ROOT);
    }

    private static void add(Map<String, KnowledgePoint> out, String text, String kind, String id) {
        String t = text.trim();
        if (TextNorm.normalize(t).isEmpty()) return;
        out.putIfAbsent(key(t), new KnowledgePoint(t, kind, id));
    }

    private static void addNgram(Map<String, KnowledgePoint> out, String gram, String entity, String id) {
        for (KnowledgePoint p : out.values()) {
            for (String part : p.parts()) if (TextNorm.containsPhrase(TextNorm.padded(part), gram)) return;
        }
        out.putIfAbsent(key(gram), new KnowledgePoint(gram, "ngram", id, entity == null ? List.of(gram) : List.of(entity, gram)));
    }
}
