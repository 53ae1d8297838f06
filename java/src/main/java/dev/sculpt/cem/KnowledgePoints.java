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
 *   <li>answer: the gold answer text itself (the entity the question is about is usually the answer);</li>
 *   <li>quoted: spans in double quotes (straight or curly), or in single quotes that open after a space;</li>
 *   <li>capitalized: runs of capitalised words (entity candidates), joined across "of", "the", "de", "von",
 *       "van", "and" inside the run; a run that is only a stop word or question word ("What") is dropped;</li>
 *   <li>number: integers and decimals, with an optional % sign;</li>
 *   <li>ngram: after stop-word removal, bigrams inside runs of content words, then content unigrams of 3+
 *       letters, skipping any already covered by an earlier point.</li>
 * </ol>
 * Points are de-duplicated case-insensitively and capped at {@code maxPoints} per question.
 */
public final class KnowledgePoints {
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]{2,80})\"|\u201C([^\u201D]{2,80})\u201D|(?:^|\\s)'([^']{2,80})'");
    private static final Pattern NUMBER = Pattern.compile("(?<![\\p{L}\\d])-?\\d+(?:[.,]\\d+)*%?");
    private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N}'\\-]*");
    private static final Set<String> CONNECTORS = Set.of("of", "the", "de", "von", "van", "and", "la", "le", "del");

    private final int maxPoints;

    public KnowledgePoints(int maxPoints) {
        this.maxPoints = maxPoints;
    }

    public List<KnowledgePoint> extract(Question q) {
        Map<String, KnowledgePoint> out = new LinkedHashMap<>();
        String id = q.id();
        String gold = q.goldText().trim();
        add(out, gold, "answer", id);
        String both = q.question() + "\n" + gold;
        Matcher m = QUOTED.matcher(both);
        while (m.find()) {
            String s = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
            add(out, s, "quoted", id);
        }
        for (String span : capitalizedSpans(q.question())) add(out, span, "capitalized", id);
        m = NUMBER.matcher(both);
        while (m.find()) add(out, m.group(), "number", id);
        List<List<String>> runs = contentRuns(q.question());
        for (List<String> run : runs) {
            for (int i = 0; i + 1 < run.size(); i++) addNgram(out, run.get(i) + " " + run.get(i + 1), id);
        }
        for (List<String> run : runs) {
            for (String w : run) if (w.length() >= 3) addNgram(out, w, id);
        }
        List<KnowledgePoint> list = new ArrayList<>(out.values());
        return list.size() > maxPoints ? list.subList(0, maxPoints) : list;
    }

    /** Points of many mistakes, de-duplicated across them (first occurrence kept). */
    public List<KnowledgePoint> extractAll(List<Mistake> mistakes) {
        Map<String, KnowledgePoint> all = new LinkedHashMap<>();
        for (Mistake mk : mistakes) {
            for (KnowledgePoint p : extract(mk.question())) all.putIfAbsent(p.text().toLowerCase(Locale.ROOT), p);
        }
        return new ArrayList<>(all.values());
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

    private static List<List<String>> contentRuns(String text) {
        List<List<String>> runs = new ArrayList<>();
        List<String> run = new ArrayList<>();
        for (String w : TextNorm.words(text)) {
            if (TextNorm.STOP_WORDS.contains(w) || w.chars().allMatch(Character::isDigit)) {
                if (!run.isEmpty()) runs.add(run);
                run = new ArrayList<>();
            } else {
                run.add(w);
            }
        }
        if (!run.isEmpty()) runs.add(run);
        return runs;
    }

    private static void add(Map<String, KnowledgePoint> out, String text, String kind, String id) {
        String t = text.trim();
        if (t.isEmpty()) return;
        out.putIfAbsent(t.toLowerCase(Locale.ROOT), new KnowledgePoint(t, kind, id));
    }

    private static void addNgram(Map<String, KnowledgePoint> out, String gram, String id) {
        for (String k : out.keySet()) {
            if ((" " + TextNorm.normalize(k) + " ").contains(" " + gram + " ")) return;
        }
        add(out, gram, "ngram", id);
    }
}
