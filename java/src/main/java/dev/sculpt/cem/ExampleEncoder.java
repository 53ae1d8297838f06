package dev.sculpt.cem;

import dev.sculpt.model.Example;
import dev.sculpt.text.Tokenizer;
import java.util.Arrays;

/**
 * Training items to token ids. The prompt is a model input ({@link Tokenizer#inputTemplate}: LLaMA's BOS in
 * front, T5's EOS at the end); the target is the completion followed by EOS. Too long: the target is cut to
 * {@code maxTokens - 1}, then the prompt keeps its special tokens and its last tokens.
 */
public final class ExampleEncoder {
    private ExampleEncoder() {}

    public static Example encode(Tokenizer tok, TrainingItem item, int maxTokens) {
        int[] body = tok.encode(item.completion());
        int[] target = tok.eosId() >= 0 ? append(body, tok.eosId()) : body;
        if (target.length > maxTokens - 1) target = Arrays.copyOf(target, maxTokens - 1);
        int[] prompt = tok.inputTemplate().apply(tok.encode(item.prompt()), maxTokens - target.length);
        return new Example(prompt, target);
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }
}
