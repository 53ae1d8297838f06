package dev.sculpt.cem;

/**
 * A short phrase naming a piece of knowledge a mistake needs, with the rule that found it
 * ({@code answer}, {@code quoted}, {@code capitalized}, {@code number}, {@code ngram}) and the question it came from.
 */
public record KnowledgePoint(String text, String kind, String questionId) {}
