package dev.sculpt.train;

import dev.sculpt.SculptException;

/**
 * Settings of one fine-tuning run (one task).
 *
 * @param lr           peak learning rate
 * @param epochs       passes over the task's data
 * @param batchSize    examples per micro-batch
 * @param gradAccum    micro-batches per optimizer step (effective batch = batchSize * gradAccum)
 * @param warmupFraction share of the optimizer steps spent in linear warmup
 * @param schedule     decay after warmup
 * @param beta1        AdamW beta1
 * @param beta2        AdamW beta2
 * @param eps          AdamW epsilon
 * @param weightDecay  decoupled weight decay (applied to 2-D weights only)
 * @param clipNorm     global gradient-norm limit; 0 disables clipping
 * @param seed         seed of shuffling (a run is deterministic for a seed)
 */
public record TrainConfig(float lr, int epochs, int batchSize, int gradAccum, float warmupFraction,
                          LrSchedule.Kind schedule, float beta1, float beta2, float eps, float weightDecay,
                          float clipNorm, long seed) {
    public TrainConfig {
        if (!(lr > 0) || !Float.isFinite(lr)) throw new SculptException("--lr must be > 0, got " + lr);
        if (epochs < 1) throw new SculptException("--epochs must be >= 1, got " + epochs);
        if (batchSize < 1) throw new SculptException("--batch-size must be >= 1, got " + batchSize);
        if (gradAccum < 1) throw new SculptException("--grad-accum must be >= 1, got " + gradAccum);
        if (!(warmupFraction >= 0 && warmupFraction < 1)) throw new SculptException("--warmup must be in [0, 1), got " + warmupFraction);
        if (schedule == null) throw new SculptException("schedule must not be null");
        if (!(weightDecay >= 0)) throw new SculptException("--weight-decay must be >= 0, got " + weightDecay);
        if (!(clipNorm >= 0)) throw new SculptException("--clip must be >= 0, got " + clipNorm);
    }

    public static TrainConfig defaults() {
        return new TrainConfig(1e-4f, 1, 8, 1, 0.03f, LrSchedule.Kind.COSINE, 0.9f, 0.999f, 1e-8f, 0.01f, 1.0f, 42L);
    }

    public TrainConfig withLr(float v) { return new TrainConfig(v, epochs, batchSize, gradAccum, warmupFraction, schedule, beta1, beta2, eps, weightDecay, clipNorm, seed); }
    public TrainConfig withEpochs(int v) { return new TrainConfig(lr, v, batchSize, gradAccum, warmupFraction, schedule, beta1, beta2, eps, weightDecay, clipNorm, seed); }
    public TrainConfig withBatchSize(int v) { return new TrainConfig(lr, epochs, v, gradAccum, warmupFraction, schedule, beta1, beta2, eps, weightDecay, clipNorm, seed); }
    public TrainConfig withGradAccum(int v) { return new TrainConfig(lr, epochs, batchSize, v, warmupFraction, schedule, beta1, beta2, eps, weightDecay, clipNorm, seed); }
    public TrainConfig withWarmup(float v) { return new TrainConfig(lr, epochs, batchSize, gradAccum, v, schedule, beta1, beta2, eps, weightDecay, clipNorm, seed); }
    public TrainConfig withSchedule(LrSchedule.Kind v) { return new TrainConfig(lr, epochs, batchSize, gradAccum, warmupFraction, v, beta1, beta2, eps, weightDecay, clipNorm, seed); }
    public TrainConfig withWeightDecay(float v) { return new TrainConfig(lr, epochs, batchSize, gradAccum, warmupFraction, schedule, beta1, beta2, eps, v, clipNorm, seed); }
    public TrainConfig withClipNorm(float v) { return new TrainConfig(lr, epochs, batchSize, gradAccum, warmupFraction, schedule, beta1, beta2, eps, weightDecay, v, seed); }
    public TrainConfig withSeed(long v) { return new TrainConfig(lr, epochs, batchSize, gradAccum, warmupFraction, schedule, beta1, beta2, eps, weightDecay, clipNorm, v); }

    /** Optimizer steps for {@code examples} training examples. */
    public int totalSteps(int examples) {
        int perStep = batchSize * gradAccum;
        return epochs * ((examples + perStep - 1) / perStep);
    }

    public AdamW newOptimizer() {
        return new AdamW(beta1, beta2, eps, weightDecay);
    }
}
