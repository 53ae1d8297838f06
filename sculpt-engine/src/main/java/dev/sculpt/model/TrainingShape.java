package dev.sculpt.model;

import java.util.List;

/**
 * What the memory planner ({@code dev.sculpt.plan.MemoryPlanner}) needs to know of an architecture to size full
 * fine-tuning: its parameter tensors, its OSFT target matrices, and the activations one training token keeps per
 * layer for the backward pass. Counts are elements, not bytes: the planner applies the precision.
 *
 * @param parameters                  every trainable parameter (tied matrices once): the sum of {@code parameterTensors}
 * @param targets                     the 2-D matrices OSFT constrains, by shape
 * @param layers                      transformer blocks (decoder and encoder blocks added up for T5)
 * @param hidden                      model width; a layer's input kept per token under recomputation
 * @param vocab                       vocabulary size; logits and their gradient are kept per loss token
 * @param savedPerTokenPerLayer       activation elements one token keeps per layer, attention scores apart: the sum
 *                                    of {@code savedWidths}
 * @param attentionHeads              query heads; each keeps one row of softmax probabilities per token
 * @param normsPerLayer               normalisations per layer; each keeps one float32 reciprocal RMS per token
 * @param parameterTensors            every trainable parameter tensor, grouped by shape (one device block each, and
 *                                    one AdamW update tensor per distinct shape)
 * @param savedWidths                 the per-token widths of the activation buffers one layer keeps (one device
 *                                    block each), attention scores and reciprocal RMS apart
 */
public record TrainingShape(long parameters, List<TargetGroup> targets, int layers, int hidden, int vocab,
                            long savedPerTokenPerLayer, int attentionHeads, int normsPerLayer,
                            List<TensorGroup> parameterTensors, List<Integer> savedWidths) {
    public TrainingShape {
        targets = List.copyOf(targets);
        parameterTensors = List.copyOf(parameterTensors);
        savedWidths = List.copyOf(savedWidths);
        long p = 0;
        for (TensorGroup g : parameterTensors) p += g.count() * g.elements();
        if (p != parameters) {
            throw new IllegalArgumentException("parameter tensors add up to " + p + " elements, not the " + parameters + " parameters");
        }
        long w = 0;
        for (int x : savedWidths) w += x;
        if (w != savedPerTokenPerLayer) {
            throw new IllegalArgumentException("saved buffer widths add up to " + w + ", not " + savedPerTokenPerLayer + " per token and layer");
        }
    }

    /** {@code count} target matrices of {@code rows x cols} (HF [out, in] layout), named for the plan's table. */
    public record TargetGroup(String name, int rows, int cols, int count) {}

    /** {@code count} parameter tensors of {@code shape}, named for messages. */
    public record TensorGroup(String name, List<Integer> shape, int count) {
        public TensorGroup {
            shape = List.copyOf(shape);
        }

        /** Elements of one tensor. */
        public long elements() {
            long e = 1;
            for (int d : shape) e *= d;
            return e;
        }
    }
}
