package dev.sculpt.cem;

import java.util.List;

/**
 * A short phrase naming a piece of knowledge a mistake needs, with the rule that found it ({@code quoted},
 * {@code capitalized}, {@code date}, {@code number}, {@code answer}, {@code ngram}), the question it came from, and the phrases
 * that must all occur in a passage for the point to occur there ({@link #occursIn}). An {@code answer} point is the
 * gold answer together with the question's entity ("Finn Okafor, Quito"), so its parts are both; an {@code ngram}
 * point's parts are the question's entity and the n-gram (the n-gram alone when the question has no entity); an
 * entity span's only part is its text.
 */
public record KnowledgePoint(String text, String kind, String questionId, List<String> parts) {
    public KnowledgePoint {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) throw new IllegalArgumentException("a knowledge point needs at least one part: " + text);
    }

    public KnowledgePoint(String text, String kind, String questionId) {
        this(text, kind, questionId, List.of(text));
    }

    /** True when every part occurs in {@code text} as a run of whole normalised tokens ({@link TextNorm#containsPhrase}). */
    public boolean occursIn(String text) {
        String padded = TextNorm.padded(text);
        for (String p : parts) if (!TextNorm.containsPhrase(padded, p)) return false;
        return true;
    }
}
