package dev.sculpt.model;

import dev.sculpt.ops.Ops;
import dev.sculpt.ops.ScalarSums;
import java.util.List;

/**
 * What the trainer, the continual runner and the mistake loop need of a model (LLaMA or T5).
 * Implementations keep forward and backward explicit, layer by layer (no tape).
 */
public interface LanguageModel extends AutoCloseable {
    /** "llama" or "t5". */
    String architecture();

    /**
     * The ops provider the model's parameters and activations live on. Training, evaluation and generation of this
     * model run their arithmetic through it. The model owns it only when it created it (the loaders without a
     * provider argument); otherwise the caller closes it after the model.
     */
    Ops ops();

    /** All parameters under their Hugging Face names, in a stable order. */
    List<Parameter> parameters();

    /** Vocabulary size of the output layer. */
    int vocabSize();

    /**
     * Forward and backward over a micro-batch: adds {@code gradScale * d(sum of target-token losses)/d(theta)}
     * into every trainable parameter's gradient and returns the summed loss.
     */
    LossSum forwardBackward(List<Example> batch, float gradScale);

    /**
     * As {@link #forwardBackward(List, float)}, but the summed loss is added to slot {@code slot} of
     * {@code lossSums} (sums of {@link #ops()}) instead of being returned, so that a trainer on a device reads the
     * loss back once per optimizer step; returns the number of target tokens. The default adds the returned sum
     * from the host; the engine's models keep it on the device.
     */
    default long forwardBackward(List<Example> batch, float gradScale, ScalarSums lossSums, int slot) {
        LossSum loss = forwardBackward(batch, gradScale);
        lossSums.add(slot, loss.sum());
        return loss.tokens();
    }

    /** Forward only: the summed target-token loss. */
    LossSum loss(List<Example> batch);

    /**
     * Logits [positions][vocab]. Causal models: for {@code ids}; encoder-decoder models: the decoder's logits for
     * {@code decoderIds} given encoder input {@code ids}.
     */
    float[][] logits(int[] ids, int[] decoderIds);

    /** New tokens after {@code prompt} (KV-cached), stopping as the options say. */
    int[] generate(int[] prompt, GenerationOptions options);

    /**
     * Layer importance input: for each transformer block (in order; T5: encoder blocks then decoder blocks),
     * the mean over tokens of cos(block input, block output) on the given sample.
     */
    double[] blockInputOutputCosine(List<Example> sample);

    /**
     * As {@link #blockInputOutputCosine(List)}, running at most {@code examplesPerPass} examples per forward pass, so
     * that the pass holds no more activations than a training micro-batch of that many examples (what a run's
     * memory plan sizes). The default runs the whole sample at once.
     */
    default double[] blockInputOutputCosine(List<Example> sample, int examplesPerPass) {
        return blockInputOutputCosine(sample);
    }

    /** Index of the block a parameter belongs to (for rank allocation), or -1 when it is in none. */
    int blockOf(String parameterName);

    /** Parameter names the OSFT constraint applies to (LLaMA q/k/v/o/gate/up/down; T5 q/k/v/o/wi/wo). */
    List<String> targetMatrixNames();

    /**
     * Activation recomputation (gradient checkpointing per layer) on or off (off until set): the forward keeps only
     * each layer's input and the backward recomputes one layer at a time, with bit-identical gradients and losses.
     * A model without it refuses {@code true}.
     */
    default void recomputeActivations(boolean on) {
        if (on) throw new dev.sculpt.SculptException(architecture() + " model does not support activation recomputation");
    }

    /**
     * bf16 compute on or off (off until set): the products of the decomposable projections (LLaMA q/k/v/o/gate/up/down,
     * T5 q/k/v/o/wi/wo; see {@link dev.sculpt.engine.Linear}) run on bf16 operands with float32 accumulation, from bf16
     * compute copies of the float32 master weights. Embeddings, norms, attention, activations, lm_head, the loss,
     * gradients and optimizer state stay float32. A model without it refuses {@code true}.
     */
    default void computeInBf16(boolean on) {
        if (on) throw new dev.sculpt.SculptException(architecture() + " model does not support bf16 compute");
    }

    @Override
    void close();
}
