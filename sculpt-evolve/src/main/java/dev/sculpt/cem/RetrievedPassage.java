package dev.sculpt.cem;

import java.util.List;

/** A passage retrieved for one or more knowledge points (in retrieval order) and its best score. */
public record RetrievedPassage(Passage passage, List<KnowledgePoint> points, double bestScore) {
    public RetrievedPassage {
        points = List.copyOf(points);
    }
}
