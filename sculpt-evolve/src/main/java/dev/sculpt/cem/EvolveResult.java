package dev.sculpt.cem;

import java.util.List;

/** The metrics of every round (round 0 first) and why the loop stopped. */
public record EvolveResult(List<RoundMetrics> rounds, String stopReason) {
    public EvolveResult {
        rounds = List.copyOf(rounds);
    }

    public RoundMetrics first() { return rounds.get(0); }

    public RoundMetrics last() { return rounds.get(rounds.size() - 1); }
}
