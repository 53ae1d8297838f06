package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.data.TextPair;
import dev.sculpt.eval.ExampleEncoder;
import dev.sculpt.model.Example;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataBuilderTest {
    @TempDir Path dir;

    private final Passage ansel = new Passage("a", "Ansel", "Ansel lives in Brill. The color of Ansel is teal. Ansel was born in 1802.", "wiki");
    private final Passage cora = new Passage("c", "Cora", "Cora lives in Dune.", "web");
    private final KnowledgePoint pAnsel = new KnowledgePoint("Ansel", "capitalized", "q1");
    private final KnowledgePoint pTeal = new KnowledgePoint("teal", "answer", "q1");
    private final KnowledgePoint pCora = new KnowledgePoint("Cora", "capitalized", "q2");

    private final List<Question> train = List.of(
            Question.shortAnswer("t1", "Where does Ansel live?", "Brill"),
            Question.shortAnswer("t2", "Where does Mira live?", "Ost"),
            Question.shortAnswer("t3", "What is the color of Cora?", "red"),
            Question.shortAnswer("leak", "What is the color of Ansel?", "teal"));
    private final QuestionSet probe = new QuestionSet("probe", List.of(Question.shortAnswer("p1", "What is the  color of ANSEL?", "teal")));

    private DataBuilder builder(DataOptions o) {
        return new DataBuilder(train, List.of(probe), List.of(new TextPair("Say hi.", "hi"), new TextPair("Add 1 and 2.", "3")),
                PromptTemplate.defaults(), o);
    }

    @Test
    void generalItemsAreDealtFromADeckSoEveryItemComesOnceBeforeAnyTwice() {
        List<TextPair> pool = new java.util.ArrayList<>();
        for (int i = 0; i < 7; i++) pool.add(new TextPair("Say " + i + ".", " " + i));
        long seed = new Random().nextLong();
        DataBuilder b = new DataBuilder(train, List.of(probe), pool, PromptTemplate.defaults(),
                new DataOptions(0, false, false, 1, 3, 0.0, seed));
        // 2 passages x 3 = 6 picks from 7: all distinct; 4 passages x 3 = 12: every item once, five of them twice
        List<RetrievedPassage> two = List.of(new RetrievedPassage(ansel, List.of(pAnsel), 1), new RetrievedPassage(cora, List.of(pCora), 1));
        var counts = generalCounts(b.build(1, two, null));
        assertEquals(6, counts.size(), "seed " + seed + ": " + counts);
        List<RetrievedPassage> four = List.of(two.get(0), two.get(1), two.get(0), two.get(1));
        counts = generalCounts(b.build(2, four, null));
        assertEquals(7, counts.size(), "seed " + seed + ": " + counts);
        assertTrue(counts.values().stream().allMatch(c -> c == 1 || c == 2), "seed " + seed + ": " + counts);
        assertEquals(12L, counts.values().stream().mapToLong(Long::longValue).sum());
    }

    private static java.util.Map<String, Long> generalCounts(RoundData d) {
        return d.cit().stream().filter(t -> t.kind().equals(TrainingItem.GENERAL))
                .collect(Collectors.groupingBy(TrainingItem::prompt, Collectors.counting()));
    }

    @Test
    void parallelPairsFromTheSamePassages() {
        DataBuilder b = builder(new DataOptions(1, true, true, 3, 1, 0.0, 5L));
        assertEquals(1, b.droppedTrainQuestions(), "a training question equal to a probe question is dropped");
        assertTrue(b.trainQuestions().stream().noneMatch(q -> q.id().equals("leak")));
        List<RetrievedPassage> rp = List.of(new RetrievedPassage(ansel, List.of(pAnsel, pTeal), 3.0),
                new RetrievedPassage(cora, List.of(pCora), 2.0));
        RoundData d = b.build(1, rp, new ReplayBuffer());
        assertEquals(List.of("wiki:a", "web:c"), d.cpt().stream().map(TrainingItem::passage).toList());
        assertEquals("", d.cpt().get(0).prompt());
        assertEquals("Ansel. " + ansel.text(), d.cpt().get(0).completion());
        // extractive and review items are tied to a CPT passage; normative ones are, when the passage supports them
        for (TrainingItem t : d.cit()) {
            if (t.kind().equals(TrainingItem.EXTRACTIVE) || t.kind().equals(TrainingItem.REVIEW)) {
                assertTrue(List.of("wiki:a", "web:c").contains(t.passage()), t.toString());
            }
        }
        var byKind = d.cit().stream().collect(Collectors.groupingBy(TrainingItem::kind, Collectors.counting()));
        assertEquals(2L, byKind.get(TrainingItem.NORMATIVE));
        assertEquals(3L, byKind.get(TrainingItem.EXTRACTIVE));
        assertEquals(3L, byKind.get(TrainingItem.REVIEW));
        assertEquals(2L, byKind.get(TrainingItem.GENERAL));
        // normative items prefer training questions about the passage and use the task template
        TrainingItem normA = d.cit().stream().filter(t -> t.kind().equals(TrainingItem.NORMATIVE) && t.passage().equals("wiki:a")).findFirst().orElseThrow();
        assertEquals("Question: Where does Ansel live?\nAnswer:", normA.prompt());
        assertEquals(" Brill", normA.completion());
        // Cora's passage supports no training question ("red" is not in it): the format item carries no passage
        assertTrue(d.cit().stream().noneMatch(t -> t.kind().equals(TrainingItem.NORMATIVE) && "web:c".equals(t.passage())));
        assertEquals(1L, d.cit().stream().filter(t -> t.kind().equals(TrainingItem.NORMATIVE) && t.passage() == null).count());
        // no evaluation question ever becomes training data
        for (TrainingItem t : d.all()) assertTrue(!t.prompt().contains("color of Ansel?") && !t.prompt().contains("color of ANSEL"), t.toString());
        TrainingItem ext = d.cit().stream().filter(t -> t.kind().equals(TrainingItem.EXTRACTIVE) && "teal".equals(t.point())).findFirst().orElseThrow();
        assertTrue(ext.prompt().startsWith("Passage: Ansel. Ansel lives in Brill."));
        assertTrue(ext.prompt().endsWith("What does the passage say about teal?\nSentence:"));
        assertEquals(" The color of Ansel is teal.", ext.completion());
        TrainingItem rev = d.cit().stream().filter(t -> t.kind().equals(TrainingItem.REVIEW) && "teal".equals(t.point())).findFirst().orElseThrow();
        assertEquals("What do you know about teal?\nFact:", rev.prompt());
        assertEquals(" The color of Ansel is teal.", rev.completion());
        assertTrue(!rev.prompt().contains("Brill"), "review items do not show the passage");
    }

    @Test
    void sentenceAboutAPoint() {
        assertEquals("Ansel was born in 1802.", DataBuilder.sentenceAbout(ansel.text(), "1802"));
        assertEquals("Ansel lives in Brill.", DataBuilder.sentenceAbout(ansel.text(), "ANSEL"));
        assertEquals("The color of Ansel is teal.", DataBuilder.sentenceAbout(ansel.text(), "colour teal shade"));
    }

    @Test
    void replayShareComesFromEarlierRounds() {
        DataBuilder b = builder(new DataOptions(0, true, false, 1, 0, 0.5, 5L));
        ReplayBuffer replay = new ReplayBuffer();
        RoundData r1 = b.build(1, List.of(new RetrievedPassage(ansel, List.of(pAnsel), 1.0)), replay);
        assertEquals(0, r1.replay().size(), "nothing to replay in round 1");
        replay.add(r1.fresh());
        RoundData r2 = b.build(2, List.of(new RetrievedPassage(cora, List.of(pCora), 1.0)), replay);
        assertEquals(2, r2.fresh().size());
        assertEquals(1, r2.replay().size(), "round(0.5 * 2) = 1");
        assertEquals(1, r2.replay().get(0).round());
        assertTrue(r1.fresh().contains(r2.replay().get(0)));
        assertEquals(2, replay.sample(5, new Random(1)).size());
    }

    @Test
    void writesJsonlAndEncodesExamples() throws IOException {
        DataBuilder b = builder(DataOptions.defaults());
        RoundData d = b.build(1, List.of(new RetrievedPassage(ansel, List.of(pAnsel, pTeal), 1.0)), new ReplayBuffer());
        d.write(dir.resolve("round-01"));
        List<String> cit = Files.readAllLines(dir.resolve("round-01/cit.jsonl"));
        assertEquals(d.cit().size(), cit.size());
        var first = new ObjectMapper().readTree(cit.get(0));
        assertEquals(d.cit().get(0).prompt(), first.get("prompt").asText());
        assertEquals(1, Files.readAllLines(dir.resolve("round-01/cpt.jsonl")).size());
        assertEquals(0, Files.readAllLines(dir.resolve("round-01/replay.jsonl")).size());

        TestBytes tok = new TestBytes();
        Example e = ExampleEncoder.encode(tok, "Hi?", " yo", 64);
        assertTrue(java.util.Arrays.equals(new int[] {256, 'H', 'i', '?'}, e.prompt()));
        assertTrue(java.util.Arrays.equals(new int[] {' ', 'y', 'o', 257}, e.target()));
        Example cut = ExampleEncoder.encode(tok, "abcdefgh", " xy", 8);
        assertTrue(java.util.Arrays.equals(new int[] {256, 'f', 'g', 'h'}, cut.prompt()), "BOS kept, then the prompt's tail");
        assertEquals(4, cut.target().length);
        Example cpt = ExampleEncoder.encode(tok, "", "abc", 64);
        assertTrue(java.util.Arrays.equals(new int[] {256}, cpt.prompt()));
    }
}
