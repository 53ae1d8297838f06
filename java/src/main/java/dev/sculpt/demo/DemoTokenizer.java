package dev.sculpt.demo;

import dev.sculpt.text.Tokenizer;

/** The demo's tokenizer: the project's byte-level tokenizer. */
public final class DemoTokenizer {
    private DemoTokenizer() {}

    public static Tokenizer create() {
        return new Bytes();
    }

    /** Stand-in until the engine's byte-level tokenizer is merged: ids 0..255 are bytes, 256 BOS, 257 EOS, 258 PAD. */
    private static final class Bytes implements Tokenizer {
        @Override public int[] encode(String text) {
            byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int i = 0; i < b.length; i++) ids[i] = b[i] & 0xFF;
            return ids;
        }

        @Override public String decode(int[] ids) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            for (int id : ids) if (id >= 0 && id < 256) out.write(id);
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        }

        @Override public int vocabSize() { return 259; }
        @Override public int bosId() { return 256; }
        @Override public int eosId() { return 257; }
        @Override public int padId() { return 258; }
    }
}
