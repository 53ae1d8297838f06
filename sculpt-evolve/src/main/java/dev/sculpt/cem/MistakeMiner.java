package dev.sculpt.cem;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds what the model should learn: wrong and unparseable answers, plus correct answers the model is unsure of.
 * Agreement of k samples = (count of the most frequent parsed answer among them) / k, where unparseable samples
 * never agree with anything; low when below tau. Margin = {@link Examiner#firstTokenMargin}; low when below delta.
 */
public final class MistakeMiner {
    private final MiningOptions options;

    public MistakeMiner(MiningOptions options) {
        this.options = options;
    }

    public List<Mistake> mine(EvalReport report, Examiner evaluator) {
        List<Mistake> out = new ArrayList<>();
        int index = 0;
        for (Answered a : report.answers()) {
            index++;
            Set<String> reasons = new LinkedHashSet<>();
            if (a.unparseable()) reasons.add(Mistake.UNPARSEABLE);
            else if (!a.correct()) reasons.add(Mistake.WRONG);
            double agreement = Double.NaN;
            double margin = Double.NaN;
            if (reasons.isEmpty()) {
                if (options.delta() > 0) {
                    margin = evaluator.firstTokenMargin(a.question());
                    if (margin < options.delta()) reasons.add(Mistake.LOW_MARGIN);
                }
                if (options.samples() > 0) {
                    List<ParsedAnswer> s = evaluator.sample(a.question(), options.samples(), options.temperature(),
                            options.topP(), options.seed() + 1000L * index);
                    agreement = agreement(s);
                    if (agreement < options.tau()) reasons.add(Mistake.LOW_AGREEMENT);
                }
            }
            if (!reasons.isEmpty()) out.add(new Mistake(a, reasons, agreement, margin));
        }
        return out;
    }

    /** Share of samples that give the most frequent parsed answer; unparseable samples count for nothing. */
    public static double agreement(List<ParsedAnswer> samples) {
        if (samples.isEmpty()) return 1;
        Map<String, Integer> counts = new HashMap<>();
        int top = 0;
        for (ParsedAnswer p : samples) {
            if (p.unparseable()) continue;
            top = Math.max(top, counts.merge(p.key(), 1, Integer::sum));
        }
        return (double) top / samples.size();
    }
}
