package dev.sculpt.clbench;

import dev.sculpt.SculptException;
import java.util.function.ToIntFunction;

/**
 * A model's context limit, for cutting long sentences so that every example fits: an example fits when
 * {@code tokens(prompt) + tokens(label) + reservedTokens <= maxTokens} (reserve the BOS and EOS a runner adds).
 * Only the sentence is shortened, never the instruction or the options, so the task stays answerable in form.
 *
 * @param tokenCount     number of tokens of a text, e.g. {@code s -> tokenizer.encode(s).length}
 * @param maxTokens      the model's positions ({@code max_position_embeddings})
 * @param reservedTokens tokens a runner adds around prompt and label (2 for BOS and EOS)
 */
public record ContextBudget(ToIntFunction<String> tokenCount, int maxTokens, int reservedTokens) {
    public ContextBudget {
        if (tokenCount == null) throw new SculptException("context budget needs a token counter");
        if (maxTokens < 1) throw new SculptException("context budget: max tokens must be >= 1, got " + maxTokens);
        if (reservedTokens < 0) throw new SculptException("context budget: reserved tokens must be >= 0, got " + reservedTokens);
    }

    boolean fits(String prompt, String label) {
        return tokenCount.applyAsInt(prompt) + tokenCount.applyAsInt(label) + reservedTokens <= maxTokens;
    }
}
