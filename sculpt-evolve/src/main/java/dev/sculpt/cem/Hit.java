package dev.sculpt.cem;

/** A passage returned for a query, with the retriever's score (BM25 for Lucene). */
public record Hit(Passage passage, double score) {}
