package dev.sculpt.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.text.ByteTokenizer;
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
}
