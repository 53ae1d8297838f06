package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuestionSetTest {
    @TempDir Path dir;

    private Path file(String content) throws IOException {
        Path f = dir.resolve("q.jsonl");
        Files.writeString(f, content);
        return f;
    }

    @Test
    void readsBothFormats() throws IOException {
        Path f = file("{\"id\":\"a\",\"question\":\"Q1?\",\"options\":[\"x\",\"y\",\"z\"],\"answer\":\"z\"}\n\n"
                + "{\"id\":\"b\",\"question\":\"Q2?\",\"answer\":\"Paris\"}\n"
                + "{\"id\":\"c\",\"question\":\"Q3?\",\"options\":[\"x\",\"y\"],\"answer\":\"b\"}\n");
        QuestionSet s = QuestionSet.load("probe", f);
        assertEquals(3, s.size());
        assertEquals(2, s.questions().get(0).answerIndex());
        assertTrue(s.questions().get(0).isMultipleChoice());
        assertEquals(-1, s.questions().get(1).answerIndex());
        assertEquals(1, s.questions().get(2).answerIndex(), "a letter answer names its option");
        assertEquals(f + ":4", s.questions().get(2).origin());
    }

    @Test
    void clozeQuestionsAreTheirOwnPrompt() throws IOException {
        Path f = file("{\"id\":\"a\",\"question\":\"Finn Okafor was born in\",\"answer\":\"Quito\",\"cloze\":true}\n"
                + "{\"id\":\"b\",\"question\":\"Where was Finn Okafor born?\",\"answer\":\"Quito\",\"cloze\":false}\n");
        QuestionSet s = QuestionSet.load("probe", f);
        PromptTemplate t = PromptTemplate.defaults();
        assertTrue(s.questions().get(0).cloze());
        assertEquals("Finn Okafor was born in", t.render(s.questions().get(0)));
        assertEquals(" Quito", t.completion(s.questions().get(0)));
        assertEquals("Question: Where was Finn Okafor born?\nAnswer:", t.render(s.questions().get(1)));
        String m = error("{\"id\":\"a\",\"question\":\"Q\",\"answer\":\"x\",\"cloze\":\"yes\"}\n");
        assertTrue(m.contains("q.jsonl:1") && m.contains("cloze"), m);
        m = error("{\"id\":\"a\",\"question\":\"Q\",\"options\":[\"x\",\"y\"],\"answer\":\"x\",\"cloze\":true}\n");
        assertTrue(m.contains("q.jsonl:1") && m.contains("cloze question cannot have options"), m);
    }

    private String error(String content) throws IOException {
        Path f = file(content);
        return assertThrows(SculptException.class, () -> QuestionSet.load("probe", f)).getMessage();
    }

    @Test
    void badLinesNameFileAndLine() throws IOException {
        String ok = "{\"id\":\"a\",\"question\":\"Q?\",\"answer\":\"x\"}\n";
        String m = error(ok + ok.replace("\"a\"", "\"b\"") + "{\"id\": \"c\", \"question\": \n");
        assertTrue(m.contains("q.jsonl:3") && m.contains("malformed JSON"), m);
        m = error(ok + "{\"id\":\"b\",\"answer\":\"x\"}\n");
        assertTrue(m.contains("q.jsonl:2") && m.contains("\"question\""), m);
        m = error(ok + "[1,2]\n");
        assertTrue(m.contains("q.jsonl:2"), m);
        m = error(ok + ok);
        assertTrue(m.contains("q.jsonl:2") && m.contains("duplicate id"), m);
        m = error("\n\n{\"id\":\"a\",\"question\":\"Q?\",\"options\":\"x\",\"answer\":\"x\"}\n");
        assertTrue(m.contains("q.jsonl:3") && m.contains("options"), m);
    }

    @Test
    void answerMissingFromOptionsIsAnError() throws IOException {
        String m = error("{\"id\":\"a\",\"question\":\"Q?\",\"options\":[\"Berlin\",\"Paris\"],\"answer\":\"Rome\"}\n");
        assertTrue(m.contains("q.jsonl:1") && m.contains("\"Rome\" is not one of its options"), m);
        m = error("{\"id\":\"a\",\"question\":\"Q?\",\"options\":[\"Berlin\",\"Paris\"],\"answer\":\"C\"}\n");
        assertTrue(m.contains("is not one of its options"), m);
    }

    @Test
    void emptyAndMissingFiles() throws IOException {
        assertTrue(error("\n\n").contains("no questions"));
        String m = assertThrows(SculptException.class, () -> QuestionSet.load("p", dir.resolve("nope.jsonl"))).getMessage();
        assertTrue(m.contains("nope.jsonl") && m.contains("no such file"), m);
    }

    @Test
    void templatesRenderAndValidate() {
        Question q = new Question("a", "Capital?", java.util.List.of("Berlin", "Paris"), "Paris", 1, "x");
        PromptTemplate t = PromptTemplate.defaults();
        assertEquals("Question: Capital?\nA. Berlin\nB. Paris\nAnswer:", t.render(q));
        assertEquals(" B. Paris", t.completion(q));
        assertEquals("Q: Who?\nA:", new PromptTemplate("{question}{options}", "Q: {question}\nA:").render(Question.shortAnswer("s", "Who?", "me")));
        assertThrows(SculptException.class, () -> new PromptTemplate("{question}", "{question}"));
        assertThrows(SculptException.class, () -> new PromptTemplate("{question}{options}", "no placeholder"));
    }
}
