package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.demo.KnowledgeWorld;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnowledgeWorldTest {
    @TempDir Path dir;

    @Test
    void deterministicAndSplitsAreDisjoint() {
        KnowledgeWorld a = KnowledgeWorld.generate(5, 6, 8, 3);
        KnowledgeWorld b = KnowledgeWorld.generate(5, 6, 8, 3);
        assertEquals(a.corpus(), b.corpus());
        assertEquals(a.probe(), b.probe());
        assertEquals(17, a.corpus().size());
        assertEquals(12, a.probe().size());
        assertEquals(12, a.heldout().size());
        assertEquals(32, a.ood().size());
        Set<String> names = new HashSet<>();
        for (Passage p : a.corpus()) assertTrue(names.add(p.title()), "unique names");
        // held-out questions ask other facts of the probe people's passages, and those facts are in the passages
        for (Question q : a.heldout().questions()) {
            String name = q.question().replaceAll(".* of (\\w+) is$", "$1");
            Passage p = a.corpus().stream().filter(x -> x.title().equals(name)).findFirst().orElseThrow();
            assertTrue(p.text().contains(" of " + name + " is " + q.answer() + "."), p.text());
        }
        Set<String> eval = new HashSet<>();
        for (QuestionSet s : List.of(a.probe(), a.heldout(), a.ood())) for (Question q : s.questions()) eval.add(q.question());
        for (Question q : a.trainQuestions()) assertTrue(!eval.contains(q.question()), "training split is disjoint: " + q);
        // ood facts are exactly what pre-training teaches
        Set<String> pre = new HashSet<>();
        for (Question q : a.pretrainQuestions()) pre.add(q.question() + "=" + q.answer());
        for (Question q : a.ood().questions()) assertTrue(pre.contains(q.question() + "=" + q.answer()));
        for (Question q : a.probe().questions()) assertTrue(pre.stream().noneMatch(x -> x.startsWith(q.question())));
    }

    @Test
    void corpusFilesIndexAndFindThePeople() {
        KnowledgeWorld w = KnowledgeWorld.generate(9, 4, 4, 2);
        List<Path> files = w.writeCorpus(dir);
        try (LuceneRetriever r = LuceneRetriever.open(files, dir.resolve("index"))) {
            assertEquals(10, r.size());
            for (KnowledgeWorld.Person p : w.loopPeople()) {
                Hit h = r.search(p.name(), 1).get(0);
                assertEquals(p.name(), h.passage().title());
            }
        }
    }
}
