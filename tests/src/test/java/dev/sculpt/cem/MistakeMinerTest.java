package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MistakeMinerTest {
    private final PromptTemplate template = PromptTemplate.defaults();

    /** Logits whose softmax has top-1 and top-2 probabilities p1 and p2, the rest spread evenly. */
    static float[] logitsWithTop(double p1, double p2) {
        float[] l = new float[258];
        double rest = (1 - p1 - p2) / 256;
        l[0] = (float) Math.log(p1);
        l[1] = (float) Math.log(p2);
        for (int i = 2; i < l.length; i++) l[i] = (float) Math.log(rest);
        return l;
    }

    @Test
    void wrongUnparseableLowAgreementAndLowMargin() {
        ScriptedModel m = new ScriptedModel();
        Question right = Question.shortAnswer("right", "Where is A?", "Xo");
        Question unsure = Question.shortAnswer("unsure", "Where is B?", "Yo");
        Question flat = Question.shortAnswer("flat", "Where is C?", "Zo");
        Question wrong = Question.shortAnswer("wrong", "Where is D?", "Wo");
        Question garbage = new Question("garbage", "Pick", List.of("p", "q"), "p", 0, "x");
        Function<Question, String> p = template::render;
        m.greedy.putAll(Map.of(p.apply(right), " Xo", p.apply(unsure), " Yo", p.apply(flat), " Zo",
                p.apply(wrong), " Vo", p.apply(garbage), " ???"));
        // samples: "right" always agrees; "unsure" answers Yo for even seeds only (agreement 2/4)
        m.sampled = (prompt, seed) -> prompt.equals(p.apply(unsure)) ? (seed % 2 == 0 ? " Yo" : " Qo")
                : m.greedy.get(prompt);
        m.logits.put(p.apply(right), logitsWithTop(0.9, 0.05));
        m.logits.put(p.apply(unsure), logitsWithTop(0.9, 0.05));
        m.logits.put(p.apply(flat), logitsWithTop(0.40, 0.35));
        Examiner ev = new Examiner(m, m.tok, template, new AnswerParser(), 16);
        EvalReport report = ev.evaluate(new QuestionSet("probe", List.of(right, unsure, flat, wrong, garbage)));
        assertEquals(3, report.correct());
        assertEquals(1, report.unparseable());

        List<Mistake> mined = new MistakeMiner(new MiningOptions(4, 0.7f, 0.9f, 0.75, 0.1, 10L)).mine(report, ev);
        Map<String, Mistake> byId = mined.stream().collect(Collectors.toMap(x -> x.question().id(), x -> x));
        assertEquals(Set.of("unsure", "flat", "wrong", "garbage"), byId.keySet());
        assertEquals(Set.of(Mistake.WRONG), byId.get("wrong").reasons());
        assertEquals(Set.of(Mistake.UNPARSEABLE), byId.get("garbage").reasons());
        assertEquals(Set.of(Mistake.LOW_AGREEMENT), byId.get("unsure").reasons());
        assertEquals(0.5, byId.get("unsure").agreement(), 1e-12);
        assertEquals(Set.of(Mistake.LOW_MARGIN), byId.get("flat").reasons());
        assertEquals(0.05, byId.get("flat").margin(), 1e-5);
        assertEquals(0.85, byId.get("unsure").margin(), 1e-5);
        assertTrue(byId.get("unsure").uncertainOnly());
        assertTrue(!byId.get("wrong").uncertainOnly());

        // thresholds are configurable: tau 0.5 accepts 2/4 agreement, delta 0.01 accepts the 0.05 margin
        List<Mistake> lenient = new MistakeMiner(new MiningOptions(4, 0.7f, 0.9f, 0.5, 0.01, 10L)).mine(report, ev);
        assertEquals(Set.of("wrong", "garbage"), lenient.stream().map(x -> x.question().id()).collect(Collectors.toSet()));
        // wrong-only mining never samples
        int before = m.generateCalls;
        assertEquals(2, new MistakeMiner(MiningOptions.wrongOnly()).mine(report, ev).size());
        assertEquals(before, m.generateCalls);
    }

    @Test
    void agreementCountsTheModalAnswerAndNeverUnparseables() {
        ParsedAnswer a = new ParsedAnswer("a", true, "x");
        ParsedAnswer b = new ParsedAnswer("b", false, "x");
        ParsedAnswer none = ParsedAnswer.none();
        assertEquals(0.6, MistakeMiner.agreement(List.of(a, b, b, b, a)), 1e-12);
        assertEquals(0.25, MistakeMiner.agreement(List.of(none, none, none, a)), 1e-12);
        assertEquals(0.0, MistakeMiner.agreement(List.of(none, none)), 1e-12);
    }
}
