package dev.sculpt.cem;

import java.util.List;

/**
 * Keyword search over a knowledge corpus. {@link LuceneRetriever} is the built-in local BM25 implementation; an
 * OpenSearch or Elasticsearch client can stand in by implementing this interface (a {@code match} query on
 * title and text, mapping hits to passages with their source).
 */
public interface Retriever extends AutoCloseable {
    /** The best {@code k} passages for a free-text query, best first; empty when nothing matches. */
    List<Hit> search(String query, int k);

    @Override
    void close();
}
