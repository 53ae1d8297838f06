package dev.sculpt.cem;

import java.util.Map;

/**
 * Accuracy on one question set after a round, with changes against the previous round: fixed (wrong -> right),
 * broken (right -> wrong) and forgetting rate = broken / previously correct (0 when none was correct).
 */
public record SetMetrics(double accuracy, int correct, int total, int unparseable, int fixed, int broken, double forgettingRate) {
    public static SetMetrics of(EvalReport now, EvalReport before) {
        int fixed = 0, broken = 0, before_ = 0;
        if (before != null) {
            Map<String, Boolean> prev = before.correctness();
            for (Answered a : now.answers()) {
                Boolean was = prev.get(a.question().id());
                if (was == null) continue;
                if (was) before_++;
                if (was && !a.correct()) broken++;
                if (!was && a.correct()) fixed++;
            }
        }
        return new SetMetrics(now.accuracy(), now.correct(), now.total(), now.unparseable(), fixed, broken,
                before_ == 0 ? 0 : (double) broken / before_);
    }
}
