package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LuceneRetrieverTest {
    @TempDir Path dir;

    private Path corpus(String name, String... lines) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private static String line(String id, String title, String text) {
        return "{\"id\":\"" + id + "\",\"title\":\"" + title + "\",\"text\":\"" + text + "\"}";
    }

    @Test
    void bm25RanksBuildsOnceAndRebuildsOnChange() throws IOException {
        Path wiki = corpus("wiki.jsonl",
                line("w1", "Zorvath", "Zorvath is a town. The home of Zorvath is Quill."),
                line("w2", "Quill", "Quill is a river city with many bridges."),
                line("w3", "Mardel", "Mardel keeps bees. Mardel likes amber."));
        Path web = corpus("web.jsonl", line("x1", "Bees", "Bees make honey; Mardel sells it."));
        Path index = dir.resolve("index");
        try (LuceneRetriever r = LuceneRetriever.open(List.of(wiki, web), index)) {
            assertTrue(r.rebuilt());
            assertEquals(4, r.size());
            List<Hit> hits = r.search("Zorvath", 5);
            assertEquals(1, hits.size());
            assertEquals("wiki:w1", hits.get(0).passage().key());
            assertEquals("wiki", hits.get(0).passage().source());
            assertEquals("Zorvath", hits.get(0).passage().title());

            List<Hit> mardel = r.search("Mardel", 5);
            assertEquals(2, mardel.size());
            // title match (boost 2) and two mentions beat one mention in a web passage
            assertEquals("wiki:w3", mardel.get(0).passage().key());
            assertEquals("web:x1", mardel.get(1).passage().key());
            assertTrue(mardel.get(0).score() > mardel.get(1).score());
            // stemming: "bridge" finds "bridges"
            assertEquals("wiki:w2", r.search("bridge", 3).get(0).passage().key());
            assertEquals(1, r.search("Mardel", 1).size());
            assertTrue(r.search("the of and", 3).isEmpty(), "stop words only");
            assertTrue(r.search("unrelated words", 3).isEmpty());
        }
        try (LuceneRetriever r = LuceneRetriever.open(List.of(wiki, web), index)) {
            assertFalse(r.rebuilt(), "same corpus: the index on disk is reused");
            assertEquals(4, r.size());
        }
        Files.writeString(web, line("x1", "Bees", "Bees make honey.") + "\n" + line("x2", "Zorvath news", "Zorvath opened a mill.") + "\n");
        try (LuceneRetriever r = LuceneRetriever.open(List.of(wiki, web), index)) {
            assertTrue(r.rebuilt(), "changed corpus: rebuilt");
            assertEquals(5, r.size());
            assertEquals(2, r.search("Zorvath", 5).size());
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".building-")), "no temporary index left");
        }
    }

    @Test
    void topKPerPointDeduplicatedWithAllPoints() throws IOException {
        Path wiki = corpus("wiki.jsonl",
                line("a", "Ansel", "Ansel lives in Brill. Ansel likes tea."),
                line("b", "Brill", "Brill is a port where Ansel works."),
                line("c", "Cora", "Cora lives in Dune."));
        try (LuceneRetriever r = LuceneRetriever.open(List.of(wiki), dir.resolve("idx"))) {
            List<KnowledgePoint> points = List.of(new KnowledgePoint("Ansel", "capitalized", "q1"),
                    new KnowledgePoint("Brill", "answer", "q1"), new KnowledgePoint("Cora", "capitalized", "q2"));
            List<RetrievedPassage> got = PassageRetrieval.retrieve(r, points, 2, 10);
            assertEquals(List.of("wiki:a", "wiki:b", "wiki:c"), got.stream().map(x -> x.passage().key()).toList());
            assertEquals(List.of("Ansel", "Brill"), got.get(0).points().stream().map(KnowledgePoint::text).toList());
            assertEquals(List.of("Ansel", "Brill"), got.get(1).points().stream().map(KnowledgePoint::text).toList());
            assertEquals(2, PassageRetrieval.retrieve(r, points, 2, 2).size(), "capped at maxPassages");
        }
    }

    @Test
    void badCorpora() throws IOException {
        Path empty = corpus("empty.jsonl", "");
        String m = assertThrows(SculptException.class, () -> LuceneRetriever.open(List.of(empty), dir.resolve("i1"))).getMessage();
        assertTrue(m.contains("empty.jsonl") && m.contains("empty"), m);
        assertFalse(Files.exists(dir.resolve("i1")), "no index left after a failed build");
        Path bad = corpus("bad.jsonl", line("a", "A", "alpha"), "{\"id\":\"b\",\"title\":\"B\"}");
        m = assertThrows(SculptException.class, () -> LuceneRetriever.open(List.of(bad), dir.resolve("i2"))).getMessage();
        assertTrue(m.contains("bad.jsonl:2") && m.contains("\"text\""), m);
        Path dup = corpus("dup.jsonl", line("a", "A", "alpha"), line("a", "A", "beta"));
        m = assertThrows(SculptException.class, () -> LuceneRetriever.open(List.of(dup), dir.resolve("i3"))).getMessage();
        assertTrue(m.contains("dup.jsonl:2") && m.contains("duplicate"), m);
        m = assertThrows(SculptException.class, () -> LuceneRetriever.open(List.of(dir.resolve("none.jsonl")), dir.resolve("i4"))).getMessage();
        assertTrue(m.contains("none.jsonl") && m.contains("no such file"), m);
    }
}
