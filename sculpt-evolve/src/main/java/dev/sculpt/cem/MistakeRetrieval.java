package dev.sculpt.cem;

import java.util.List;

/**
 * What retrieval found for a round's mistakes: the de-duplicated passages (each with the points of the mistakes
 * that retrieved it) and how many of the mistakes had, among their retrieved passages, one that contains both the
 * question's entity and the gold answer ({@link PassageRetrieval#supports}).
 */
public record MistakeRetrieval(List<RetrievedPassage> passages, int mistakes, int hits) {
    public MistakeRetrieval {
        passages = List.copyOf(passages);
    }

    /** hits / mistakes, the {@code retrievalHits} of metrics.json; null when there were no mistakes. */
    public Double hitShare() {
        return mistakes == 0 ? null : (double) hits / mistakes;
    }
}
