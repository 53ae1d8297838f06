package dev.sculpt.text;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteTokenizerTest {
    @TempDir Path tmp;

    @Test
    void bytesMapToIdsAndBack() {
        ByteTokenizer t = new ByteTokenizer();
        assertArrayEquals(new int[]{3 + 'h', 3 + 'i', 3 + ' ', 3 + 0xC3, 3 + 0xA9}, t.encode("hi é"));
        assertEquals("hi é", t.decode(new int[]{1, 3 + 'h', 3 + 'i', 3 + ' ', 3 + 0xC3, 3 + 0xA9, 2, 0}));
        assertEquals("\uFFFD", t.decode(new int[]{3 + 0xC3}));
        assertEquals(259, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals(0, t.padId());
        assertThrows(dev.sculpt.SculptException.class, () -> t.decode(new int[]{259}));
    }

    @Test
    void savedFilesAreRecognisedAndHuggingFaceEncodesIdentically() throws Exception {
        ByteTokenizer t = new ByteTokenizer();
        t.save(tmp);
        assertTrue(ByteTokenizer.isSavedIn(tmp));
        assertFalse(ByteTokenizer.isSavedIn(tmp.resolve("other")));
        String text = "Hello, wörld!\n\ttabs  and  spaces 3+4=7 ☃ \u0000\u007f end";
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(tmp.resolve("tokenizer.json"),
                Map.of("addSpecialTokens", "false"))) {
            long[] ids = hf.encode(text, false, false).getIds();
            int[] ours = t.encode(text);
            assertEquals(ours.length, ids.length);
            for (int i = 0; i < ours.length; i++) assertEquals(ours[i], ids[i], "token " + i);
            long[] withSpecials = {1};
            assertEquals(text, hf.decode(java.util.stream.LongStream.concat(java.util.stream.LongStream.of(withSpecials),
                    java.util.Arrays.stream(ids)).toArray(), true));
        }
    }
}
