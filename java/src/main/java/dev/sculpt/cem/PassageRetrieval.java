package dev.sculpt.cem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Top-k passages per knowledge point, de-duplicated across points by source and id (a passage found by several
 * points keeps all of them), in first-found order, capped at {@code maxPassages}.
 */
public final class PassageRetrieval {
    private PassageRetrieval() {}

    public static List<RetrievedPassage> retrieve(Retriever retriever, List<KnowledgePoint> points, int topK, int maxPassages) {
        Map<String, Passage> passages = new LinkedHashMap<>();
        Map<String, List<KnowledgePoint>> byKey = new LinkedHashMap<>();
        Map<String, Double> best = new LinkedHashMap<>();
        for (KnowledgePoint p : points) {
            for (Hit h : retriever.search(p.text(), topK)) {
                String key = h.passage().key();
                if (!passages.containsKey(key)) {
                    if (passages.size() >= maxPassages) continue;
                    passages.put(key, h.passage());
                    byKey.put(key, new ArrayList<>());
                    best.put(key, h.score());
                }
                byKey.get(key).add(p);
                best.merge(key, h.score(), Math::max);
            }
        }
        List<RetrievedPassage> out = new ArrayList<>();
        for (var e : passages.entrySet()) {
            out.add(new RetrievedPassage(e.getValue(), byKey.get(e.getKey()), best.get(e.getKey())));
        }
        return out;
    }
}
