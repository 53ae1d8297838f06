package dev.sculpt.retention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading a retention file: the bad-input cases and the cut/skip counts. */
class RetentionTest {
    @TempDir Path dir;

    /** One id per character, no BOS: a one-character line is a single token and scores nothing. */
    private static final Tokenizer CHARS = new Tokenizer() {
        @Override public int[] encode(String text) { return text.chars().map(c -> 3 + (c & 0x7f)).toArray(); }
        @Override public String decode(int[] ids) { return ""; }
        @Override public int vocabSize() { return 131; }
        @Override public int bosId() { return -1; }
        @Override public int eosId() { return 2; }
        @Override public int padId() { return 0; }
        @Override public InputTemplate inputTemplate() { return InputTemplate.NONE; }
    };

    @Test
    void missingEmptyAndTooShortFilesAreRejectedNamingTheFile() throws Exception {
        SculptException e = assertThrows(SculptException.class, () -> Retention.load(dir.resolve("nope.txt"), new ByteTokenizer(), 64));
        assertTrue(e.getMessage().contains("nope.txt") && e.getMessage().contains("not found"), e.getMessage());

        Path empty = dir.resolve("empty.txt");
        Files.writeString(empty, "");
        e = assertThrows(SculptException.class, () -> Retention.load(empty, new ByteTokenizer(), 64));
        assertTrue(e.getMessage().contains("empty.txt") && e.getMessage().contains("empty"), e.getMessage());

        Path blank = dir.resolve("blank.txt");
        Files.writeString(blank, "\n  \n\t\n");
        e = assertThrows(SculptException.class, () -> Retention.load(blank, new ByteTokenizer(), 64));
        assertTrue(e.getMessage().contains("blank.txt"), e.getMessage());

        Path shortLines = dir.resolve("short.txt");
        Files.writeString(shortLines, "a\nb\n\nc\n");
        e = assertThrows(SculptException.class, () -> Retention.load(shortLines, CHARS, 64));
        assertTrue(e.getMessage().contains("short.txt") && e.getMessage().contains("at least 2 tokens"), e.getMessage());
        assertEquals("a\nb\n\nc\n", Files.readString(shortLines), "input never modified");
    }

    @Test
    void countsCutAndSkippedLines() throws Exception {
        Path f = dir.resolve("t.txt");
        Files.writeString(f, "a\nabcdefghij\nabc\n\nabcdefghijklmnop\n");
        Retention r = Retention.load(f, CHARS, 8);
        assertEquals(3, r.lines());
        assertEquals(2, r.cut());
        assertEquals(2, r.skipped());
        assertEquals(7 + 2 + 7, r.scoredTokens());
        assertEquals("t.txt", r.name());
        assertTrue(r.describe().contains("lines cut to the model's context (8 tokens): 2;"), r.describe());
    }
}
