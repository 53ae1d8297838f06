package dev.sculpt.train;

import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;

/** Test tokenizer: id 0 is EOS, ids 1.. are the characters of a fixed alphabet; other characters map to '?'. */
public final class CharTokenizer implements Tokenizer {
    public static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 :>?=";

    @Override
    public int[] encode(String text) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            int k = ALPHABET.indexOf(Character.toLowerCase(text.charAt(i)));
            ids[i] = 1 + (k < 0 ? ALPHABET.indexOf('?') : k);
        }
        return ids;
    }

    @Override
    public String decode(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : ids) if (id >= 1 && id <= ALPHABET.length()) sb.append(ALPHABET.charAt(id - 1));
        return sb.toString();
    }

    @Override public int vocabSize() { return ALPHABET.length() + 1; }
    @Override public int bosId() { return -1; }
    @Override public int eosId() { return 0; }
    @Override public int padId() { return -1; }
    @Override public InputTemplate inputTemplate() { return InputTemplate.NONE; }
}
