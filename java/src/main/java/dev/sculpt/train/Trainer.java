package dev.sculpt.train;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.Parameter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * Fine-tunes a {@link LanguageModel} on a list of examples: seeded shuffling per epoch, micro-batches with
 * gradient accumulation, the loss averaged over all target tokens of an optimizer step, a warmup-then-decay
 * learning rate, and a pluggable {@link ParameterUpdater} (dense AdamW with an optional constraint, or LoRA).
 * Deterministic for a given seed.
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
        AdamW adam = config.newOptimizer();
        return train(data, new DenseAdamWUpdater(model.parameters(), adam, config.clipNorm(), constraint), listener);
    }

    public TrainResult train(List<Example> data, ParameterUpdater updater, StepListener listener) {
        if (data.isEmpty()) throw new SculptException("no training examples");
        int perStep = config.batchSize() * config.gradAccum();
        int totalSteps = config.totalSteps(data.size());
        int warmup = Math.round(config.warmupFraction() * totalSteps);
        LrSchedule schedule = new LrSchedule(config.schedule(), config.lr(), warmup, totalSteps, 0f);
        List<Double> losses = new ArrayList<>(totalSteps);
        List<Parameter> params = model.parameters();
        int step = 0;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            List<Example> order = shuffled(data, config.seed() * 1_000_003L + epoch);
            for (int start = 0; start < order.size(); start += perStep) {
                List<Example> stepExamples = order.subList(start, Math.min(order.size(), start + perStep));
                long tokens = 0;
                for (Example e : stepExamples) tokens += e.target().length;
                if (tokens == 0) throw new SculptException("an optimizer step has no target tokens (empty completions)");
                for (Parameter p : params) if (p.trainable()) p.zeroGrad();
                LossSum sum = new LossSum(0, 0);
                for (int mb = 0; mb < stepExamples.size(); mb += config.batchSize()) {
                    List<Example> micro = stepExamples.subList(mb, Math.min(stepExamples.size(), mb + config.batchSize()));
                    sum = sum.plus(model.forwardBackward(micro, 1f / tokens));
                }
                float lr = schedule.at(step);
                double norm = updater.step(lr, step);
                double mean = sum.mean();
                if (!Double.isFinite(mean)) throw new SculptException("training diverged: loss " + mean + " at step " + (step + 1));
                losses.add(mean);
                step++;
                if (listener != null) listener.onStep(step, totalSteps, mean, lr, norm);
            }
        }
        return new TrainResult(losses);
    }

    static List<Example> shuffled(List<Example> data, long seed) {
        List<Example> l = new ArrayList<>(data);
        java.util.Collections.shuffle(l, new Random(seed));
        return l;
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
