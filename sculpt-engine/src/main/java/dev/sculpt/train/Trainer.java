package dev.sculpt.train;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.ScalarSums;
import dev.sculpt.osft.UpdateConstraint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Fine-tunes a {@link LanguageModel} on a list of examples: seeded shuffling per epoch, micro-batches with
 * gradient accumulation, the loss averaged over all target tokens of an optimizer step, a warmup-then-decay
 * learning rate, and a pluggable {@link ParameterUpdater} (dense AdamW with an optional constraint, or LoRA).
 * Deterministic for a given seed.
 *
 * <p>The step's loss is added up across micro-batches where the model computes ({@link ScalarSums} of the model's
 * provider) and read back once per optimizer step, after the update; with {@link DenseAdamWUpdater} the only other
 * device-to-host read of a step is the gradient norm (one double).
 */
public final class Trainer {
    /** Told about every optimizer step. */
    public interface StepListener {
        void onStep(int step, int totalSteps, double meanLoss, float lr, double gradNorm);
    }

    private final LanguageModel model;
    private final TrainConfig config;

    public Trainer(LanguageModel model, TrainConfig config) {
        this.model = model;
        this.config = config;
    }

    /** Full fine-tuning with AdamW and the given constraint ({@link UpdateConstraint#NONE} for none). */
    public TrainResult train(List<Example> data, UpdateConstraint constraint, StepListener listener) {
        try (DenseAdamWUpdater updater = new DenseAdamWUpdater(model.ops(), model.parameters(), config.newOptimizer(),
                config.clipNorm(), constraint)) {
            return train(data, updater, listener);
        }
    }

    public TrainResult train(List<Example> data, ParameterUpdater updater, StepListener listener) {
        return train(data, updater, listener, null, 0, null);
    }

    /** Receives a {@link TrainProgress} every {@code saveEvery} optimizer steps (to write a training-state checkpoint). */
    public interface ProgressSink {
        void save(TrainProgress progress);
    }

    /**
     * Trains from {@code start} ({@code null}: from the first step; otherwise the model and {@code updater} must
     * already hold the weights and state of that point) and hands {@code sink} the progress after every
     * {@code saveEvery}-th optimizer step ({@code saveEvery} 0: never), except after the last one. A resumed run
     * takes exactly the steps an uninterrupted one would: the data order and learning rate of a step depend only
     * on the seed, the epoch and the step index.
     */
    public TrainResult train(List<Example> data, ParameterUpdater updater, StepListener listener,
                             TrainProgress start, int saveEvery, ProgressSink sink) {
        try (ScalarSums lossSum = model.ops().scalarSums("step loss", 1)) {
            return train(data, updater, listener, start, saveEvery, sink, lossSum);
        }
    }

    private TrainResult train(List<Example> data, ParameterUpdater updater, StepListener listener,
                              TrainProgress start, int saveEvery, ProgressSink sink, ScalarSums lossSum) {
        if (data.isEmpty()) throw new SculptException("no training examples");
        if (saveEvery < 0) throw new SculptException("checkpoint interval must be >= 0 steps, got " + saveEvery);
        int perStep = config.batchSize() * config.gradAccum();
        int stepsPerEpoch = (data.size() + perStep - 1) / perStep;
        int totalSteps = config.totalSteps(data.size());
        int warmup = Math.round(config.warmupFraction() * totalSteps);
        LrSchedule schedule = new LrSchedule(config.schedule(), config.lr(), warmup, totalSteps, 0f);
        List<Double> losses = new ArrayList<>(totalSteps);
        List<Parameter> params = model.parameters();
        int step = 0;
        if (start != null) {
            if (start.step() < 0 || start.step() >= totalSteps) {
                throw new SculptException("cannot resume at step " + start.step() + " of a task of " + totalSteps + " steps");
            }
            if (start.losses().size() != start.step()) {
                throw new SculptException("resume point has " + start.losses().size() + " step losses for " + start.step() + " steps");
            }
            int epoch = start.step() / stepsPerEpoch;
            if (start.epoch() != epoch || start.shuffleSeed() != shuffleSeed(epoch)
                    || !Arrays.equals(start.order(), order(data.size(), shuffleSeed(epoch)))) {
                throw new SculptException("the saved data order of epoch " + (start.epoch() + 1)
                        + " is not this run's (different seed, epochs or training data)");
            }
            losses.addAll(start.losses());
            step = start.step();
        }
        for (int epoch = step / stepsPerEpoch; epoch < config.epochs(); epoch++) {
            int[] order = order(data.size(), shuffleSeed(epoch));
            for (int start0 = (step - epoch * stepsPerEpoch) * perStep; start0 < order.length; start0 += perStep) {
                List<Example> stepExamples = new ArrayList<>(perStep);
                for (int i = start0; i < Math.min(order.length, start0 + perStep); i++) stepExamples.add(data.get(order[i]));
                long tokens = 0;
                for (Example e : stepExamples) tokens += e.target().length;
                if (tokens == 0) throw new SculptException("an optimizer step has no target tokens (empty completions)");
                for (Parameter p : params) if (p.trainable()) p.zeroGrad();
                lossSum.reset();   // the micro-batches' losses add up where the model computes
                long counted = 0;
                for (int mb = 0; mb < stepExamples.size(); mb += config.batchSize()) {
                    List<Example> micro = stepExamples.subList(mb, Math.min(stepExamples.size(), mb + config.batchSize()));
                    counted += model.forwardBackward(micro, 1f / tokens, lossSum, 0);
                }
                float lr = schedule.at(step);
                double norm = updater.step(lr, step);
                double mean = new LossSum(lossSum.read()[0], counted).mean();   // the step's one loss read
                if (!Double.isFinite(mean)) throw new SculptException("training diverged: loss " + mean + " at step " + (step + 1));
                losses.add(mean);
                step++;
                if (listener != null) listener.onStep(step, totalSteps, mean, lr, norm);
                if (sink != null && saveEvery > 0 && step % saveEvery == 0 && step < totalSteps) {
                    int nextEpoch = step / stepsPerEpoch;
                    long seed = shuffleSeed(nextEpoch);
                    sink.save(new TrainProgress(step, nextEpoch, seed, nextEpoch == epoch ? order : order(data.size(), seed), losses));
                }
            }
        }
        return new TrainResult(losses);
    }

    private long shuffleSeed(int epoch) {
        return config.seed() * 1_000_003L + epoch;
    }

    /** The data order of an epoch: a permutation of 0..n-1, seeded {@code java.util.Collections.shuffle}. */
    static int[] order(int n, long seed) {
        List<Integer> idx = new ArrayList<>(n);
        for (int i = 0; i < n; i++) idx.add(i);
        java.util.Collections.shuffle(idx, new Random(seed));
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = idx.get(i);
        return out;
    }

    /** Mean per-token loss of a data set, in batches of {@code batchSize}. */
    public static double meanLoss(LanguageModel model, List<Example> data, int batchSize) {
        LossSum s = new LossSum(0, 0);
        for (int i = 0; i < data.size(); i += batchSize) s = s.plus(model.loss(data.subList(i, Math.min(data.size(), i + batchSize))));
        return s.mean();
    }

    /** Maps examples with a function, keeping order (a small helper for callers that tokenize). */
    public static <T> List<Example> examples(List<T> items, Function<T, Example> f) {
        List<Example> out = new ArrayList<>(items.size());
        for (T t : items) out.add(f.apply(t));
        return out;
    }
}
