package dev.sculpt.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenizers.load picks the built-in byte-level tokenizer or a Hugging Face tokenizer.json. */
class TokenizersTest {
    @Test
    void picksByteLevelOrHuggingFace(@TempDir Path dir) throws Exception {
        Path bytes = dir.resolve("bytes");
        new ByteTokenizer().save(bytes);
        Tokenizer b = Tokenizers.load(bytes);
        assertInstanceOf(ByteTokenizer.class, b);
        // 'h' = 0x68, 'é' = C3 A9, ids are 3 + byte
        assertArrayEquals(new int[] {3 + 0x68, 3 + 0xC3, 3 + 0xA9}, b.encode("hé"));

        // the byte tokenizer's tokenizer.json read by the HF library gives the same ids
        try (HfTokenizer hf = HfTokenizer.load(bytes)) {
            assertArrayEquals(b.encode("hé, world!\n"), hf.encode("hé, world!\n"));
        }

        // the input template travels with the files: a T5 one (eos last) comes back as such
        Path t5 = dir.resolve("t5");
        new ByteTokenizer(InputTemplate.eosLast(ByteTokenizer.EOS)).save(t5);
        assertEquals(InputTemplate.eosLast(ByteTokenizer.EOS), Tokenizers.load(t5).inputTemplate());
        assertEquals(InputTemplate.bosFirst(ByteTokenizer.BOS), b.inputTemplate());

        Tokenizer u = Tokenizers.load(HfTokenizerTest.fixtures().resolve("unigram"));
        assertInstanceOf(HfTokenizer.class, u);
        assertArrayEquals(new int[] {4, 5, 3, 14, 13}, u.encode("the cat sat"));

        // a BPE tokenizer.json that merely looks similar (it has merges) is not taken for the byte tokenizer
        assertInstanceOf(HfTokenizer.class, Tokenizers.load(HfTokenizerTest.fixtures().resolve("bpe-byte-fallback")));

        Path empty = Files.createDirectories(dir.resolve("empty"));
        SculptException none = assertThrows(SculptException.class, () -> Tokenizers.load(empty));
        assertTrue(none.getMessage().contains("tokenizer.json"), none.getMessage());
        assertThrows(SculptException.class, () -> Tokenizers.load(dir.resolve("absent")));
    }
}
