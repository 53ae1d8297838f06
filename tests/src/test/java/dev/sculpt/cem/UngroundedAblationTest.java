package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code sculpt evolve --ungrounded} (DataOptions.grounded false, for the ablations of issue 17) restores the item
 * building, knowledge points and retrieval from before grounding, and only then: the issue's own example (a point
 * about Finn Tanaka with Finn Okafor's passage) makes items, the gold answer is a point by itself, and retrieval
 * queries point by point. The people are drawn at random.
 */
class UngroundedAblationTest {
    private static final List<String> FIRST = List.of("Finn", "Ada", "Lena", "Omar", "Ines");
    private static final List<String> LAST = List.of("Okafor", "Tanaka", "Novak", "Silva");
    private static final List<String> TOWNS = List.of("Quito", "Lima", "Oslo", "Porto");

    private static Mistake wrong(Question q) {
        return new Mistake(new Answered(q, "x", ParsedAnswer.none()), Set.of(Mistake.WRONG), Double.NaN, Double.NaN);
    }

    @Test
    void ungroundedItemsPairAPointWithAPassageThatLacksIt() {
        Random r = new Random(System.nanoTime());
        String first = FIRST.get(r.nextInt(FIRST.size()));
        String town = TOWNS.get(r.nextInt(TOWNS.size()));
        String job = List.of("baker", "potter", "weaver").get(r.nextInt(3));
        List<String> lasts = new ArrayList<>(LAST);
        java.util.Collections.shuffle(lasts, r);
        String inPassage = first + " " + lasts.get(0);
        String asked = first + " " + lasts.get(1);
        Passage p = new Passage("1", inPassage, inPassage + " was born in " + town + ". " + inPassage + " works as a " + job + ".", "wiki");
        Question q = Question.shortAnswer("t", "Where was " + asked + " born?", town);

        List<KnowledgePoint> grounded = new KnowledgePoints(6).extract(q);
        List<KnowledgePoint> ungrounded = new KnowledgePoints(6, false).extract(q);
        assertEquals(List.of(asked, town), grounded.get(1).parts(), "grounded: the answer point is tied to the entity");
        assertEquals(town, ungrounded.get(0).text(), "ungrounded: the gold answer alone comes first");
        assertEquals(List.of(town), ungrounded.get(0).parts());
        assertTrue(ungrounded.stream().allMatch(k -> k.parts().size() == 1), "ungrounded points are not anchored: " + ungrounded);

        DataOptions on = new DataOptions(0, true, true, 6, 0, 0, r.nextLong());
        DataBuilder gb = new DataBuilder(List.of(), List.of(), List.of(), PromptTemplate.defaults(), on);
        DataBuilder ub = new DataBuilder(List.of(), List.of(), List.of(), PromptTemplate.defaults(), on.withGrounded(false));
        RoundData g = gb.build(1, List.of(new RetrievedPassage(p, grounded, 1.0)), null);
        RoundData u = ub.build(1, List.of(new RetrievedPassage(p, ungrounded, 1.0)), null);
        assertTrue(g.cit().isEmpty(), "grounded: the passage says nothing about " + asked + ": " + g.cit());
        List<String> points = u.cit().stream().map(TrainingItem::point).toList();
        assertTrue(points.contains(asked), "ungrounded: an item about " + asked + " from " + inPassage + "'s passage: " + points);
        assertTrue(points.contains(town), "ungrounded: the gold answer alone is an item's point: " + points);
        for (TrainingItem t : u.cit()) {
            assertEquals(p.key(), t.passage(), "every item names the passage: " + t);
            assertTrue(p.text().contains(t.completion().trim()), "answers are sentences of the passage: " + t);
        }
        assertFalse(new KnowledgePoint(asked, "capitalized", "t").occursIn(p.fullText()));
    }

    @Test
    void ungroundedRetrievalQueriesEveryPointAlone() {
        Passage a = new Passage("a", "Ada Okafor", "Ada Okafor was born in Lima.", "wiki");
        Passage b = new Passage("b", "Finn Okafor", "Finn Okafor was born in Quito.", "wiki");
        List<String> queries = new ArrayList<>();
        Retriever stub = new Retriever() {
            @Override public List<Hit> search(String query, int k) {
                queries.add(query);
                // ranks the passage naming the query's first word first: per-point retrieval finds Ada for "Ada ..."
                return query.contains("Finn") || query.contains("Quito") ? List.of(new Hit(b, 2), new Hit(a, 1)) : List.of(new Hit(a, 2), new Hit(b, 1));
            }
            @Override public void close() {}
        };
        Question q = Question.shortAnswer("q", "Where was Finn Okafor born?", "Quito");
        KnowledgePoints pointer = new KnowledgePoints(6, false);
        MistakeRetrieval per = PassageRetrieval.perPoint(stub, List.of(wrong(q)), pointer, 1, 8);
        assertEquals(pointer.extract(q).stream().map(KnowledgePoint::text).toList(), queries, "one query per point, each alone");
        assertEquals(1, per.hits(), "Finn Okafor's passage, found by the point Quito, supports the question");
        queries.clear();
        MistakeRetrieval joint = PassageRetrieval.forMistakes(stub, List.of(wrong(q)), new KnowledgePoints(6), 1, 8);
        assertEquals(1, queries.size(), "grounded: one query per mistake");
        assertEquals(1, joint.hits());
    }
}
