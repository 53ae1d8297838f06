package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KnowledgePointsTest {
    private static Map<String, String> points(Question q, int max) {
        return new KnowledgePoints(max).extract(q).stream()
                .collect(Collectors.toMap(KnowledgePoint::text, KnowledgePoint::kind, (a, b) -> a, java.util.LinkedHashMap::new));
    }

    @Test
    void allRuleKinds() {
        Question q = Question.shortAnswer("q", "In which year did the Bank of England issue the \"Great Note\" worth 1,000 pounds?", "1694");
        Map<String, String> p = points(q, 20);
        assertEquals("answer", p.get("1694"));
        assertEquals("quoted", p.get("Great Note"));
        assertEquals("capitalized", p.get("Bank of England"));
        assertEquals("number", p.get("1,000"));
        assertEquals("ngram", p.get("note worth"));
        assertEquals("ngram", p.get("year"));
        assertEquals("ngram", p.get("pounds"));
        assertEquals("ngram", p.get("england issue"));
        assertTrue(!p.containsKey("issue"), "covered by the bigram");
        // "In" (a capitalised stop word) does not make a span; stop words never make n-grams
        assertTrue(!p.containsKey("In") && !p.containsKey("which") && !p.containsKey("the"), p.toString());
        // "bank" is covered by "Bank of England" and "great" by "Great Note"
        assertTrue(!p.containsKey("bank") && !p.containsKey("great"), p.toString());
        assertEquals("1694", p.keySet().iterator().next(), "the answer comes first");
    }

    @Test
    void multipleChoiceUsesTheGoldOptionAndCaps() {
        Question q = new Question("m", "Which river flows through Vienna?", List.of("Rhine", "Danube"), "Danube", 1, "x");
        Map<String, String> p = points(q, 20);
        assertEquals("answer", p.get("Danube"));
        assertEquals("capitalized", p.get("Vienna"));
        assertTrue(!p.containsKey("Which") && !p.containsKey("Rhine"), p.toString());
        assertEquals(2, points(q, 2).size());
    }

    @Test
    void deduplicatedAcrossMistakes() {
        Question a = Question.shortAnswer("a", "What is the home of Zorvath?", "Quill");
        Question b = Question.shortAnswer("b", "What is the color of Zorvath?", "amber");
        List<Mistake> ms = List.of(
                new Mistake(new Answered(a, "x", ParsedAnswer.none()), java.util.Set.of(Mistake.WRONG), Double.NaN, Double.NaN),
                new Mistake(new Answered(b, "x", ParsedAnswer.none()), java.util.Set.of(Mistake.WRONG), Double.NaN, Double.NaN));
        List<String> texts = new KnowledgePoints(10).extractAll(ms).stream().map(KnowledgePoint::text).toList();
        assertEquals(1, texts.stream().filter(t -> t.equals("Zorvath")).count(), texts.toString());
        assertTrue(texts.containsAll(List.of("Quill", "amber", "home", "color")), texts.toString());
    }
}
