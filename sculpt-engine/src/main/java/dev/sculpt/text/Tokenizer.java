package dev.sculpt.text;

/** Text to token ids and back. Implementations: the built-in byte-level tokenizer and Hugging Face tokenizer.json. */
public interface Tokenizer {
    /**
     * Ids of {@code text} without added special tokens. Special-token strings written in the text itself (such as
     * {@code </s>}) become their special ids, as in Hugging Face tokenizers.
     */
    int[] encode(String text);

    String decode(int[] ids);

    int vocabSize();

    /** Beginning-of-sequence id, or -1 when the model uses none. */
    int bosId();

    /** End-of-sequence id (generation stops there). */
    int eosId();

    /** Padding id, or -1. */
    int padId();

    /** The special tokens put around a model input (the tokenizer.json post-processor's single-sequence template). */
    InputTemplate inputTemplate();

    /**
     * Ids of {@code text} as a model input (a prompt, an encoder input): {@link #encode} inside
     * {@link #inputTemplate}; what Hugging Face's {@code tokenizer(text)} (add_special_tokens=True) gives.
     */
    default int[] encodeInput(String text) {
        return inputTemplate().apply(encode(text));
    }
}
