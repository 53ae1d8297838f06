package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.ModelStore;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.continual.TrainingStateCheckpoint;
import dev.sculpt.io.BasisFile;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.DType;
import dev.sculpt.osft.ProtectedBasis;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.plan.Precision;
import dev.sculpt.train.DenseAdamWUpdater;
import dev.sculpt.train.ParameterUpdater;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.TrainResult;
import dev.sculpt.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A round's training with the project's continual trainer: {@code osft} (the default) protects, in every target
 * matrix, the top singular directions of the weights the round starts from and trains only in their complement;
 * {@code seqft} trains without a constraint. The pre-trained model counts as task 1, so round r is task r + 1 of
 * rounds + 1 (the schedule policy then protects a growing share from round 1 on). Layer importance for the
 * importance policy is measured on a sample of earlier rounds' examples (this round's in round 1).
 *
 * <p>With {@link #accumulate(boolean)} each round's protected bases are united with the earlier rounds' (so what
 * round 1 protected stays protected in round 3); {@link #nonTargets(NonTargets)} says what happens to the
 * embeddings, norms and lm_head while a subspace is protected (they train freely by default).
 */
public final class ContinualRoundTrainer implements RoundTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(ContinualRoundTrainer.class);

    private final Method method;
    private final TrainConfig config;
    private final RankPolicy policy;
    private final ProjectionMode mode;
    private final Backend backend;
    private final int totalRounds;
    private final int calibrationExamples;
    private final List<Example> seen = new ArrayList<>();
    private final List<Map<String, Integer>> ranksPerRound = new ArrayList<>();
    private final List<Double> maxResiduals = new ArrayList<>();
    private Trainer.StepListener listener;
    private boolean accumulate;
    private Precision precision = Precision.FP32;
    private Precision basisPrecision = Precision.FP32;
    private NonTargets nonTargets = NonTargets.TRAIN;
    private Map<String, ProtectedBasis> carried = Map.of();
    private Path stateDir;
    private ModelStore stateStore;
    private int saveEvery;
    private boolean resume;
    /** The carried bases' file in a checkpoint directory. */
    static final String BASES = "bases.bin";

    public ContinualRoundTrainer(Method method, TrainConfig config, RankPolicy policy, ProjectionMode mode, Backend backend,
                                 int totalRounds, int calibrationExamples) {
        if (method == Method.LORA) throw new SculptException("--method: evolve supports osft and seqft, got lora");
        this.method = method;
        this.config = config;
        this.policy = policy;
        this.mode = mode;
        this.backend = backend;
        this.totalRounds = totalRounds;
        this.calibrationExamples = calibrationExamples;
    }

    /**
     * The largest share of min(m, n) the protected bases reach over {@code totalRounds} rounds, for the memory plan:
     * what {@code policy} preserves at most (round r ranks as task r + 1 of totalRounds + 1), or 1 when
     * {@code accumulate} unites the rounds' bases (unions of up to min(m, n) - 1 columns).
     */
    public static double largestRankRatio(RankPolicy policy, int totalRounds, boolean accumulate) {
        return accumulate ? 1.0 : policy.largestRatio(totalRounds + 1, false);
    }

    /** Told about every optimizer step (progress display); may be null. */
    public ContinualRoundTrainer listener(Trainer.StepListener l) {
        this.listener = l;
        return this;
    }

    /** Unite each round's protected bases with the earlier rounds' (osft). */
    public ContinualRoundTrainer accumulate(boolean a) {
        this.accumulate = a;
        return this;
    }

    /**
     * Compute precision (bf16: the model's projections on bf16 compute copies of the float32 master weights, see
     * {@link LanguageModel#computeInBf16}) and OSFT basis precision; fp32 both when never set.
     */
    public ContinualRoundTrainer precision(Precision compute, Precision basis) {
        this.precision = java.util.Objects.requireNonNull(compute);
        this.basisPrecision = java.util.Objects.requireNonNull(basis);
        return this;
    }

    /** What osft does with the parameters outside the target matrices; TRAIN when never set. */
    public ContinualRoundTrainer nonTargets(NonTargets n) {
        this.nonTargets = n == null ? NonTargets.TRAIN : n;
        return this;
    }

    /**
     * Writes a training-state checkpoint (RUN_DIR/training-state, see {@link TrainingStateCheckpoint}) every
     * {@code saveEvery} optimizer steps inside a round, and with {@code resume} continues a round from the one found
     * there (the loop has restored the round's start weights and rebuilt its data by then). A round's training state
     * is removed when its training ends.
     */
    public ContinualRoundTrainer trainingState(Path runDir, ModelStore store, int saveEvery, boolean resume) {
        if (saveEvery < 0) throw new SculptException("--save-every must be >= 1 optimizer steps, got " + saveEvery);
        this.stateDir = runDir;
        this.stateStore = store;
        this.saveEvery = saveEvery;
        this.resume = resume;
        return this;
    }

    public Method method() { return method; }

    /** Preserved rank per target matrix, one map per osft round. */
    public List<Map<String, Integer>> ranksPerRound() { return List.copyOf(ranksPerRound); }

    /** Largest relative invariant residual of each osft round. */
    public List<Double> maxResiduals() { return List.copyOf(maxResiduals); }

    @Override
    public TrainSummary train(LanguageModel model, List<Example> examples, int round) {
        long t0 = System.nanoTime();
        TrainConfig roundConfig = config.withSeed(config.seed() + round);
        model.computeInBf16(precision == Precision.BF16);
        Trainer trainer = new Trainer(model, roundConfig);
        int steps = roundConfig.totalSteps(examples.size());
        Map<String, String> settings = settings(round, examples, model);
        TrainingStateCheckpoint.Progress at = resumePoint(round, settings);
        String startWeights = stateDir == null ? null : TrainingStateCheckpoint.digest(model);
        if (at != null && !at.startWeights.equals(startWeights)) {
            throw new SculptException("--resume: the weights at the start of round " + round + " are not those "
                    + stateDir.resolve(TrainingStateCheckpoint.DIR) + " was trained from");
        }
        double before = at == null ? 0 : at.trainSeconds;
        String name = EvolveLoop.roundDir(round);
        TrainResult result;
        if (method == Method.SEQFT) {
            try (DenseAdamWUpdater updater = new DenseAdamWUpdater(model.ops(), model.parameters(), roundConfig.newOptimizer(),
                    roundConfig.clipNorm(), UpdateConstraint.NONE)) {
                Trainer.ProgressSink sink = pr -> TrainingStateCheckpoint.write(stateDir, TrainingStateCheckpoint.progress(round, name, steps, pr,
                        settings, startWeights, List.of(), before + (System.nanoTime() - t0) / 1e9), updater.saveState(), null, stateStore, model);
                result = trainer.train(examples, resume(updater, at, model), listener, at == null ? null : at.progress(), stateDir == null ? 0 : saveEvery, sink);
            }
        } else {
            try (SubspaceGuard guard = SubspaceGuard.builder().backend(backend).ops(model.ops()).mode(mode).accumulate(accumulate)
                    .basisPrecision(basisPrecision == Precision.BF16 ? DType.BF16 : DType.FLOAT32).build()) {
                Map<String, Parameter> byName = new LinkedHashMap<>();
                for (Parameter p : model.parameters()) byName.put(p.name(), p);
                List<String> constrained = nonTargets.constrainedNames(model);
                if (at != null) {
                    TrainingStateCheckpoint.restoreGuard(guard, model, constrained, stateDir, at);
                } else {
                    Map<String, Integer> ranks = ranks(model, examples, round, constrained);
                    for (var e : ranks.entrySet()) {
                        Parameter p = byName.get(e.getKey());
                        guard.register(p.name(), p.value(), e.getValue());
                    }
                    for (var e : carried.entrySet()) if (guard.constrains(e.getKey())) guard.restore(e.getKey(), e.getValue());
                    guard.protect();
                }
                ranksPerRound.add(guard.ranks());
                List<Parameter> frozen = nonTargets.freezeOthers(model, constrained);
                try (DenseAdamWUpdater updater = new DenseAdamWUpdater(model.ops(), model.parameters(), roundConfig.newOptimizer(),
                        roundConfig.clipNorm(), guard)) {
                    Trainer.ProgressSink sink = pr -> TrainingStateCheckpoint.write(stateDir, TrainingStateCheckpoint.withUpdateSums(
                            TrainingStateCheckpoint.progress(round, name, steps, pr, settings, startWeights, guard.residualHistory(),
                                    before + (System.nanoTime() - t0) / 1e9), guard),
                            updater.saveState(), TrainingStateCheckpoint.bases(guard), stateStore, model);
                    result = trainer.train(examples, resume(updater, at, model), listener, at == null ? null : at.progress(),
                            stateDir == null ? 0 : saveEvery, sink);
                } finally {
                    for (Parameter p : frozen) p.trainable(true);
                }
                guard.checkInvariant(result.stepLosses().size());
                maxResiduals.add(guard.maxRelativeResidual());
                double bound = 0;
                for (dev.sculpt.osft.InvariantResidual r : guard.residualHistory()) {
                    bound = Math.max(bound, r.relBound());
                    if (!(guard.promised(r) <= r.relBound())) {
                        LOG.warn("round {}: osft invariant of {} at step {}: relative residual {} exceeds its rounding bound {}", round,
                                r.name(), r.step(), guard.promised(r), r.relBound());
                    }
                }
                LOG.info("round {}: osft invariant, largest relative residual {} (rounding bound {})", round, guard.maxRelativeResidual(), bound);
                if (accumulate) {
                    Map<String, ProtectedBasis> bases = new LinkedHashMap<>();
                    for (String n : guard.names()) bases.put(n, guard.basis(n));
                    carried = bases;
                }
            }
        }
        if (stateDir != null) TrainingStateCheckpoint.discard(stateDir);   // the round's training is done
        seen.addAll(examples);
        List<Double> l = result.stepLosses();
        int perEpoch = Math.max(1, l.size() / config.epochs());
        return new TrainSummary(l.size(), mean(l.subList(0, Math.min(perEpoch, l.size()))),
                mean(l.subList(Math.max(0, l.size() - perEpoch), l.size())), (System.nanoTime() - t0) / 1e9);
    }

    /** The round's training state to continue from (with resume), or null; one of an earlier round is discarded. */
    private TrainingStateCheckpoint.Progress resumePoint(int round, Map<String, String> settings) {
        if (stateDir == null) return null;
        TrainingStateCheckpoint.recover(stateDir);
        if (!TrainingStateCheckpoint.exists(stateDir)) return null;
        Path where = stateDir.resolve(TrainingStateCheckpoint.DIR);
        if (!resume) throw new SculptException("--out " + stateDir + " already holds a run (" + where + "); pass --resume to continue it");
        TrainingStateCheckpoint.Progress p = TrainingStateCheckpoint.readProgress(stateDir);
        if (p.task < round) {
            TrainingStateCheckpoint.discard(stateDir);
            return null;
        }
        if (p.task > round) throw new SculptException("--resume: " + where + " is for round " + p.task + ", the run is at round " + round);
        List<String> changed = TrainingStateCheckpoint.differences(p.settings, settings);
        if (!changed.isEmpty()) throw new SculptException("--resume: " + where + " was written with other settings: " + String.join("; ", changed));
        LOG.info("resuming round {} at step {} of {} from {}", round, p.step, p.totalSteps, where);
        return p;
    }

    private <U extends ParameterUpdater> U resume(U updater, TrainingStateCheckpoint.Progress at, LanguageModel model) {
        if (at == null) return updater;
        updater.restoreState(TrainingStateCheckpoint.readUpdater(stateDir));
        stateStore.loadInto(model, TrainingStateCheckpoint.modelDir(stateDir));
        return updater;
    }

    /** What decides a round's training steps besides the weights. */
    private Map<String, String> settings(int round, List<Example> examples, LanguageModel model) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("method", method.label());
        m.put("train", config.toString());
        m.put("rankPolicy", policy.toString());
        m.put("projection", mode.name().toLowerCase(java.util.Locale.ROOT));
        m.put("accumulate", Boolean.toString(accumulate));
        m.put("nonTargets", nonTargets.name().toLowerCase(java.util.Locale.ROOT));
        if (precision != Precision.FP32) m.put("precision", precision.toString());
        if (basisPrecision != Precision.FP32) m.put("basisPrecision", basisPrecision.toString());
        m.put("backend", backend.name());
        m.put("provider", model.ops().name());   // steps are bit-identical only on the same provider
        m.put("round", Integer.toString(round));
        m.put("trainExamples", Integer.toString(examples.size()));
        m.put("trainTokens", TrainingStateCheckpoint.digest(examples));
        return m;
    }

    /** The bases carried to the next round (accumulating osft), as bases.bin; nothing otherwise. */
    @Override
    public void saveState(Path dir) {
        if (!carried.isEmpty()) BasisFile.save(dir.resolve(BASES), carried);
    }

    @Override
    public void restoreState(Path dir, List<Example> seenBefore) {
        seen.clear();
        seen.addAll(seenBefore);
        Path file = dir.resolve(BASES);
        carried = accumulate && Files.exists(file) ? BasisFile.read(file) : Map.of();
    }

    private Map<String, Integer> ranks(LanguageModel model, List<Example> examples, int round, List<String> names) {
        double[] imp = null;
        if (policy.needsImportance()) {
            List<Example> pool = new ArrayList<>(seen.isEmpty() ? examples : seen);
            Collections.shuffle(pool, new Random(config.seed() * 31 + round));
            // passes of a training micro-batch at most, as the run's memory plan sizes them
            double[] raw = model.blockInputOutputCosine(pool.subList(0, Math.min(calibrationExamples, pool.size())), config.batchSize());
            imp = RankPolicy.normalise(raw);
            LOG.info("round {}: layer importance {}", round, Arrays.toString(raw));
        }
        Map<String, Parameter> byName = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) byName.put(p.name(), p);
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String name : names) {
            Parameter p = byName.get(name);
            if (p == null || !p.isMatrix()) throw new SculptException("model target " + name + " is not a matrix parameter");
            int block = model.blockOf(name);
            double i = imp == null || block < 0 || block >= imp.length ? Double.NaN : imp[block];
            out.put(name, policy.rank(p.rows(), p.cols(), i, round + 1, totalRounds + 1));
        }
        return out;
    }

    private static double mean(List<Double> xs) {
        double s = 0;
        for (double x : xs) s += x;
        return xs.isEmpty() ? Double.NaN : s / xs.size();
    }
}
