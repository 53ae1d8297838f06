package dev.sculpt.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.model.Models;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.text.WordTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {
    private static final String ALPHABET = "abcXYZ éü  .,:\n\t?!0129-'\"☃";

    @Test
    void vocabularyWordsAreOneTokenAndEverythingElseIsItsBytes() {
        WordTokenizer t = WordTokenizer.fromTexts(List.of("The town of Zorvath is Quill.", "Spell teal backwards.\nAnswer: laet"));
        assertEquals(List.of("The", " town", " of", " Zorvath", " is", " Quill", "Spell", " teal", " backwards", "Answer", " laet"), t.words());
        int v = ByteTokenizer.VOCAB_SIZE;
        assertEquals(v + t.words().size(), t.vocabSize());
        // a sentence of vocabulary words: one id per word, the full stop is its byte
        assertArrayEquals(new int[] {v, v + 1, v + 2, v + 3, v + 4, v + 5, ByteTokenizer.OFFSET + '.'},
                t.encode("The town of Zorvath is Quill."));
        // an unknown word, and a known word without its leading space, fall back to the byte tokenizer's ids
        ByteTokenizer bytes = new ByteTokenizer();
        assertArrayEquals(bytes.encode(" Brill"), t.encode(" Brill"));
        assertArrayEquals(bytes.encode("teal"), t.encode("teal"));
        assertArrayEquals(new int[] {v + 7, v + 7}, t.encode(" teal teal"));
        assertEquals(ByteTokenizer.BOS, t.bosId());
        assertEquals(ByteTokenizer.EOS, t.eosId());
        assertEquals(ByteTokenizer.PAD, t.padId());
        // special-token strings in text are the special ids, as in the byte tokenizer and Hugging Face
        assertArrayEquals(new int[] {v, ByteTokenizer.EOS, v + 1, ByteTokenizer.BOS, ByteTokenizer.PAD},
                t.encode("The</s> town<s><pad>"));
        assertArrayEquals(bytes.encode("a</s b<s"), t.encode("a</s b<s"));
        // model inputs: LLaMA's template, bos first
        assertArrayEquals(new int[] {ByteTokenizer.BOS, v}, t.encodeInput("The"));
    }

    @Test
    void anyTextRoundTripsExactly() {
        SplittableRandom r = new SplittableRandom(System.nanoTime());
        List<String> vocabSource = List.of(randomText(r, 400), randomText(r, 400));
        WordTokenizer t = WordTokenizer.fromTexts(vocabSource);
        assertTrue(t.words().size() > 10, "random text has words: " + t.words());
        for (int i = 0; i < 200; i++) {
            String s = randomText(r, 1 + r.nextInt(60));
            assertEquals(s, t.decode(t.encode(s)), "round trip of '" + s + "'");
        }
        for (String s : vocabSource) assertEquals(s, t.decode(t.encode(s)));
        // a supplementary character (two UTF-16 units) and special ids, which decoding skips
        int[] ids = t.encode(" a\uD83D\uDE00b");
        int[] withSpecials = new int[ids.length + 2];
        withSpecials[0] = t.bosId();
        System.arraycopy(ids, 0, withSpecials, 1, ids.length);
        withSpecials[ids.length + 1] = t.eosId();
        assertEquals(" a\uD83D\uDE00b", t.decode(withSpecials));
    }

    @Test
    void theWorldVocabularyIsDeterministicAndCoversItsAnswers() {
        KnowledgeWorld w = KnowledgeWorld.generate(5L, 3, 4, 2);
        WordTokenizer a = WordTokenizer.fromTexts(w.texts());
        WordTokenizer b = WordTokenizer.fromTexts(KnowledgeWorld.generate(5L, 3, 4, 2).texts());
        assertEquals(a.words(), b.words());
        for (var q : w.ood().questions()) {
            assertEquals(1, a.encode(" " + q.answer()).length, "answer '" + q.answer() + "' is one token");
            assertEquals(q.question(), a.decode(a.encode(q.question())));
        }
    }

    @Test
    void savedAndLoadedBackThroughTheModelDirectory(@TempDir Path dir) throws java.io.IOException {
        SplittableRandom r = new SplittableRandom();
        List<String> texts = List.of("Finn Okafor was born in Quito.", "Question: Where was Finn Okafor born?\nAnswer: Quito", randomText(r, 40));
        WordTokenizer t = WordTokenizer.fromTexts(texts);
        t.save(dir);
        assertTrue(WordTokenizer.isSavedIn(dir));
        assertTrue(!ByteTokenizer.isSavedIn(dir));
        Tokenizer back = Models.tokenizer(dir);
        assertTrue(back instanceof WordTokenizer, back.getClass().toString());
        assertEquals(t.words(), ((WordTokenizer) back).words());
        for (int i = 0; i < 20; i++) {
            String s = randomText(r, 30) + " Okafor" + randomText(r, 5);
            assertArrayEquals(t.encode(s), back.encode(s));
            assertEquals(s, back.decode(back.encode(s)));
        }
        new ByteTokenizer().save(dir.resolve("bytes"));
        assertTrue(!WordTokenizer.isSavedIn(dir.resolve("bytes")));
        SculptException e = assertThrows(SculptException.class, () -> WordTokenizer.load(dir.resolve("bytes")));
        assertTrue(e.getMessage().contains("not Sculpt's word tokenizer"), e.getMessage());
        String json = Files.readString(dir.resolve("tokenizer.json"));
        assertTrue(json.contains("\"Finn\" : 259"), "the first word has the first word id");
        Files.writeString(dir.resolve("tokenizer.json"), json.replace("\"Finn\" : 259", "\"Finn\" : 9999"));
        e = assertThrows(SculptException.class, () -> WordTokenizer.load(dir));
        assertTrue(e.getMessage().contains("Finn") && e.getMessage().contains("9999"), e.getMessage());
    }

    @Test
    void idsOutsideTheVocabularyAreRejectedByPosition() {
        WordTokenizer t = WordTokenizer.fromTexts(List.of("one two"));
        SculptException e = assertThrows(SculptException.class, () -> t.decode(new int[] {5, t.vocabSize()}));
        assertTrue(e.getMessage().contains("position 1"), e.getMessage());
        assertThrows(SculptException.class, () -> t.decode(new int[] {-1}));
        assertThrows(SculptException.class, () -> t.encode(null));
    }

    private static String randomText(SplittableRandom r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
        return sb.toString();
    }

    /**
     * The saved tokenizer.json read by the Hugging Face tokenizers library gives Sculpt's ids for every input, with
     * and without the input template (post-processor): vocabulary words, unknown words, specials written in the
     * text, and random strings over an alphabet with accents, whitespace runs and a non-Latin symbol.
     */
    @Test
    void huggingFaceTokenizersEncodeTheSavedFileAsSculptDoes(@TempDir Path dir) throws Exception {
        WordTokenizer t = WordTokenizer.fromCorpus(List.of("Finn Okafor was born in Quito.", "Where was Ada Novak born? Lima"));
        t.save(dir);
        List<String> texts = new java.util.ArrayList<>(List.of("Finn Okafor was born in Quito.", " Quitor", "Finnish",
                "<s>Ada</s> Novak<pad>", "", "  born  in\tLima\n", "Where was Ada born? Lima"));
        SplittableRandom r = new SplittableRandom(41);
        for (int i = 0; i < 200; i++) {
            StringBuilder sb = new StringBuilder();
            int n = r.nextInt(1, 30);
            for (int j = 0; j < n; j++) {
                sb.append(r.nextInt(4) == 0 ? List.of(" born", " Quito", "Ada", " in", "<s>").get(r.nextInt(5))
                        : String.valueOf(ALPHABET.charAt(r.nextInt(ALPHABET.length()))));
            }
            texts.add(sb.toString());
        }
        try (ai.djl.huggingface.tokenizers.HuggingFaceTokenizer hf = ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.newInstance(
                dir.resolve("tokenizer.json"), java.util.Map.of("truncation", "false", "padding", "false"))) {
            for (String text : texts) {
                assertArrayEquals(t.encode(text), longsToInts(hf.encode(text, false, false).getIds()), "'" + text + "'");
                assertArrayEquals(t.encodeInput(text), longsToInts(hf.encode(text, true, false).getIds()), "input '" + text + "'");
            }
        }
    }

    private static int[] longsToInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }
}
