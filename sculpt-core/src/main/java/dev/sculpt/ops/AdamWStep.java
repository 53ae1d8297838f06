package dev.sculpt.ops;

import dev.sculpt.SculptException;

/**
 * The scalars of one AdamW step (Loshchilov and Hutter, decoupled weight decay), as {@code dev.sculpt.train.AdamW}
 * uses them: {@code step} counts from 1 for bias correction; {@code weightDecay} is the decoupled coefficient
 * (0 for tensors without decay: norms, biases).
 */
public record AdamWStep(float lr, float beta1, float beta2, float eps, float weightDecay, long step) {
    public AdamWStep {
        if (!(lr >= 0)) throw new SculptException("AdamW learning rate must be >= 0, got " + lr);
        if (!(beta1 >= 0 && beta1 < 1)) throw new SculptException("AdamW beta1 must be in [0, 1), got " + beta1);
        if (!(beta2 >= 0 && beta2 < 1)) throw new SculptException("AdamW beta2 must be in [0, 1), got " + beta2);
        if (!(eps > 0)) throw new SculptException("AdamW eps must be > 0, got " + eps);
        if (!(weightDecay >= 0)) throw new SculptException("AdamW weight decay must be >= 0, got " + weightDecay);
        if (step < 1) throw new SculptException("AdamW step must be >= 1, got " + step);
    }

    /** lr / (1 - beta1^t), rounded to float32 as the optimizer does. */
    public float stepSize() {
        return lr / (float) (1 - Math.pow(beta1, step));
    }

    /** 1 / sqrt(1 - beta2^t), rounded to float32. */
    public float invSqrtBiasCorrection2() {
        return (float) (1 / Math.sqrt((float) (1 - Math.pow(beta2, step))));
    }
}
