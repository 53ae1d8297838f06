package dev.sculpt.cem;

import dev.sculpt.text.InputTemplate;
import dev.sculpt.text.Tokenizer;
import java.nio.charset.StandardCharsets;

/** Test double: UTF-8 bytes are ids 0..255, BOS 256, EOS 257. */
final class TestBytes implements Tokenizer {
    @Override public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xff;
        return ids;
    }

    @Override public String decode(int[] ids) {
        byte[] b = new byte[ids.length];
        int n = 0;
        for (int id : ids) if (id < 256) b[n++] = (byte) id;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }

    @Override public int vocabSize() { return 258; }
    @Override public int bosId() { return 256; }
    @Override public int eosId() { return 257; }
    @Override public int padId() { return -1; }
    @Override public InputTemplate inputTemplate() { return InputTemplate.bosFirst(256); }
}
