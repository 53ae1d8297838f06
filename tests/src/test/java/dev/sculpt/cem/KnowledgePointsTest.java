package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KnowledgePointsTest {
    private static Map<String, String> points(Question q, int max) {
        return new KnowledgePoints(max).extract(q).stream()
                .collect(Collectors.toMap(KnowledgePoint::text, KnowledgePoint::kind, (a, b) -> a, java.util.LinkedHashMap::new));
    }

    private static List<String> kinds(Question q) {
        return new KnowledgePoints(20).extract(q).stream().map(KnowledgePoint::kind).toList();
    }

    /** No n-gram point contains a capitalised word of the question or a stop word. */
    private static void ngramsAreLowerCaseContentWords(Question q) {
        Set<String> names = KnowledgePoints.entitySpans(q.question()).stream()
                .flatMap(s -> TextNorm.words(s).stream()).collect(Collectors.toSet());
        for (KnowledgePoint p : new KnowledgePoints(20).extract(q)) {
            if (!p.kind().equals("ngram")) continue;
            for (String w : p.text().split(" ")) {
                assertFalse(names.contains(w), q.question() + ": n-gram '" + p.text() + "' joins an entity word");
                assertFalse(TextNorm.STOP_WORDS.contains(w), q.question() + ": n-gram '" + p.text() + "' holds a stop word");
            }
        }
    }

    @Test
    void personBirthplace() {
        Question q = Question.shortAnswer("q", "Where was Finn Okafor born?", "Quito");
        Map<String, String> p = points(q, 20);
        assertEquals(List.of("Finn Okafor", "Finn Okafor, Quito", "born"), List.copyOf(p.keySet()));
        assertEquals(List.of("capitalized", "answer", "ngram"), List.copyOf(p.values()));
        KnowledgePoint answer = new KnowledgePoints(20).extract(q).get(1);
        assertEquals(List.of("Finn Okafor", "Quito"), answer.parts(), "the gold answer only together with the entity");
        assertFalse(p.containsKey("Quito"), "the gold answer alone is no point");
        assertEquals(List.of("Finn Okafor", "born"), new KnowledgePoints(20).extract(q).get(2).parts(), "n-grams are anchored to the entity");
        assertFalse(p.keySet().stream().anyMatch(t -> t.toLowerCase().contains("okafor born")), p.toString());
        ngramsAreLowerCaseContentWords(q);
    }

    @Test
    void personJobWithPossessive() {
        Question q = Question.shortAnswer("q", "What is Ada Novak's job?", "potter");
        Map<String, String> p = points(q, 20);
        assertEquals("capitalized", p.get("Ada Novak's"));
        assertEquals("answer", p.get("Ada Novak's, potter"));
        assertEquals("ngram", p.get("job"));
        assertEquals(3, p.size(), p.toString());
        ngramsAreLowerCaseContentWords(q);
        // the possessive matches the name in a passage: normalisation drops the apostrophe, not the s; so the
        // answer point occurs only where the passage uses the same form
        KnowledgePoint a = new KnowledgePoints(20).extract(q).get(1);
        assertTrue(a.occursIn("Ada Novak's job: potter."));
    }

    @Test
    void placeQuestionWithMultiWordNames() {
        Question q = Question.shortAnswer("q", "Which river flows through the city of Nova Tarn?", "Silver Brook");
        Map<String, String> p = points(q, 20);
        assertEquals("capitalized", p.get("Nova Tarn"));
        assertEquals("answer", p.get("Nova Tarn, Silver Brook"));
        assertEquals("ngram", p.get("river flows"));
        assertEquals("ngram", p.get("city"));
        assertFalse(p.containsKey("river") || p.containsKey("flows"), "covered by the bigram: " + p);
        assertFalse(p.containsKey("Which"), p.toString());
        ngramsAreLowerCaseContentWords(q);
    }

    @Test
    void dateQuestionsKeepNamesAndNumbers() {
        Question q = Question.shortAnswer("q", "In which year was the Treaty of Verdun signed?", "843");
        Map<String, String> p = points(q, 20);
        assertEquals("capitalized", p.get("Treaty of Verdun"), p.toString());
        assertEquals("answer", p.get("Treaty of Verdun, 843"));
        assertEquals(Set.of("year", "signed"), p.entrySet().stream().filter(e -> e.getValue().equals("ngram")).map(Map.Entry::getKey)
                .collect(Collectors.toSet()), "'year' and 'signed' are split by the name, never 'year treaty' or 'verdun signed'");
        Question born = Question.shortAnswer("d", "Who was born in Lisbon on 12 May 1901?", "Rosa Vidal");
        Map<String, String> b = points(born, 20);
        assertEquals(List.of("Lisbon", "12 May 1901", "Lisbon, Rosa Vidal", "born"), List.copyOf(b.keySet()));
        assertEquals("date", b.get("12 May 1901"));
        Question since = Question.shortAnswer("s", "How many people lived in Port Ellis on March 3, 1850, and in 1900?", "412");
        Map<String, String> s = points(since, 20);
        assertEquals(List.of("Port Ellis", "March 3, 1850", "1900", "Port Ellis, 412", "many people", "people lived"), List.copyOf(s.keySet()));
        assertEquals("number", s.get("1900"));
        ngramsAreLowerCaseContentWords(born);
    }

    @Test
    void quotedTitlesComeFirstAndAreNotSplitIntoCapitalisedSpans() {
        Question q = Question.shortAnswer("q", "Who wrote the novel \"The Silent River\" in 1952?", "Mara Voss");
        Map<String, String> p = points(q, 20);
        assertEquals(List.of("The Silent River", "1952", "The Silent River, Mara Voss", "wrote", "novel"), List.copyOf(p.keySet()));
        assertEquals("quoted", p.get("The Silent River"));
        assertFalse(p.containsKey("Silent River"), "no capitalised copy of the quoted title");
        Question curly = Question.shortAnswer("c", "Which band recorded \u201CBlue Harbour Nights\u201D?", "The Lanterns");
        assertEquals("quoted", points(curly, 20).get("Blue Harbour Nights"));
        assertEquals(List.of("Blue Harbour Nights", "Blue Harbour Nights, The Lanterns"), List.copyOf(points(curly, 2).keySet()));
        ngramsAreLowerCaseContentWords(q);
    }

    @Test
    void noEntityNoAnswerPoint() {
        Question q = Question.shortAnswer("q", "which metal melts at the lowest temperature?", "mercury");
        assertEquals(List.of("ngram", "ngram"), kinds(q), points(q, 20).toString());
        assertNull(KnowledgePoints.entity(q));
        assertFalse(points(q, 20).containsKey("mercury"));
    }

    @Test
    void multipleChoiceUsesTheGoldOptionAndTheCapKeepsTheAnswer() {
        Question q = new Question("m", "Which river flows through Vienna?", List.of("Rhine", "Danube"), "Danube", 1, "x");
        Map<String, String> p = points(q, 20);
        assertEquals("answer", p.get("Vienna, Danube"));
        assertFalse(p.keySet().stream().anyMatch(t -> t.contains("Rhine")), p.toString());
        assertEquals(List.of("Vienna", "Vienna, Danube"), List.copyOf(points(q, 2).keySet()));
        // more entity spans than the cap: the answer point takes the last place
        Question many = Question.shortAnswer("x", "Did Ann Lee, Bo Ray and Cy Tam meet in Oslo?", "yes");
        List<KnowledgePoint> capped = new KnowledgePoints(3).extract(many);
        assertEquals(List.of("Ann Lee", "Bo Ray and Cy Tam", "Ann Lee, yes"), capped.stream().map(KnowledgePoint::text).toList());
    }

    @Test
    void deduplicatedAcrossMistakes() {
        Question a = Question.shortAnswer("a", "What is the home of Zorvath?", "Quill");
        Question b = Question.shortAnswer("b", "What is the color of Zorvath?", "amber");
        List<Mistake> ms = List.of(
                new Mistake(new Answered(a, "x", ParsedAnswer.none()), java.util.Set.of(Mistake.WRONG), Double.NaN, Double.NaN),
                new Mistake(new Answered(b, "x", ParsedAnswer.none()), java.util.Set.of(Mistake.WRONG), Double.NaN, Double.NaN));
        List<String> texts = new KnowledgePoints(10).extractAll(ms).stream().map(KnowledgePoint::text).toList();
        assertEquals(List.of("Zorvath", "Zorvath, Quill", "home", "Zorvath, amber", "color"), texts);
    }
}
