package dev.sculpt.model;

import java.util.List;

/**
 * What the memory planner ({@code dev.sculpt.plan.MemoryPlanner}) needs to know of an architecture to size full
 * fine-tuning: its parameter tensors, its OSFT target matrices, and the activations one training token keeps per
 * layer for the backward pass. Counts are elements, not bytes: the planner applies the precision.
 *
 * @param parameters                  every trainable parameter (tied matrices once): the sum of {@code parameterTensors}
 * @param targets                     the 2-D matrices OSFT constrains, by shape
 * @param layers                      transformer blocks (the decoder's with an {@code encoder})
 * @param hidden                      model width; a layer's input kept per token under recomputation
 * @param vocab                       vocabulary size; logits and their gradient are kept per loss token
 * @param savedPerTokenPerLayer       activation elements one token keeps per layer, attention scores apart: the sum
 *                                    of {@code savedWidths}
 * @param attentionHeads              query heads; each keeps one row of softmax probabilities per token
 * @param normsPerLayer               normalisations per layer; each keeps one float32 reciprocal RMS per token
 * @param parameterTensors            every trainable parameter tensor, grouped by shape (one device block each, and
 *                                    one AdamW update tensor per distinct shape)
 * @param savedWidths                 the per-token widths of the activation buffers one layer keeps (one device
 *                                    block each), attention scores and reciprocal RMS apart; the first is the
 *                                    layer's input
 * @param streamWidths                how many of {@code savedWidths}, from the first, are the residual stream and the
 *                                    norm outputs, float32 in every mode; the rest are what the attention and
 *                                    feed-forward blocks save, bf16 under bf16 compute without recomputation (as are
 *                                    the softmax probabilities)
 * @param encoder                     the encoder stack of an encoder-decoder model (T5), whose decoder blocks the
 *                                    fields above describe (per decoder token); null for a decoder-only model
 * @param decoding                    what evaluation by generation keeps per cached position (KV caches, decoding
 *                                    scratch); null when not stated (the planner then plans no evaluation)
 */
public record TrainingShape(long parameters, List<TargetGroup> targets, int layers, int hidden, int vocab,
                            long savedPerTokenPerLayer, int attentionHeads, int normsPerLayer,
                            List<TensorGroup> parameterTensors, List<Integer> savedWidths, int streamWidths, Encoder encoder,
                            Decoding decoding) {
    /** A decoder-only model. */
    public TrainingShape(long parameters, List<TargetGroup> targets, int layers, int hidden, int vocab, long savedPerTokenPerLayer,
                         int attentionHeads, int normsPerLayer, List<TensorGroup> parameterTensors, List<Integer> savedWidths,
                         int streamWidths) {
        this(parameters, targets, layers, hidden, vocab, savedPerTokenPerLayer, attentionHeads, normsPerLayer, parameterTensors,
                savedWidths, streamWidths, null, null);
    }

    /** Without a {@link Decoding}. */
    public TrainingShape(long parameters, List<TargetGroup> targets, int layers, int hidden, int vocab, long savedPerTokenPerLayer,
                         int attentionHeads, int normsPerLayer, List<TensorGroup> parameterTensors, List<Integer> savedWidths,
                         int streamWidths, Encoder encoder) {
        this(parameters, targets, layers, hidden, vocab, savedPerTokenPerLayer, attentionHeads, normsPerLayer, parameterTensors, savedWidths,
                streamWidths, encoder, null);
    }

    /** The same shape with {@code d} as its {@link Decoding}. */
    public TrainingShape withDecoding(Decoding d) {
        return new TrainingShape(parameters, targets, layers, hidden, vocab, savedPerTokenPerLayer, attentionHeads, normsPerLayer,
                parameterTensors, savedWidths, streamWidths, encoder, d);
    }

    /**
     * What KV-cached generation (evaluation by generation: engine.KvCache and the models' decoders) allocates beyond
     * the training buffers, in elements per position; see the memory planner for the bytes.
     *
     * @param layers     blocks that keep a KV cache: LLaMA's layers, T5's decoder blocks (each also keeps a
     *                   cross-attention cache over the encoder positions)
     * @param queryWidth one row of queries and of attention context: heads x head dim
     * @param kvWidth    one cached row of keys, and one of values, per block and position (LLaMA kv heads x head dim;
     *                   T5 heads x d_kv, for the self- and the cross-attention cache)
     * @param heads      query heads: each keeps a softmax row per decoded row (and T5's position bias one entry per
     *                   cached position)
     * @param positions  the most positions a cache holds (LLaMA: max_position_embeddings); Integer.MAX_VALUE when
     *                   the model sets none (T5's decoder cache is sized by the new tokens only)
     */
    public record Decoding(int layers, int queryWidth, int kvWidth, int heads, int positions) {
        public Decoding {
            if (layers < 1 || queryWidth < 1 || kvWidth < 1 || heads < 1 || positions < 1) {
                throw new IllegalArgumentException("decoding shape: layers, widths, heads and positions must be >= 1, got "
                        + layers + ", " + queryWidth + ", " + kvWidth + ", " + heads + ", " + positions);
            }
        }
    }

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
        checkStream(streamWidths, savedWidths);
    }

    private static void checkStream(int stream, List<Integer> widths) {
        if (stream < 1 || stream > widths.size()) {
            throw new IllegalArgumentException(stream + " stream widths of " + widths.size() + " saved buffers (the first, the input, is one)");
        }
    }

    /** Elements per token of the saved buffers the blocks keep (bf16 under bf16 saves): the widths after the stream's. */
    public static long blockWidthSum(List<Integer> widths, int streamWidths) {
        long s = 0;
        for (int i = streamWidths; i < widths.size(); i++) s += widths.get(i);
        return s;
    }

    /**
     * The encoder of an encoder-decoder model and what it adds to the decoder's blocks. Widths are elements per
     * token, one device block each.
     *
     * @param layers           encoder blocks
     * @param savedWidths      per encoder token, the activation buffers one encoder block keeps (the first is its
     *                         input), its softmax rows and reciprocal RMS apart
     * @param streamWidths     how many of {@code savedWidths}, from the first, stay float32 in every mode (as
     *                         {@link TrainingShape#streamWidths()}); the cross widths are the blocks' (bf16 saves)
     * @param attentionHeads   heads of the encoder's self-attention: per encoder token one softmax row of the encoder
     *                         sequence's length per head
     * @param normsPerLayer    norms per encoder block, one fp32 reciprocal RMS per token each
     * @param crossWidths      per encoder token, the buffers each decoder block keeps over the encoder output (its
     *                         cross-attention's projected keys and values)
     * @param crossHeads       heads of each decoder block's cross-attention: per decoder token one softmax row of the
     *                         encoder sequence's length per head
     * @param biasHeads        heads of a per-stack additive score bias (T5's relative position bias): each stack keeps
     *                         one row of its sequence's length per head and token, for all its blocks; its backward
     *                         takes one [heads, S, S] gradient plane of the longer sequence (0: no bias)
     * @param backward         the backward pass's activation-gradient buffers, each one device block, over the rows
     *                         it names
     */
    public record Encoder(int layers, List<Integer> savedWidths, int streamWidths, int attentionHeads, int normsPerLayer,
                          List<Integer> crossWidths, int crossHeads, int biasHeads, List<Scratch> backward) {
        public Encoder {
            checkStream(streamWidths, savedWidths);
            savedWidths = List.copyOf(savedWidths);
            crossWidths = List.copyOf(crossWidths);
            backward = List.copyOf(backward);
        }
    }

    /** Which rows of a micro-batch a backward buffer spans: the decoder's, the encoder's, or the more of the two. */
    public enum Rows { DECODER, ENCODER, LONGER }

    /** When a step holds a {@link Scratch} buffer. */
    public enum Held {
        /** in every mode */
        ALWAYS,
        /** only when activations are recomputed */
        RECOMPUTE,
        /** only under bf16 saves (bf16 compute without recomputation): the float32 staging of the blocks' saves */
        BF16_SAVES
    }

    /** A step's buffer of {@code width} float32 elements per row over {@code rows}, named for messages, held as {@code held} says. */
    public record Scratch(String name, int width, Rows rows, Held held) {}

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
