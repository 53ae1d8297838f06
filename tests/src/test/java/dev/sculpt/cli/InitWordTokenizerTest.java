package dev.sculpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.text.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sculpt init --tokenizer words --corpus FILE}: the vocabulary, the saved model, and bad input. */
class InitWordTokenizerTest {
    @TempDir Path dir;

    private static CliRun sculpt(String... args) {
        return CliRun.of(args);
    }

    @Test
    void wordsOfEveryStringFieldAreSingleTokensWithAndWithoutALeadingSpace() throws IOException {
        Path corpus = dir.resolve("corpus.jsonl");
        Files.writeString(corpus, "{\"id\":\"1\",\"title\":\"Finn Okafor\",\"text\":\"Finn Okafor was born in Quito.\"}\n\n"
                + "{\"id\":\"q\",\"question\":\"Finn Okafor works as a\",\"answer\":\"baker\",\"options\":[\"baker\",\"potter\"]}\n");
        Path model = dir.resolve("m");
        CliRun r = sculpt("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--tokenizer", "words", "--corpus", corpus.toString());
        assertEquals(0, r.code(), r.err());
        Tokenizer tok = Models.tokenizer(model);
        assertTrue(tok instanceof WordTokenizer, tok.getClass().toString());
        for (String w : new String[] {" Quito", "Quito", " baker", "baker", " potter", "Finn", " Okafor"}) {
            assertEquals(1, tok.encode(w).length, "'" + w + "' is one token");
        }
        String text = "Question: Finn Okafor was born in\nAnswer: Quito";
        assertEquals(text, tok.decode(tok.encode(text)));
        try (LanguageModel lm = Models.load(model)) {
            assertEquals(tok.vocabSize(), lm.vocabSize());
        }
    }

    @Test
    void badInputIsNamed() throws IOException {
        Path out = dir.resolve("m");
        CliRun r = sculpt("init", "--arch", "llama", "--out", out.toString(), "--tokenizer", "words");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--corpus"), r.err());
        Path noText = dir.resolve("c.jsonl");
        Files.writeString(noText, "{\"id\":\"1\",\"text\":\"Ada Novak\"}\n{\"text\":\"  \",\"n\":2}\n");
        r = sculpt("init", "--arch", "llama", "--out", out.toString(), "--tokenizer", "words", "--corpus", noText.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("c.jsonl:2") && r.err().contains("no text"), r.err());
        r = sculpt("init", "--arch", "llama", "--out", out.toString(), "--corpus", noText.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--corpus is only used with --tokenizer words"), r.err());
        r = sculpt("init", "--arch", "llama", "--out", out.toString(), "--tokenizer", dir.resolve("nowhere").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("neither bytes, words nor a model directory"), r.err());
        assertFalse(Files.exists(out), "nothing written on bad input");
    }
}
