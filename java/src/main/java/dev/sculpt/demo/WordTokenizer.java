package dev.sculpt.demo;

import dev.sculpt.SculptException;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A word-level tokenizer with byte fallback, for the CEM demo world: the byte tokenizer's 259 ids (pad, bos, eos
 * and the 256 bytes), then one id per word of a fixed vocabulary. Text is cut into pieces the way GPT-2's
 * pre-tokenizer does (an optional leading space plus a run of letters, or a single other character); a piece in the
 * vocabulary is one id, any other piece is its UTF-8 bytes. So every string encodes and decodes back exactly, and
 * the world's words ("Quill", " teal") are single tokens, as they would be for a real model's trained BPE, instead
 * of letter sequences a tiny byte-level model can garble.
 */
public final class WordTokenizer implements Tokenizer {
    private static final ByteTokenizer BYTES = new ByteTokenizer();

    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();

    private WordTokenizer(Collection<String> words) {
        this.words = List.copyOf(words);
        for (int i = 0; i < this.words.size(); i++) ids.put(this.words.get(i), ByteTokenizer.VOCAB_SIZE + i);
    }

    /** The vocabulary of every word piece in {@code texts} (first-seen order, so the ids are deterministic). */
    public static WordTokenizer fromTexts(Collection<String> texts) {
        Set<String> vocab = new LinkedHashSet<>();
        for (String t : texts) {
            for (String p : pieces(t)) if (isWord(p)) vocab.add(p);
        }
        return new WordTokenizer(vocab);
    }

    /** The vocabulary words, in id order (the first has id {@link ByteTokenizer#VOCAB_SIZE}). */
    public List<String> words() {
        return words;
    }

    @Override
    public int[] encode(String text) {
        if (text == null) throw new SculptException("cannot encode null text");
        List<Integer> out = new ArrayList<>();
        for (String p : pieces(text)) {
            Integer id = ids.get(p);
            if (id != null) {
                out.add(id);
            } else {
                for (int b : BYTES.encode(p)) out.add(b);
            }
        }
        int[] r = new int[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return r;
    }

    /** Words and bytes back to text (bytes as UTF-8); special ids are skipped. */
    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < tokens.length; i++) {
            int id = tokens[i];
            if (id < 0 || id >= vocabSize()) throw new SculptException("token id " + id + " at position " + i + " is outside the vocabulary [0, " + vocabSize() + ")");
            if (id >= ByteTokenizer.VOCAB_SIZE) {
                b.writeBytes(words.get(id - ByteTokenizer.VOCAB_SIZE).getBytes(StandardCharsets.UTF_8));
            } else if (id >= ByteTokenizer.OFFSET) {
                b.write(id - ByteTokenizer.OFFSET);
            }
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8); // malformed UTF-8 becomes U+FFFD
    }

    @Override public int vocabSize() { return ByteTokenizer.VOCAB_SIZE + words.size(); }
    @Override public int bosId() { return ByteTokenizer.BOS; }
    @Override public int eosId() { return ByteTokenizer.EOS; }
    @Override public int padId() { return ByteTokenizer.PAD; }
    /** LLaMA's: bos first (the demo model is a LLaMA). */
    @Override public InputTemplate inputTemplate() { return InputTemplate.bosFirst(ByteTokenizer.BOS); }

    /** GPT-2-style pieces: " word", "word", a special token (&lt;s&gt; etc.), or one other character (a space not followed by a letter included). */
    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int start = i;
            String special = specialAt(text, i);
            if (special != null) {             // a special token written in the text: one piece, its id (as in HF)
                out.add(special);
                i += special.length();
                continue;
            }
            if (text.charAt(i) == ' ' && i + 1 < n && Character.isLetter(text.charAt(i + 1))) i++;
            if (Character.isLetter(text.charAt(i))) {
                while (i < n && Character.isLetter(text.charAt(i))) i++;
            } else {
                i += Character.charCount(text.codePointAt(i));
            }
            out.add(text.substring(start, i));
        }
        return out;
    }

    private static String specialAt(String text, int i) {
        for (String s : new String[] {ByteTokenizer.PAD_TOKEN, ByteTokenizer.BOS_TOKEN, ByteTokenizer.EOS_TOKEN}) {
            if (text.startsWith(s, i)) return s;
        }
        return null;
    }

    private static boolean isWord(String piece) {
        return Character.isLetter(piece.charAt(piece.length() - 1));
    }
}
