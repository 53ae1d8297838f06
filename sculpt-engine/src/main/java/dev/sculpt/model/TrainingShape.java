package dev.sculpt.model;

import java.util.List;

/**
 * What the memory planner ({@code dev.sculpt.plan.MemoryPlanner}) needs to know of an architecture to size full
 * fine-tuning: its parameter count, its OSFT target matrices, and the activations one training token keeps per
 * layer for the backward pass. Counts are elements, not bytes: the planner applies the precision.
 *
 * @param parameters                  every trainable parameter (tied matrices once)
 * @param targets                     the 2-D matrices OSFT constrains, by shape
 * @param layers                      transformer blocks (decoder and encoder blocks added up for T5)
 * @param hidden                      model width; a layer's input kept per token under recomputation
 * @param vocab                       vocabulary size; logits and their gradient are kept per token
 * @param savedPerTokenPerLayer       activation elements one token keeps per layer, attention scores apart
 * @param attentionHeads              query heads; each keeps one row of softmax probabilities per token
 * @param normsPerLayer               normalisations per layer; each keeps one float32 reciprocal RMS per token
 */
public record TrainingShape(long parameters, List<TargetGroup> targets, int layers, int hidden, int vocab,
                            long savedPerTokenPerLayer, int attentionHeads, int normsPerLayer) {
    public TrainingShape {
        targets = List.copyOf(targets);
    }

    /** {@code count} target matrices of {@code rows x cols} (HF [out, in] layout), named for the plan's table. */
    public record TargetGroup(String name, int rows, int cols, int count) {}
}
