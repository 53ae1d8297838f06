package dev.sculpt.text;

/** Text to token ids and back. Implementations: the built-in byte-level tokenizer and Hugging Face tokenizer.json. */
public interface Tokenizer {
    /** Ids of {@code text} without special tokens. */
    int[] encode(String text);

    String decode(int[] ids);

    int vocabSize();

    /** Beginning-of-sequence id, or -1 when the model uses none. */
    int bosId();

    /** End-of-sequence id (generation stops there). */
    int eosId();

    /** Padding id, or -1. */
    int padId();
}
