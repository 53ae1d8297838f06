package dev.sculpt.train;

import java.util.List;

/**
 * Where a task's training stands between two optimizer steps: {@code step} optimizer steps are done (gradient
 * accumulation is always at a step boundary here), {@code losses} holds their mean losses, and {@code order} is
 * the data order (indices into the task's examples) of the epoch that holds the next step, shuffled with
 * {@code shuffleSeed}. The learning-rate schedule position is {@code step}. With the model's weights and the
 * updater's {@link UpdaterState} it is everything that decides the following steps.
 */
public record TrainProgress(int step, int epoch, long shuffleSeed, int[] order, List<Double> losses) {
    public TrainProgress {
        order = order.clone();
        losses = List.copyOf(losses);
    }
}
