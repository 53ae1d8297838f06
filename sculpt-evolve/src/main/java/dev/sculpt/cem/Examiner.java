package dev.sculpt.cem;

import dev.sculpt.eval.Evaluator;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.text.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks a model the questions of a set through a fixed prompt template and parses the answers. Generation, stop
 * rules (EOS, a one-token newline, {@code maxNewTokens}) and the first-token margin are the shared
 * {@link Evaluator}'s.
 */
public final class Examiner {
    private final LanguageModel model;
    private final Evaluator evaluator;
    private final PromptTemplate template;
    private final AnswerParser parser;
    private final int maxNewTokens;

    public Examiner(LanguageModel model, Tokenizer tokenizer, PromptTemplate template, AnswerParser parser, int maxNewTokens) {
        this.model = model;
        this.evaluator = new Evaluator(tokenizer, true);
        this.template = template;
        this.parser = parser;
        this.maxNewTokens = maxNewTokens;
    }

    public PromptTemplate template() { return template; }

    public AnswerParser parser() { return parser; }

    public EvalReport evaluate(QuestionSet set) {
        List<Answered> out = new ArrayList<>(set.size());
        for (Question q : set.questions()) out.add(answer(q));
        return new EvalReport(set.name(), out);
    }

    public Answered answer(Question q) {
        String text = evaluator.greedy(model, template.render(q), maxNewTokens);
        return new Answered(q, text, parser.parse(q, text));
    }

    /** k sampled answers (temperature, top-p), seeds {@code seed, seed+1, ...}. */
    public List<ParsedAnswer> sample(Question q, int k, float temperature, float topP, long seed) {
        List<ParsedAnswer> out = new ArrayList<>(k);
        for (String text : evaluator.sample(model, template.render(q), k, maxNewTokens, temperature, topP, seed)) {
            out.add(parser.parse(q, text));
        }
        return out;
    }

    /** {@link Evaluator#firstTokenMargin} of the question's prompt. */
    public double firstTokenMargin(Question q) {
        return evaluator.firstTokenMargin(model, template.render(q));
    }
}
