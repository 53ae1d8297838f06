package dev.sculpt.train;

/**
 * Turns the gradients accumulated in the model's parameters into a weight change (one optimizer step).
 * {@link DenseAdamWUpdater} is full fine-tuning; a LoRA updater maps the dense gradient to adapter factors.
 */
public interface ParameterUpdater {
    /** Applies one optimizer step at learning rate {@code lr}; returns the gradient norm before clipping. */
    double step(float lr, long stepIndex);
}
