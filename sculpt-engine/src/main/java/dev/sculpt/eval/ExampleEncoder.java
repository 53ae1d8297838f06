package dev.sculpt.eval;

import dev.sculpt.model.Example;
import dev.sculpt.text.Tokenizer;
import java.util.Arrays;

/**
 * Prompt/completion text to a training example, the same way for every command. The prompt is a model input
 * ({@link Tokenizer#encodeInput}: LLaMA's BOS in front, T5's EOS at the end); the target is the completion followed
 * by EOS. Too long for {@code maxTokens}: the target is cut to {@code maxTokens - 1}, then the prompt keeps its
 * special tokens and its last tokens.
 */
public final class ExampleEncoder {
    /** No length limit. */
    public static final int UNLIMITED = Integer.MAX_VALUE;

    private ExampleEncoder() {}

    public static Example encode(Tokenizer tok, String prompt, String completion, int maxTokens) {
        int[] body = tok.encode(completion);
        int[] target = tok.eosId() >= 0 ? append(body, tok.eosId()) : body;
        if (target.length > maxTokens - 1) target = Arrays.copyOf(target, maxTokens - 1);
        int[] promptIds = tok.inputTemplate().apply(tok.encode(prompt), maxTokens - target.length);
        return new Example(promptIds, target);
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }
}
