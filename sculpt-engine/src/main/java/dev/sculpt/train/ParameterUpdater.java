package dev.sculpt.train;

/**
 * Turns the gradients accumulated in the model's parameters into a weight change (one optimizer step).
 * {@link DenseAdamWUpdater} is full fine-tuning; a LoRA updater maps the dense gradient to adapter factors.
 * Closing frees what the updater allocated (moments, update buffers).
 */
public interface ParameterUpdater extends AutoCloseable {
    /** Applies one optimizer step at learning rate {@code lr}; returns the gradient norm before clipping. */
    double step(float lr, long stepIndex);

    /** Everything this updater carries to the next step besides the model's weights (copies). */
    UpdaterState saveState();

    /**
     * Continues from a {@link #saveState()} of an updater built the same way (same parameters, same start weights);
     * refuses state that does not fit.
     */
    void restoreState(UpdaterState state);

    @Override
    void close();
}
