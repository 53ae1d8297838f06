package dev.sculpt.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HfTokenizer on the two hand-made fixtures of tests/fixtures/make_tokenizer_fixtures.py. Every expected id is
 * worked out by hand from the fixture's vocabulary and merges / scores (the working is in the comments).
 */
class HfTokenizerTest {
    static Path fixtures() {
        return Path.of(System.getProperty("sculpt.repo.root", "..")).resolve("tests/fixtures/tokenizers");
    }

    @BeforeAll
    static void offline() {
        // DJL must never reach for the network: the native library is the one bundled in its jar.
        System.setProperty("ai.djl.offline", "true");
    }

    @Test
    void nativeLibraryIsBundledInTheJarAndLoadsOffline() {
        assertNotNull(ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.class.getClassLoader()
                .getResource("native/lib/linux-x86_64/cpu/libtokenizers.so"), "DJL jar bundles libtokenizers.so");
        try (HfTokenizer t = HfTokenizer.load(fixtures().resolve("bpe-byte-fallback"))) {
            assertEquals(5, t.encode("hello world").length);
        }
    }

    @Test
    void bpeWithByteFallback() {
        try (HfTokenizer t = HfTokenizer.load(fixtures().resolve("bpe-byte-fallback/tokenizer.json"))) {
            // ids: <unk> 0, <s> 1, </s> 2, <0xNN> = 3 + NN, ▁ 259, h 260, e 261, l 262, o 263, w 264, r 265, d 266,
            // merges (rank order) he 267, ll 268, hell 269, hello 270, ▁hello 271, ▁w 272, or 273.
            // "hello world" -> normalizer "▁hello▁world" -> merges by rank: h+e, l+l, he+ll, hell+o, ▁+hello, ▁+w,
            // o+r -> ▁hello ▁w or l d
            assertArrayEquals(new int[] {271, 272, 273, 262, 266}, t.encode("hello world"));
            // "hé!" -> "▁hé!"; no merge applies; é is not in the vocabulary -> UTF-8 bytes C3 A9 -> <0xC3> 198,
            // <0xA9> 172; '!' = 0x21 -> <0x21> 36.
            assertArrayEquals(new int[] {259, 260, 198, 172, 36}, t.encode("hé!"));
            assertEquals("hello world", t.decode(new int[] {271, 272, 273, 262, 266}));
            assertEquals("hé!", t.decode(new int[] {259, 260, 198, 172, 36}));
            assertEquals(274, t.vocabSize());
            assertEquals(1, t.bosId());
            assertEquals(2, t.eosId());
            assertEquals(-1, t.padId());
        }
    }

    @Test
    void unigram() {
        try (HfTokenizer t = HfTokenizer.load(fixtures().resolve("unigram"))) {
            // ids: <pad> 0, </s> 1, <unk> 2, ▁ 3 (-3), ▁the 4 (-2), ▁cat 5 (-2.5), ▁ca 6 (-3), t 7 (-3), c 8, a 9,
            // h 10, e 11 (all -4), ▁c 12 (-3.5), at 13 (-3), s 14 (-4).
            // "▁the": ▁the -2 beats ▁+t+h+e -14. "▁cat": ▁cat -2.5 beats ▁ca+t -6 and ▁c+at -6.5.
            // "▁sat": no ▁s, so ▁+s+at -10 beats ▁+s+a+t -14.
            assertArrayEquals(new int[] {4, 5, 3, 14, 13}, t.encode("the cat sat"));
            // double spaces collapse (normalizer), "dog" has no piece: ▁ then one fused <unk>.
            assertArrayEquals(new int[] {4, 3, 2}, t.encode("the  dog"));
            assertEquals("the cat sat", t.decode(new int[] {4, 5, 3, 14, 13}));
            // special tokens are dropped on decode
            assertEquals("the cat", t.decode(new int[] {4, 5, 1, 0}));
            assertEquals(15, t.vocabSize());
            assertEquals(-1, t.bosId());
            assertEquals(1, t.eosId());
            assertEquals(0, t.padId());
        }
    }

    @Test
    void longInputIsNeverTruncated() {
        try (HfTokenizer t = HfTokenizer.load(fixtures().resolve("unigram"))) {
            String text = "the cat ".repeat(700);
            int[] ids = t.encode(text);
            assertEquals(1400, ids.length);
            for (int i = 0; i < ids.length; i++) assertEquals(i % 2 == 0 ? 4 : 5, ids[i]);
        }
    }

    @Test
    void specialTokensFromTokenizerConfig(@TempDir Path dir) throws Exception {
        Files.copy(fixtures().resolve("bpe-byte-fallback/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"</s>\", \"pad_token\": \"<unk>\"}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(1, t.bosId());
            assertEquals(2, t.eosId());
            assertEquals(0, t.padId());
        }
    }

    @Test
    void specialIdsFromModelConfigWhenTheTokenizerNamesNone(@TempDir Path dir) throws Exception {
        Files.copy(fixtures().resolve("unigram/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("config.json"), "{\"eos_token_id\": [3, 4], \"bos_token_id\": 14}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(14, t.bosId());
            assertEquals(3, t.eosId());
            assertEquals(0, t.padId());   // no pad_token_id: the conventional <pad>
        }
    }

    /**
     * The input template is what the file's post-processor adds (LLaMA-style fixture: {@code <s> $A}; T5-style:
     * {@code $A </s>}), and encodeInput equals the library's encode with special tokens (HF's tokenizer(text)).
     */
    @Test
    void inputTemplateFollowsThePostProcessor() throws Exception {
        try (HfTokenizer llama = HfTokenizer.load(fixtures().resolve("bpe-byte-fallback"));
             HfTokenizer t5 = HfTokenizer.load(fixtures().resolve("unigram"))) {
            assertEquals(InputTemplate.bosFirst(1), llama.inputTemplate());
            assertEquals(InputTemplate.eosLast(1), t5.inputTemplate());
            assertArrayEquals(new int[] {1, 271, 272, 273, 262, 266}, llama.encodeInput("hello world"));
            assertArrayEquals(new int[] {4, 5, 3, 14, 13, 1}, t5.encodeInput("the cat sat"));
            for (HfTokenizer t : new HfTokenizer[] {llama, t5}) {
                try (var lib = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(t.file(),
                        java.util.Map.of("truncation", "false", "padding", "false"))) {
                    for (String text : new String[] {"hello world", "the cat sat", "", "</s>", "a<s>b</s>", "<pad> the"}) {
                        long[] expected = lib.encode(text, true, false).getIds();
                        assertArrayEquals(java.util.Arrays.stream(expected).mapToInt(v -> (int) v).toArray(), t.encodeInput(text), t.file() + ": '" + text + "'");
                    }
                }
            }
            // special-token strings in text are matched as those tokens
            assertArrayEquals(new int[] {4, 1, 5}, t5.encode("the</s>cat"));
        }
    }

    /** transformers' LlamaTokenizerFast rebuilds the post-processor from add_bos_token / add_eos_token. */
    @Test
    void llamaTokenizerClassesFollowAddBosAndAddEos(@TempDir Path dir) throws Exception {
        Files.copy(fixtures().resolve("bpe-byte-fallback/tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"tokenizer_class\": \"LlamaTokenizerFast\", \"add_bos_token\": false, \"add_eos_token\": true}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(InputTemplate.eosLast(2), t.inputTemplate());
        }
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"LlamaTokenizerFast\"}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(InputTemplate.bosFirst(1), t.inputTemplate());      // defaults: bos yes, eos no
        }
        // another class keeps the file's post-processor
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"PreTrainedTokenizerFast\", \"add_bos_token\": false}");
        try (HfTokenizer t = HfTokenizer.load(dir)) {
            assertEquals(InputTemplate.bosFirst(1), t.inputTemplate());
        }
    }

    @Test
    void badInput(@TempDir Path dir) throws Exception {
        SculptException missing = assertThrows(SculptException.class, () -> HfTokenizer.load(dir));
        assertTrue(missing.getMessage().contains("tokenizer.json"), missing.getMessage());

        Path broken = dir.resolve("tokenizer.json");
        Files.writeString(broken, "{\n \"model\": {\"type\": \"BPE\",\n");
        SculptException malformed = assertThrows(SculptException.class, () -> HfTokenizer.load(broken));
        assertTrue(malformed.getMessage().contains(broken.toString()) && malformed.getMessage().contains("malformed"),
                malformed.getMessage());

        Files.writeString(broken, "{\"version\": \"1.0\"}");
        assertThrows(SculptException.class, () -> HfTokenizer.load(broken));

        try (HfTokenizer t = HfTokenizer.load(fixtures().resolve("unigram"))) {
            SculptException range = assertThrows(SculptException.class, () -> t.decode(new int[] {4, 15}));
            assertTrue(range.getMessage().contains("15"), range.getMessage());
            assertThrows(SculptException.class, () -> t.decode(new int[] {-1}));
            assertThrows(SculptException.class, () -> t.encode(null));
        }
    }
}
