package dev.sculpt.clbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClBenchmarkTest {
    private static final String NEWS_OPTIONS = "\nOption: World, Sports, Science or Technology\nAnswer:";

    @TempDir
    Path dir;
    BenchmarkFixture fx;

    @BeforeEach
    void writeFixture() throws IOException {
        fx = new BenchmarkFixture(dir);
    }

    /** The examples a split file should give: the prompt by plain concatenation, the label as completion. */
    private Set<TextPair> expected(String taskFile, String instruction, String options) {
        Set<TextPair> out = new HashSet<>();
        for (String[] e : fx.written.get(taskFile)) out.add(new TextPair(instruction + e[1].stripTrailing() + options, e[0]));
        return out;
    }

    @Test
    void readsTheLayoutIntoPromptsAndLabels() {
        List<TaskData> tasks = ClBenchmark.load(dir, "news,reviews");
        assertEquals(List.of("news", "reviews"), tasks.stream().map(TaskData::name).toList());
        TaskData news = tasks.get(0);
        assertEquals(expected("news/train.json", BenchmarkFixture.TC_INSTRUCTION, NEWS_OPTIONS), new HashSet<>(news.train()));
        assertEquals(expected("news/test.json", BenchmarkFixture.TC_INSTRUCTION, NEWS_OPTIONS), new HashSet<>(news.test()));
        assertEquals(40, news.train().size());
        assertEquals(25, news.test().size());
        assertTrue(news.notes().isEmpty(), news.notes().toString());

        String[] first = fx.written.get("news/train.json").get(0);
        String literal = "What is the topic of the following paragraph? Choose one from the option.\n" + first[1].stripTrailing()
                + "\nOption: World, Sports, Science or Technology\nAnswer:";
        assertTrue(news.train().contains(new TextPair(literal, first[0])));
    }

    @Test
    void namesAreCaseInsensitiveAndMayNameTheFamily() {
        List<TaskData> a = ClBenchmark.load(dir, " NEWS ", 5, 5, 3);
        List<TaskData> b = ClBenchmark.load(dir, "tc/news", 5, 5, 3);
        assertEquals(a, b);
    }

    @Test
    void aFamilyWithoutInstructionGetsTheBareSentenceAndANote() {
        TaskData puzzle = ClBenchmark.load(dir, "puzzle").get(0);
        assertEquals(expected("puzzle/train.json", "", "\nOption: A, B\nAnswer:"), new HashSet<>(puzzle.train()));
        assertTrue(puzzle.notes().stream().anyMatch(n -> n.contains("no instruction for family COPA")), puzzle.notes().toString());
    }

    @Test
    void capsAreSeededSamplesAndSmallerCapsArePrefixes() {
        TaskData a = ClBenchmark.load(dir, "news", 10, 7, 42).get(0);
        TaskData again = ClBenchmark.load(dir, "news", 10, 7, 42).get(0);
        assertEquals(a, again);
        assertEquals(10, a.train().size());
        assertEquals(7, a.test().size());
        assertEquals(10, new HashSet<>(a.train()).size(), "no example drawn twice");
        assertTrue(expected("news/train.json", BenchmarkFixture.TC_INSTRUCTION, NEWS_OPTIONS).containsAll(a.train()));

        TaskData smaller = ClBenchmark.load(dir, "news", 4, 3, 42).get(0);
        assertEquals(a.train().subList(0, 4), smaller.train());
        assertEquals(a.test().subList(0, 3), smaller.test());

        TaskData otherSeed = ClBenchmark.load(dir, "news", 10, 7, 43).get(0);
        assertNotEquals(a.train(), otherSeed.train());

        // the sample of one task does not depend on which tasks come before it
        TaskData inSequence = ClBenchmark.load(dir, "reviews,news", 10, 7, 42).get(1);
        assertEquals(a, inSequence);
    }

    @Test
    void aCapAboveTheSplitSizeTakesEverythingAndSaysSo() {
        TaskData news = ClBenchmark.load(dir, "news", 1000, 0, 1).get(0);
        assertEquals(40, news.train().size());
        assertTrue(news.notes().stream().anyMatch(n -> n.contains("asked for 1000 train examples, only 40")), news.notes().toString());
    }

    @Test
    void aMissingTestSplitIsAFixedDisjointHoldOutOfTrain() {
        Set<TextPair> all = expected("reviews/train.json", BenchmarkFixture.SC_INSTRUCTION + "\n", "\nOption: very negative, positive\nAnswer:");
        TaskData full = ClBenchmark.load(dir, "reviews", 0, 0, 1).get(0);
        assertEquals(6, full.test().size(), "20% of 30");
        assertEquals(24, full.train().size());
        Set<TextPair> union = new HashSet<>(full.train());
        union.addAll(full.test());
        assertEquals(all, union, "hold-out and training part cover the file");
        Set<TextPair> overlap = new HashSet<>(full.train());
        overlap.retainAll(full.test());
        assertTrue(overlap.isEmpty(), "hold-out disjoint from training data");
        assertTrue(full.notes().stream().anyMatch(n -> n.contains("no test.json") && n.contains("hold-out of train.json")), full.notes().toString());

        // the held-out test set does not move with the run's seed; capped training samples stay outside it
        for (long seed : new long[] {2, 99}) {
            TaskData t = ClBenchmark.load(dir, "reviews", 10, 0, seed).get(0);
            assertEquals(new HashSet<>(full.test()), new HashSet<>(t.test()));
            for (TextPair p : t.train()) assertFalse(t.test().contains(p), "training sample leaks into hold-out: " + p);
        }
    }

    @Test
    void aMissingTrainSplitIsHeldOutOfTest() {
        TaskData mood = ClBenchmark.load(dir, "mood").get(0);
        assertEquals(4, mood.test().size(), "round(0.2 * 21)");
        assertEquals(17, mood.train().size());
        Set<TextPair> overlap = new HashSet<>(mood.train());
        overlap.retainAll(mood.test());
        assertTrue(overlap.isEmpty());
        assertTrue(mood.notes().stream().anyMatch(n -> n.contains("no train.json") && n.contains("hold-out of test.json")), mood.notes().toString());
        assertEquals(mood, ClBenchmark.load(dir, "mood").get(0));
    }

    @Test
    void devStandsInForAMissingTestFile() throws IOException {
        Files.delete(dir.resolve("TC/news/test.json"));
        TaskData news = ClBenchmark.load(dir, "news").get(0);
        assertEquals(expected("news/dev.json", BenchmarkFixture.TC_INSTRUCTION, NEWS_OPTIONS), new HashSet<>(news.test()));
        assertTrue(news.notes().stream().anyMatch(n -> n.contains("dev.json is the test set")));
    }

    @Test
    void multitaskJoinsEveryTasksData() {
        List<TaskData> parts = ClBenchmark.load(dir, "news,reviews", 8, 5, 7);
        List<TaskData> one = ClBenchmark.load(dir, "multitask:news,reviews", 8, 5, 7);
        assertEquals(1, one.size());
        TaskData mt = one.get(0);
        assertEquals("multitask", mt.name());
        assertTrue(mt.notes().stream().anyMatch(n -> n.contains("news, reviews")), mt.notes().toString());
        List<TextPair> train = new ArrayList<>(parts.get(0).train());
        train.addAll(parts.get(1).train());
        assertEquals(new HashSet<>(train), new HashSet<>(mt.train()));
        assertEquals(16, mt.train().size());
        assertNotEquals(train, mt.train(), "training data shuffled together");
        List<TextPair> test = new ArrayList<>(parts.get(0).test());
        test.addAll(parts.get(1).test());
        assertEquals(test, mt.test());
        assertEquals(mt, ClBenchmark.multitask(parts, 7));
    }

    @Test
    void longSentencesCanBeCut() {
        TaskData news = ClBenchmark.load(dir, "news", new BenchmarkOptions(0, 0, 0, 12)).get(0);
        for (TextPair p : news.train()) {
            String sentence = p.prompt().substring(BenchmarkFixture.TC_INSTRUCTION.length(), p.prompt().length() - NEWS_OPTIONS.length());
            assertTrue(sentence.length() <= 12, sentence);
        }
        assertTrue(news.notes().stream().anyMatch(n -> n.contains("to 12 characters")));
    }

    @Test
    void sentencesAreCutToTheLongestPrefixThatFitsTheContext() {
        ContextBudget bytes = new ContextBudget(t -> t.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, 150, 2);
        TaskData full = ClBenchmark.load(dir, "news", 0, 0, 5).get(0);
        TaskData fitted = ClBenchmark.load(dir, "news", new BenchmarkOptions(0, 0, 5, 0), bytes).get(0);
        assertEquals(full.train().size(), fitted.train().size());
        int cut = 0;
        for (int i = 0; i < full.train().size(); i++) {
            TextPair original = full.train().get(i);
            TextPair p = fitted.train().get(i);
            assertEquals(original.completion(), p.completion());
            assertTrue(bytes.fits(p.prompt(), p.completion()), p.prompt());
            String sentence = sentenceOf(p.prompt());
            String originalSentence = sentenceOf(original.prompt());
            assertTrue(originalSentence.startsWith(sentence));
            if (!sentence.equals(originalSentence)) {
                cut++;
                String oneMore = originalSentence.substring(0, sentence.length() + 1);
                String longer = BenchmarkFixture.TC_INSTRUCTION + oneMore + NEWS_OPTIONS;
                assertFalse(bytes.fits(longer, p.completion()), "not the longest prefix: " + sentence);
            }
        }
        assertTrue(cut > 0, "the fixture has sentences longer than the budget");
        final int expectedCut = cut;
        assertTrue(fitted.notes().stream().anyMatch(n -> n.contains("cut " + expectedCut + " of 40 train sentences to fit the model's 150 tokens")),
                fitted.notes().toString());

        ContextBudget tooSmall = new ContextBudget(t -> t.length(), 40, 2);
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news", BenchmarkOptions.all(), tooSmall));
        assertTrue(e.getMessage().contains("40 tokens"), e.getMessage());
    }

    private static String sentenceOf(String newsPrompt) {
        return newsPrompt.substring(BenchmarkFixture.TC_INSTRUCTION.length(), newsPrompt.length() - NEWS_OPTIONS.length());
    }

    @Test
    void publishedOrdersAreKnownByName() {
        assertEquals(List.of("dbpedia", "amazon", "yahoo", "agnews"), ClBenchmark.taskNames("Standard-1"));
        assertEquals(List.of("yahoo", "amazon", "agnews", "dbpedia"), ClBenchmark.taskNames("standard-3"));
        assertEquals(15, ClBenchmark.taskNames("long").size());
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "standard-2"));
        assertTrue(e.getMessage().contains("dbpedia") && e.getMessage().contains("yahoo"), e.getMessage());
    }

    // ---- bad input ----

    @Test
    void unknownTaskNameIsNamed() {
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news,newz"));
        assertTrue(e.getMessage().contains("newz") && e.getMessage().contains("TC/news"), e.getMessage());
    }

    @Test
    void missingLabelsJsonIsNamed() throws IOException {
        Path labels = dir.resolve("SC/reviews/labels.json");
        Files.delete(labels);
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news,reviews"));
        assertTrue(e.getMessage().contains(labels.toString()), e.getMessage());
    }

    @Test
    void labelOutsideLabelsJsonNamesFileAndIndex() throws IOException {
        List<String[]> entries = new ArrayList<>(fx.written.get("news/train.json"));
        entries.set(3, new String[] {"Weather", "Title: odd\nText: one"});
        Path file = dir.resolve("TC/news/train.json");
        BenchmarkFixture.writeSplit(file, entries);
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("entry 3")
                && e.getMessage().contains("Weather"), e.getMessage());
    }

    @Test
    void noGoldLabelEntriesAreSkippedAndCounted() throws IOException {
        List<String[]> entries = new ArrayList<>(fx.written.get("news/test.json"));
        entries.set(0, new String[] {"-", "Title: unsure"});
        entries.set(5, new String[] {"-", "Title: unsure too"});
        BenchmarkFixture.writeSplit(dir.resolve("TC/news/test.json"), entries);
        TaskData news = ClBenchmark.load(dir, "news").get(0);
        assertEquals(23, news.test().size());
        assertTrue(news.notes().stream().anyMatch(n -> n.contains("skipped 2 entries of test.json")), news.notes().toString());
    }

    @Test
    void aTaskWithoutSplitFilesNamesTheMissingFile() {
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news,empty"));
        assertTrue(e.getMessage().contains(dir.resolve("TC/empty/train.json").toString()), e.getMessage());
    }

    @Test
    void missingInstructionConfigIsNamed() throws IOException {
        Files.delete(dir.resolve("instruction_config.json"));
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news"));
        assertTrue(e.getMessage().contains("instruction_config.json"), e.getMessage());
    }

    @Test
    void truncatedOrMalformedSplitIsNamed() throws IOException {
        Path file = dir.resolve("TC/news/train.json");
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.length() / 2));
        SculptException e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news"));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());

        Files.writeString(file, "[{\"label\": \"World\"}]");
        e = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news"));
        assertTrue(e.getMessage().contains("entry 0") && e.getMessage().contains("sentence"), e.getMessage());
    }

    @Test
    void badOrdersAndCapsAreRejected() {
        assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news,,reviews"));
        SculptException twice = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news,NEWS"));
        assertTrue(twice.getMessage().contains("twice"), twice.getMessage());
        assertThrows(SculptException.class, () -> ClBenchmark.load(dir, " "));
        SculptException cap = assertThrows(SculptException.class, () -> ClBenchmark.load(dir, "news", -1, 0, 0));
        assertTrue(cap.getMessage().contains("--train-per-task"), cap.getMessage());
        SculptException noDir = assertThrows(SculptException.class, () -> ClBenchmark.load(dir.resolve("nope"), "news"));
        assertTrue(noDir.getMessage().contains("nope"), noDir.getMessage());
    }
}
