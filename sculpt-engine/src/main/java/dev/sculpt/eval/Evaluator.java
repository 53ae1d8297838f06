package dev.sculpt.eval;

import dev.sculpt.data.TextPair;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The one evaluator of {@code sculpt continual} and {@code sculpt evolve}: prompts become model inputs through the
 * tokenizer's input template ({@link Tokenizer#encodeInput}), answers come from greedy or sampled decoding that
 * stops at EOS (and, when asked, at a one-token newline) or after a token limit, and exact-match scoring compares
 * answers after {@link #normalise}. CEM's question sets go through it via {@code dev.sculpt.cem.Examiner}.
 */
public final class Evaluator {
    private final Tokenizer tokenizer;
    private final Set<Integer> stops;

    /**
     * @param stopAtNewline also stop at a newline when the tokenizer has a one-token newline (short answers);
     *                      off for completions that may span lines
     */
    public Evaluator(Tokenizer tokenizer, boolean stopAtNewline) {
        this.tokenizer = tokenizer;
        Set<Integer> s = new HashSet<>();
        if (tokenizer.eosId() >= 0) s.add(tokenizer.eosId());
        if (stopAtNewline) {
            int[] nl = tokenizer.encode("\n");
            if (nl.length == 1) s.add(nl[0]);
        }
        this.stops = Set.copyOf(s);
    }

    public Tokenizer tokenizer() { return tokenizer; }

    /** The prompt as the model sees it. */
    public int[] promptIds(String prompt) {
        return tokenizer.encodeInput(prompt);
    }

    /** The training example of a pair (no length limit). */
    public Example example(TextPair p) {
        return ExampleEncoder.encode(tokenizer, p.prompt(), p.completion(), ExampleEncoder.UNLIMITED);
    }

    public List<Example> examples(List<TextPair> pairs) {
        List<Example> out = new ArrayList<>(pairs.size());
        for (TextPair p : pairs) out.add(example(p));
        return out;
    }

    /** The greedy answer to a prompt, at most {@code maxNewTokens} tokens. */
    public String greedy(LanguageModel model, String prompt, int maxNewTokens) {
        return tokenizer.decode(model.generate(promptIds(prompt), GenerationOptions.greedy(maxNewTokens, stops)));
    }

    /** k sampled answers (temperature, top-p), seeds {@code seed, seed+1, ...}. */
    public List<String> sample(LanguageModel model, String prompt, int k, int maxNewTokens, float temperature, float topP, long seed) {
        int[] ids = promptIds(prompt);
        List<String> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            GenerationOptions o = new GenerationOptions(maxNewTokens, false, temperature, topP, seed + i, stops);
            out.add(tokenizer.decode(model.generate(ids, o)));
        }
        return out;
    }

    /**
     * Top-1 minus top-2 probability of the first answer token: the softmax over the whole vocabulary of the
     * model's next-token logits right after the prompt (for an encoder-decoder model, after the decoder start).
     */
    public double firstTokenMargin(LanguageModel model, String prompt) {
        float[][] logits = model.logits(promptIds(prompt), null);
        float[] last = logits[logits.length - 1];
        double max = Double.NEGATIVE_INFINITY;
        for (float v : last) max = Math.max(max, v);
        double z = 0, p1 = 0, p2 = 0;
        for (float v : last) {
            double e = Math.exp(v - max);
            z += e;
            if (e > p1) { p2 = p1; p1 = e; } else if (e > p2) { p2 = e; }
        }
        return (p1 - p2) / z;
    }

    /** Lower case, whitespace runs collapsed to one space, trimmed. */
    public static String normalise(String s) {
        return s.trim().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    /** Exact-match accuracy and mean target loss of one task. */
    public record Score(double accuracy, double meanLoss) {}

    /**
     * Exact match of the greedy completion (at most the reference's length + 2 tokens) after {@link #normalise},
     * and the mean target loss in batches of {@code lossBatch}.
     */
    public Score score(LanguageModel model, List<TextPair> pairs, int lossBatch) {
        int correct = 0;
        LossSum loss = new LossSum(0, 0);
        List<Example> batch = new ArrayList<>();
        for (TextPair p : pairs) {
            Example e = example(p);
            int[] out = model.generate(e.prompt(), GenerationOptions.greedy(e.target().length + 2, stops));
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
