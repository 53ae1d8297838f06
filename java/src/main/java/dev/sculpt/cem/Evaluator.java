package dev.sculpt.cem;

import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Asks a model the questions of a set with a fixed prompt template and greedy decoding, and parses the answers.
 * Generation stops at end-of-sequence, at a newline when the tokenizer has a one-token newline, or after
 * {@code maxNewTokens}.
 */
public final class Evaluator {
    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final PromptTemplate template;
    private final AnswerParser parser;
    private final int maxNewTokens;
    private final Set<Integer> stops;

    public Evaluator(LanguageModel model, Tokenizer tokenizer, PromptTemplate template, AnswerParser parser, int maxNewTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.template = template;
        this.parser = parser;
        this.maxNewTokens = maxNewTokens;
        Set<Integer> s = new HashSet<>();
        if (tokenizer.eosId() >= 0) s.add(tokenizer.eosId());
        int[] nl = tokenizer.encode("\n");
        if (nl.length == 1) s.add(nl[0]);
        this.stops = Set.copyOf(s);
    }

    public PromptTemplate template() { return template; }

    public AnswerParser parser() { return parser; }

    public EvalReport evaluate(QuestionSet set) {
        List<Answered> out = new ArrayList<>(set.size());
        for (Question q : set.questions()) out.add(answer(q));
        return new EvalReport(set.name(), out);
    }

    public Answered answer(Question q) {
        String text = generate(q, GenerationOptions.greedy(maxNewTokens, stops));
        return new Answered(q, text, parser.parse(q, text));
    }

    /** k sampled answers (temperature, top-p), seeds {@code seed, seed+1, ...}. */
    public List<ParsedAnswer> sample(Question q, int k, float temperature, float topP, long seed) {
        List<ParsedAnswer> out = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            GenerationOptions o = new GenerationOptions(maxNewTokens, false, temperature, topP, seed + i, stops);
            out.add(parser.parse(q, generate(q, o)));
        }
        return out;
    }

    /**
     * Top-1 minus top-2 probability of the first answer token: the softmax over the whole vocabulary of the
     * model's next-token logits right after the prompt.
     */
    public double firstTokenMargin(Question q) {
        int[] prompt = promptIds(q);
        float[][] logits = "t5".equals(model.architecture())
                ? model.logits(prompt, new int[] {Math.max(tokenizer.padId(), 0)})
                : model.logits(prompt, null);
        float[] last = logits[logits.length - 1];
        double max = Double.NEGATIVE_INFINITY;
        for (float v : last) max = Math.max(max, v);
        double z = 0;
        double p1 = 0, p2 = 0;
        for (float v : last) {
            double e = Math.exp(v - max);
            z += e;
            if (e > p1) { p2 = p1; p1 = e; } else if (e > p2) { p2 = e; }
        }
        return (p1 - p2) / z;
    }

    private String generate(Question q, GenerationOptions o) {
        return tokenizer.decode(model.generate(promptIds(q), o));
    }

    int[] promptIds(Question q) {
        return tokenizer.encodeInput(template.render(q));
    }
}
