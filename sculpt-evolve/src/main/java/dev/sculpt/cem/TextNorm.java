package dev.sculpt.cem;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** Text normalisation shared by the answer parser, knowledge points and data builder. */
public final class TextNorm {
    private TextNorm() {}

    private static final Pattern PUNCT = Pattern.compile("[\\p{Punct}\\u2018\\u2019\\u201C\\u201D]");
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?])\\s+(?=\\S)");

    /** English stop words (articles, pronouns, auxiliaries, prepositions, question words). */
    public static final Set<String> STOP_WORDS = Set.of(
            "a", "an", "the", "and", "or", "but", "if", "then", "of", "in", "on", "at", "to", "for", "from", "by",
            "with", "about", "as", "into", "than", "is", "are", "was", "were", "be", "been", "being", "do", "does",
            "did", "has", "have", "had", "it", "its", "this", "that", "these", "those", "which", "what", "who",
            "whom", "whose", "where", "when", "why", "how", "not", "no", "can", "could", "would", "should", "will",
            "shall", "may", "might", "must", "i", "you", "he", "she", "we", "they", "his", "her", "their", "our",
            "your", "my", "me", "him", "them", "us", "there", "here", "so", "such", "all", "any", "some", "each",
            "one", "following", "called", "named", "known", "also", "most", "more", "very", "other", "s",
            "through", "over", "under", "between", "after", "before", "during", "near", "across", "against", "within",
            "without", "via", "upon", "onto", "among", "since", "until", "while");

    /** SQuAD-style: lower case, punctuation removed, articles removed, whitespace collapsed. */
    public static String normalize(String s) {
        String t = s.toLowerCase(Locale.ROOT);
        t = PUNCT.matcher(t).replaceAll(" ");
        t = ARTICLES.matcher(t).replaceAll(" ");
        return SPACES.matcher(t).replaceAll(" ").trim();
    }

    /** The normalised text with a space on either side, for {@link #containsPhrase}. */
    public static String padded(String text) {
        return " " + normalize(text) + " ";
    }

    /**
     * True when the normalised tokens of {@code phrase} occur as a contiguous run of whole tokens in the text
     * {@code paddedText} (made by {@link #padded}): "Finn Tanaka" does not occur in "Finn Okafor met Tanaka", and
     * "Quito" does not occur in "Quitor". An empty phrase occurs nowhere.
     */
    public static boolean containsPhrase(String paddedText, String phrase) {
        String n = normalize(phrase);
        return !n.isEmpty() && paddedText.contains(" " + n + " ");
    }

    /** Levenshtein distance (insert, delete, substitute; each costs 1). */
    public static int levenshtein(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    /** 1 - distance / max length, in [0, 1]; 1 for two empty strings. */
    public static double similarity(String a, String b) {
        int m = Math.max(a.length(), b.length());
        return m == 0 ? 1 : 1.0 - (double) levenshtein(a, b) / m;
    }

    /** Sentences split after . ! ? followed by white space. */
    public static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        for (String s : SENTENCE_END.split(text.trim())) {
            if (!s.isBlank()) out.add(s.trim());
        }
        return out;
    }

    /** Lower-case word tokens (letters and digits). */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) out.add(w);
        }
        return out;
    }
}
