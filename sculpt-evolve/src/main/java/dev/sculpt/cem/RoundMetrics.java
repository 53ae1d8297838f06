package dev.sculpt.cem;

/**
 * One row of metrics.json. Round 0 is the model before the loop. Held-out and ood are null when not given.
 * Counts describe the work of the round: mistakes mined (of which uncertain-only), knowledge points, passages
 * retrieved, training items by part, optimizer steps, and first/last-epoch training loss. {@code retrievalHits} is
 * the share of the round's mistakes for which a retrieved passage contains both the question's entity and the gold
 * answer ({@link MistakeRetrieval#hitShare}); null for round 0.
 */
public record RoundMetrics(int round, SetMetrics probe, SetMetrics heldout, SetMetrics ood,
                           int mistakes, int uncertain, int points, int passages,
                           int cptItems, int citItems, int replayItems, int trainSteps,
                           Double firstLoss, Double lastLoss, double seconds,
                           Double retrievalHits) {}
