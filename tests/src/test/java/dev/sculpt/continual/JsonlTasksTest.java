package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.data.TextPair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonlTasksTest {
    @TempDir Path dir;

    @Test
    void readsBothLayoutsAndSkipsBlankLines() throws Exception {
        Path f = dir.resolve("mix.jsonl");
        Files.writeString(f, "{\"prompt\":\"2+2=\",\"completion\":\"4\"}\n\n"
                + "{\"instruction\":\"Reverse\",\"input\":\"abc\",\"output\":\"cba\"}\n"
                + "{\"instruction\":\"Say hi\",\"output\":\"hi\"}\n");
        List<TextPair> p = JsonlTasks.read(f);
        assertEquals(List.of(new TextPair("2+2=", "4"), new TextPair("Reverse\nabc", "cba"), new TextPair("Say hi", "hi")), p);
        assertEquals("mix", JsonlTasks.taskName(f));
    }

    @Test
    void malformedLinesNameFileAndLine() throws Exception {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\": \"a\", \n");
        SculptException e = assertThrows(SculptException.class, () -> JsonlTasks.read(f));
        assertTrue(e.getMessage().contains("bad.jsonl:2"), e.getMessage());

        Path g = dir.resolve("fields.jsonl");
        Files.writeString(g, "{\"question\":\"a\"}\n");
        e = assertThrows(SculptException.class, () -> JsonlTasks.read(g));
        assertTrue(e.getMessage().contains("fields.jsonl:1") && e.getMessage().contains("prompt"), e.getMessage());

        Path h = dir.resolve("empty-completion.jsonl");
        Files.writeString(h, "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"a\",\"completion\":\"\"}\n");
        e = assertThrows(SculptException.class, () -> JsonlTasks.read(h));
        assertTrue(e.getMessage().contains(":2") && e.getMessage().contains("completion"), e.getMessage());
    }

    @Test
    void emptyAndMissingFilesFail() throws Exception {
        Path f = dir.resolve("empty.jsonl");
        Files.writeString(f, "\n  \n");
        SculptException e = assertThrows(SculptException.class, () -> JsonlTasks.read(f));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        e = assertThrows(SculptException.class, () -> JsonlTasks.read(dir.resolve("nope.jsonl")));
        assertTrue(e.getMessage().contains("nope.jsonl") && e.getMessage().contains("no such file"), e.getMessage());
    }

    @Test
    void numbersReadAsTextAndOtherKindsAreRejectedByLine() throws Exception {
        Path f = dir.resolve("numbers.jsonl");
        Files.writeString(f, "{\"prompt\":\"Year of the moon landing?\",\"completion\":1969}\n");
        assertEquals(List.of(new TextPair("Year of the moon landing?", "1969")), JsonlTasks.read(f));
        Path g = dir.resolve("bool.jsonl");
        Files.writeString(g, "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"prompt\":\"a\",\"completion\":true}\n");
        SculptException e = assertThrows(SculptException.class, () -> JsonlTasks.read(g));
        assertTrue(e.getMessage().contains("bool.jsonl:2") && e.getMessage().contains("completion"), e.getMessage());
        Path h = dir.resolve("latin1.jsonl");
        Files.write(h, new byte[] {'{', '"', 'p', '"', ':', '"', (byte) 0xE9, '"', '}', '\n'});
        e = assertThrows(SculptException.class, () -> JsonlTasks.read(h));
        assertTrue(e.getMessage().contains("latin1.jsonl") && e.getMessage().contains("UTF-8"), e.getMessage());
    }
}
