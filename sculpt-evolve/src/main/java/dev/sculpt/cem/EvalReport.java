package dev.sculpt.cem;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The answers to one question set. */
public record EvalReport(String set, List<Answered> answers) {
    public EvalReport {
        answers = List.copyOf(answers);
    }

    public int total() { return answers.size(); }

    public int correct() { return (int) answers.stream().filter(Answered::correct).count(); }

    public int unparseable() { return (int) answers.stream().filter(Answered::unparseable).count(); }

    public double accuracy() { return total() == 0 ? 0 : (double) correct() / total(); }

    /** Question id -> correct. */
    public Map<String, Boolean> correctness() {
        Map<String, Boolean> m = new HashMap<>();
        for (Answered a : answers) m.put(a.question().id(), a.correct());
        return m;
    }
}
