package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.data.TextPair;
import dev.sculpt.io.JsonLines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Grounded items and per-mistake retrieval on passages about people with similar names (Finn Okafor, Finn Tanaka,
 * Ada Okafor...), several of them sharing a birthplace: no item may pair a point with a passage that lacks it, and
 * retrieval must rank the passage with the question's person and gold answer first.
 */
class GroundedRetrievalTest {
    @TempDir Path dir;

    private static final List<String> FIRST = List.of("Finn", "Ada", "Lena");
    private static final List<String> LAST = List.of("Okafor", "Tanaka", "Novak");
    private static final List<String> TOWNS = List.of("Quito", "Lima", "Oslo");
    private static final List<String> JOBS = List.of("baker", "potter", "weaver");

    private record Person(String name, String town, String job) {
        String text() { return name + " was born in " + town + ". " + name + " works as a " + job + ". " + name + " likes tea."; }
    }

    /** Nine people, all first-last combinations; towns and jobs drawn at random, so many share them. */
    private static List<Person> people(Random r) {
        List<Person> out = new ArrayList<>();
        for (String f : FIRST) for (String l : LAST) out.add(new Person(f + " " + l, TOWNS.get(r.nextInt(3)), JOBS.get(r.nextInt(3))));
        return out;
    }

    private static Mistake wrong(Question q) {
        return new Mistake(new Answered(q, "x", ParsedAnswer.none()), Set.of(Mistake.WRONG), Double.NaN, Double.NaN);
    }

    private Path corpus(List<Person> people) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < people.size(); i++) {
            Person p = people.get(i);
            sb.append(JsonLines.MAPPER.writeValueAsString(java.util.Map.of("id", "p" + i, "title", p.name(), "text", p.text()))).append('\n');
        }
        Path f = dir.resolve("wiki.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void everyItemFromAPassageIsTrueOfItAndRetrievalFindsTheSupportingPassage() throws IOException {
        long seed = new Random().nextLong();
        Random r = new Random(seed);
        List<Person> people = people(r);
        List<Mistake> mistakes = new ArrayList<>();
        List<Question> train = new ArrayList<>();
        for (Person p : people) {
            mistakes.add(wrong(Question.shortAnswer("b-" + p.name(), "Where was " + p.name() + " born?", p.town())));
            train.add(Question.shortAnswer("j-" + p.name(), "What is the job of " + p.name() + "?", p.job()));
        }
        KnowledgePoints pointer = new KnowledgePoints(6);
        MistakeRetrieval found;
        try (LuceneRetriever retriever = LuceneRetriever.open(List.of(corpus(people)), dir.resolve("index"))) {
            found = PassageRetrieval.forMistakes(retriever, mistakes, pointer, 2, 100);
            // the first passage for each mistake is its person's own
            for (Mistake m : mistakes) {
                MistakeRetrieval one = PassageRetrieval.forMistakes(retriever, List.of(m), pointer, 1, 100);
                assertEquals(1, one.passages().size());
                assertEquals(m.question().question().replace("Where was ", "").replace(" born?", ""), one.passages().get(0).passage().title(),
                        "seed " + seed);
                assertEquals(1, one.hits());
            }
        }
        assertEquals(people.size(), found.mistakes());
        assertEquals(people.size(), found.hits(), "seed " + seed);
        assertEquals(1.0, found.hitShare());
        // top-2 per mistake: passages come back with points of other people's questions too (similar names)
        assertTrue(found.passages().stream().anyMatch(rp -> rp.points().stream().anyMatch(kp -> !kp.occursIn(rp.passage().fullText()))),
                "seed " + seed + ": the test needs passages retrieved with points they lack");

        DataBuilder builder = new DataBuilder(train, List.of(), List.of(new TextPair("Say hi.", " hi")), PromptTemplate.defaults(),
                new DataOptions(2, true, true, 6, 1, 0.0, seed));
        RoundData data = builder.build(1, found.passages(), null);
        int extractive = 0;
        for (TrainingItem t : data.cit()) {
            if (t.passage() == null) continue;
            Passage p = found.passages().stream().map(RetrievedPassage::passage).filter(x -> x.key().equals(t.passage())).findFirst().orElseThrow();
            Person who = people.stream().filter(x -> x.name().equals(p.title())).findFirst().orElseThrow();
            switch (t.kind()) {
                case TrainingItem.EXTRACTIVE, TrainingItem.REVIEW -> {
                    KnowledgePoint kp = pointOf(found, t, p.fullText());
                    assertTrue(kp.occursIn(p.fullText()), "seed " + seed + ": " + t + " pairs a point with a passage that lacks it");
                    // the answer is the passage's sentence containing the point
                    String sentence = t.completion().trim();
                    assertTrue(TextNorm.sentences(p.text()).contains(sentence), t.toString());
                    assertTrue(kp.occursIn(sentence), "seed " + seed + ": " + t);
                    if (t.kind().equals(TrainingItem.EXTRACTIVE)) extractive++;
                }
                case TrainingItem.NORMATIVE -> {
                    assertTrue(t.prompt().contains(who.name() + "?"), "seed " + seed + ": " + t);
                    assertEquals(" " + who.job(), t.completion(), "seed " + seed + ": " + t);
                }
                default -> throw new AssertionError("unexpected item tied to a passage: " + t);
            }
        }
        // each person's own passage gives at least its name and its answer point
        assertTrue(extractive >= 2 * people.size(), "seed " + seed + ": " + extractive);
    }

    /**
     * The point of the item among those retrieved with its passage: several mistakes may give points of the same
     * text ("born" of every "Where was X born?"), so the one that occurs in the passage when there is one.
     */
    private static KnowledgePoint pointOf(MistakeRetrieval found, TrainingItem t, String passageText) {
        KnowledgePoint any = null;
        for (RetrievedPassage rp : found.passages()) {
            if (!rp.passage().key().equals(t.passage())) continue;
            for (KnowledgePoint kp : rp.points()) {
                if (!kp.text().equals(t.point())) continue;
                if (kp.occursIn(passageText)) return kp;
                any = kp;
            }
        }
        if (any == null) throw new AssertionError("no point " + t.point() + " retrieved with " + t.passage());
        return any;
    }

    @Test
    void theIssuesExampleMakesNoItemAboutTheOtherFinn() {
        Passage okafor = new Passage("1", "Finn Okafor", "Finn Okafor was born in Quito. Finn Okafor works as a baker.", "wiki");
        Question aboutTanaka = Question.shortAnswer("t", "Where was Finn Tanaka born?", "Quito");
        List<KnowledgePoint> points = new KnowledgePoints(6).extract(aboutTanaka);
        DataBuilder b = new DataBuilder(List.of(), List.of(), List.of(), PromptTemplate.defaults(), new DataOptions(0, true, true, 6, 0, 0, 1));
        RoundData d = b.build(1, List.of(new RetrievedPassage(okafor, points, 1.0)), null);
        assertTrue(d.cit().isEmpty(), "Finn Okafor's passage says nothing about Finn Tanaka: " + d.cit());
        assertFalse(PassageRetrieval.supports(okafor, aboutTanaka));
        assertTrue(PassageRetrieval.supports(okafor, Question.shortAnswer("o", "Where was Finn Okafor born?", "Quito")));
        assertFalse(PassageRetrieval.supports(okafor, Question.shortAnswer("o", "Where was Finn Okafor born?", "Quit")),
                "whole tokens only");
    }
}
