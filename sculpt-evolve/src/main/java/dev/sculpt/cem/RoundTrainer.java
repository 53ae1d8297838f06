package dev.sculpt.cem;

import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import java.util.List;

/**
 * Trains a model in place on one round's examples, starting from its current weights (the previous round's).
 * Implementations wrap the continual trainer: OSFT (subspace-constrained) or plain sequential fine-tuning.
 */
public interface RoundTrainer {
    TrainSummary train(LanguageModel model, List<Example> examples, int round);

    /** Writes whatever the trainer carries from round to round into a checkpoint directory (to resume). */
    default void saveState(java.nio.file.Path dir) {}

    /**
     * Restores what {@link #saveState} wrote, on resuming after the rounds whose training examples were
     * {@code seen} (in order).
     */
    default void restoreState(java.nio.file.Path dir, List<Example> seen) {}

    /** What a round's training did: optimizer steps, mean loss of the first and last epoch, wall seconds. */
    record TrainSummary(int steps, double firstLoss, double lastLoss, double seconds) {}
}
