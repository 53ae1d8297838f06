package dev.sculpt.continual;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.train.TrainConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of a continual run.
 *
 * @param method              osft, seqft or lora
 * @param train               optimizer and batching per task (the seed of task t is seed + t)
 * @param rankPolicy          preserved rank per matrix (OSFT)
 * @param mode                projection mode (OSFT; two-sided by default)
 * @param accumulate          unite each task's protected bases with the earlier ones (OSFT)
 * @param protectInitial      also protect the initial model's subspace while training the first task (by default
 *                            the first task trains freely, as in the authors' fixed schedule)
 * @param calibrationExamples examples (drawn with the seed from earlier tasks' training data) for layer importance
 * @param loraRank            LoRA rank r (lora)
 * @param loraAlpha           LoRA alpha; the scale is alpha / r (lora)
 * @param checkEvery          invariant check interval in steps (OSFT; the last step of a task is always checked)
 * @param svd                 decomposition settings (method auto by default)
 * @param backend             where decompositions and projections run
 * @param resume              continue the run in the output directory from its last completed task
 * @param evalBatch           batch size of evaluation losses
 * @param nonTargets          what happens to parameters outside the target matrices while OSFT protects a subspace
 */
public record ContinualOptions(Method method, TrainConfig train, RankPolicy rankPolicy, ProjectionMode mode,
                               boolean accumulate, boolean protectInitial, int calibrationExamples, int loraRank,
                               float loraAlpha, int checkEvery, SvdOptions svd, Backend backend, boolean resume,
                               int evalBatch, NonTargets nonTargets) {
    public ContinualOptions {
        if (method == null || train == null || rankPolicy == null || mode == null || svd == null || backend == null) {
            throw new SculptException("continual options must not be null");
        }
        if (calibrationExamples < 1) throw new SculptException("--calibration must be >= 1, got " + calibrationExamples);
        if (checkEvery < 1) throw new SculptException("--check-every must be >= 1, got " + checkEvery);
        if (nonTargets == null) nonTargets = NonTargets.TRAIN;
        if (evalBatch < 1) throw new SculptException("evaluation batch must be >= 1, got " + evalBatch);
    }

    public static ContinualOptions defaults(Method method) {
        return new ContinualOptions(method, TrainConfig.defaults(), RankPolicy.importance(), ProjectionMode.TWO_SIDED,
                false, false, 32, 8, 16f, 20, SvdOptions.defaults(), Backends.cpu(), false, 8, NonTargets.TRAIN);
    }

    public ContinualOptions withMethod(Method m) { return new ContinualOptions(m, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withTrain(TrainConfig t) { return new ContinualOptions(method, t, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withRankPolicy(RankPolicy p) { return new ContinualOptions(method, train, p, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withMode(ProjectionMode m) { return new ContinualOptions(method, train, rankPolicy, m, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withAccumulate(boolean a) { return new ContinualOptions(method, train, rankPolicy, mode, a, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withProtectInitial(boolean p) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, p, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withCalibrationExamples(int n) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, n, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withLora(int r, float alpha) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, r, alpha, checkEvery, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withCheckEvery(int n) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, n, svd, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withSvd(SvdOptions s) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, s, backend, resume, evalBatch, nonTargets); }
    public ContinualOptions withBackend(Backend b) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, b, resume, evalBatch, nonTargets); }
    public ContinualOptions withResume(boolean r) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, r, evalBatch, nonTargets); }

    public ContinualOptions withEvalBatch(int n) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, n, nonTargets); }

    public ContinualOptions withNonTargets(NonTargets n) { return new ContinualOptions(method, train, rankPolicy, mode, accumulate, protectInitial, calibrationExamples, loraRank, loraAlpha, checkEvery, svd, backend, resume, evalBatch, n); }

    /** The settings as text, recorded in metrics.json. */
    public Map<String, String> describe() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("method", method.label());
        m.put("lr", Float.toString(train.lr()));
        m.put("epochs", Integer.toString(train.epochs()));
        m.put("batchSize", Integer.toString(train.batchSize()));
        m.put("gradAccum", Integer.toString(train.gradAccum()));
        m.put("schedule", train.schedule().name().toLowerCase() + ", warmup " + train.warmupFraction());
        m.put("weightDecay", Float.toString(train.weightDecay()));
        m.put("clipNorm", Float.toString(train.clipNorm()));
        m.put("seed", Long.toString(train.seed()));
        if (method == Method.OSFT) {
            m.put("rankPolicy", rankPolicy.toString());
            m.put("projection", mode.name().toLowerCase());
            m.put("accumulate", Boolean.toString(accumulate));
            m.put("protectInitial", Boolean.toString(protectInitial));
            m.put("nonTargets", nonTargets.name().toLowerCase());
            m.put("svd", svd.method().name().toLowerCase());
            m.put("backend", backend.name());
        }
        if (method == Method.LORA) {
            m.put("loraRank", Integer.toString(loraRank));
            m.put("loraAlpha", Float.toString(loraAlpha));
        }
        return m;
    }
}
