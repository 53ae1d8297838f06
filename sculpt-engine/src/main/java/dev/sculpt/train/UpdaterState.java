package dev.sculpt.train;

import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@link ParameterUpdater} carries from one optimizer step to the next besides the model's weights:
 * float tensors by name (AdamW moments, LoRA factors) and integer counters by name (AdamW's per-tensor step
 * count, which drives the bias correction).
 */
public record UpdaterState(Map<String, float[]> tensors, Map<String, Integer> counters) {
    public UpdaterState {
        tensors = new TreeMap<>(tensors);
        counters = new TreeMap<>(counters);
    }
}
