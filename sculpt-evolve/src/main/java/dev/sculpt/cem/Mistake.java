package dev.sculpt.cem;

import java.util.Set;

/**
 * A question the loop should learn from, and why: {@code wrong}, {@code unparseable}, {@code low-agreement}
 * (sampled answers disagree) or {@code low-margin}. {@code agreement} and {@code margin} are NaN when not measured.
 */
public record Mistake(Answered answered, Set<String> reasons, double agreement, double margin) {
    public static final String WRONG = "wrong";
    public static final String UNPARSEABLE = "unparseable";
    public static final String LOW_AGREEMENT = "low-agreement";
    public static final String LOW_MARGIN = "low-margin";

    public Mistake {
        reasons = Set.copyOf(reasons);
    }

    public Question question() { return answered.question(); }

    /** True when the greedy answer was right but the model was unsure. */
    public boolean uncertainOnly() { return !reasons.contains(WRONG) && !reasons.contains(UNPARSEABLE); }
}
