package dev.sculpt.cem;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Passage retrieval for knowledge points.
 *
 * <p>{@link #forMistakes} (what the loop uses) makes one query per mistake from all its points together (the
 * question's entity spans, the gold answer, the n-grams), takes a wider candidate list from the retriever and
 * ranks first the candidates that contain both the question's entity and the gold answer ({@link #supports}),
 * keeping the retriever's order otherwise; the best {@code topK} are kept. Passages are de-duplicated across
 * mistakes by source and id (a passage found by several mistakes keeps all their points), in first-found order,
 * capped at {@code maxPassages}.
 *
 * <p>{@link #retrieve} is the per-point variant: top-k per point, de-duplicated the same way.
 */
public final class PassageRetrieval {
    /** Candidates fetched per mistake before re-ranking, as a multiple of top-k (at least {@link #MIN_CANDIDATES}). */
    static final int CANDIDATE_FACTOR = 4;
    static final int MIN_CANDIDATES = 16;

    private PassageRetrieval() {}

    public static MistakeRetrieval forMistakes(Retriever retriever, List<Mistake> mistakes, KnowledgePoints pointer,
                                               int topK, int maxPassages) {
        Collected collected = new Collected(maxPassages);
        int hits = 0;
        for (Mistake m : mistakes) {
            Question q = m.question();
            List<KnowledgePoint> points = pointer.extract(q);
            if (points.isEmpty()) continue;
            List<Hit> candidates = retriever.search(query(points), Math.max(MIN_CANDIDATES, CANDIDATE_FACTOR * topK));
            List<Hit> ranked = new ArrayList<>();
            for (Hit h : candidates) if (supports(h.passage(), q)) ranked.add(h);
            for (Hit h : candidates) if (!supports(h.passage(), q)) ranked.add(h);
            boolean hit = false;
            for (Hit h : ranked.subList(0, Math.min(topK, ranked.size()))) {
                if (collected.add(h, points)) hit |= supports(h.passage(), q);
            }
            if (hit) hits++;
        }
        return new MistakeRetrieval(collected.list(), mistakes.size(), hits);
    }

    /**
     * True when the passage (title and text) contains the question's entity ({@link KnowledgePoints#entity}) and
     * its gold answer, both matched on normalised tokens; for a question without an entity span, the gold answer.
     */
    public static boolean supports(Passage p, Question q) {
        String text = TextNorm.padded(p.fullText());
        String entity = KnowledgePoints.entity(q);
        return TextNorm.containsPhrase(text, q.goldText()) && (entity == null || TextNorm.containsPhrase(text, entity));
    }

    /** Every distinct part of the points, in order, as one free-text query. */
    static String query(List<KnowledgePoint> points) {
        Set<String> parts = new LinkedHashSet<>();
        for (KnowledgePoint p : points) parts.addAll(p.parts());
        return String.join(" ", parts);
    }

    /**
     * Ungrounded retrieval (ablation only, as before issue 17): {@link #retrieve} per point over the round's points,
     * no re-ranking. A mistake counts as a hit when a passage retrieved by one of its own points
     * ({@code pointer.extract}, matched by point text) {@link #supports} it, so that retrievalHits compares with
     * {@link #forMistakes}.
     */
    public static MistakeRetrieval perPoint(Retriever retriever, List<Mistake> mistakes, KnowledgePoints pointer,
                                            int topK, int maxPassages) {
        List<RetrievedPassage> passages = retrieve(retriever, pointer.extractAll(mistakes), topK, maxPassages);
        int hits = 0;
        for (Mistake m : mistakes) {
            Set<String> own = new java.util.HashSet<>();
            for (KnowledgePoint p : pointer.extract(m.question())) own.add(p.text().toLowerCase(java.util.Locale.ROOT));
            for (RetrievedPassage rp : passages) {
                boolean mine = rp.points().stream().anyMatch(p -> own.contains(p.text().toLowerCase(java.util.Locale.ROOT)));
                if (mine && supports(rp.passage(), m.question())) {
                    hits++;
                    break;
                }
            }
        }
        return new MistakeRetrieval(passages, mistakes.size(), hits);
    }

    public static List<RetrievedPassage> retrieve(Retriever retriever, List<KnowledgePoint> points, int topK, int maxPassages) {
        Collected collected = new Collected(maxPassages);
        for (KnowledgePoint p : points) {
            for (Hit h : retriever.search(p.text(), topK)) collected.add(h, List.of(p));
        }
        return collected.list();
    }

    /**
     * Retrieved passages, deduplicated by key in first-seen order, each with the points that found it and its best
     * score; at most {@code maxPassages}.
     */
    private static final class Collected {
        private final int maxPassages;
        private final Map<String, Passage> passages = new LinkedHashMap<>();
        private final Map<String, Set<KnowledgePoint>> points = new LinkedHashMap<>();
        private final Map<String, Double> best = new LinkedHashMap<>();

        Collected(int maxPassages) {
            this.maxPassages = maxPassages;
        }

        /** Records a hit found by {@code by}; false when it is a new passage beyond the limit (then nothing is kept). */
        boolean add(Hit h, List<KnowledgePoint> by) {
            String key = h.passage().key();
            if (!passages.containsKey(key)) {
                if (passages.size() >= maxPassages) return false;
                passages.put(key, h.passage());
                points.put(key, new LinkedHashSet<>());
                best.put(key, h.score());
            }
            points.get(key).addAll(by);
            best.merge(key, h.score(), Math::max);
            return true;
        }

        List<RetrievedPassage> list() {
            List<RetrievedPassage> out = new ArrayList<>();
            for (var e : passages.entrySet()) {
                out.add(new RetrievedPassage(e.getValue(), new ArrayList<>(points.get(e.getKey())), best.get(e.getKey())));
            }
            return out;
        }
    }
}
