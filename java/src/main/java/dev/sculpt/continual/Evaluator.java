package dev.sculpt.continual;

import dev.sculpt.data.TextPair;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Turns text pairs into examples (the prompt as a model input, {@link Tokenizer#encodeInput}; the completion
 * tokens and EOS as the target) and scores a model
 * on them: exact match of the greedy completion after normalising whitespace and case, and the mean target loss.
 */
public final class Evaluator {
    private final Tokenizer tokenizer;

    public Evaluator(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    public Example example(TextPair p) {
        int[] prompt = tokenizer.encodeInput(p.prompt());
        int[] completion = tokenizer.encode(p.completion());
        int[] target = java.util.Arrays.copyOf(completion, completion.length + 1);
        target[completion.length] = tokenizer.eosId();
        return new Example(prompt, target);
    }

    public List<Example> examples(List<TextPair> pairs) {
        List<Example> out = new ArrayList<>(pairs.size());
        for (TextPair p : pairs) out.add(example(p));
        return out;
    }

    /** Lower case, whitespace runs collapsed to one space, trimmed. */
    public static String normalise(String s) {
        return s.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /** Accuracy and mean loss of one task. */
    public record Score(double accuracy, double meanLoss) {}

    public Score score(LanguageModel model, List<TextPair> pairs, int lossBatch) {
        int correct = 0;
        LossSum loss = new LossSum(0, 0);
        List<Example> batch = new ArrayList<>();
        for (TextPair p : pairs) {
            Example e = example(p);
            int maxNew = e.target().length + 2;
            int[] out = model.generate(e.prompt(), GenerationOptions.greedy(maxNew, Set.of(tokenizer.eosId())));
            if (normalise(tokenizer.decode(out)).equals(normalise(p.completion()))) correct++;
            batch.add(e);
            if (batch.size() == lossBatch) {
                loss = loss.plus(model.loss(batch));
                batch.clear();
            }
        }
        if (!batch.isEmpty()) loss = loss.plus(model.loss(batch));
        return new Score((double) correct / pairs.size(), loss.mean());
    }
}
