package dev.sculpt.train;

import java.util.List;

/** What one training run produced: the mean target-token loss of every optimizer step. */
public record TrainResult(List<Double> stepLosses) {
    public TrainResult {
        stepLosses = List.copyOf(stepLosses);
    }
}
