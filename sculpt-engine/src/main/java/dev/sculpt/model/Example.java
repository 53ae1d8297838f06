package dev.sculpt.model;

/**
 * One training or evaluation example as token ids. Loss falls on {@code target} tokens only.
 * A causal model reads {@code prompt ++ target} and predicts each target token from everything before it;
 * an encoder-decoder reads {@code prompt} in the encoder and produces {@code target} in the decoder.
 * For pre-training text (loss on all tokens) pass an empty prompt.
 */
public record Example(int[] prompt, int[] target) {
    public Example {
        if (prompt == null || target == null) throw new IllegalArgumentException("prompt and target must not be null");
    }
}
