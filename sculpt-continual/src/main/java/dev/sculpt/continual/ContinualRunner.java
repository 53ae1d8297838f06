package dev.sculpt.continual;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import dev.sculpt.eval.Evaluator;
import dev.sculpt.io.AtomicFiles;
import dev.sculpt.io.BasisFile;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Parameter;
import dev.sculpt.osft.InvariantResidual;
import dev.sculpt.osft.ProtectedBasis;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.Ops;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.PlanOptions;
import dev.sculpt.plan.Precision;
import dev.sculpt.plan.RunMemory;
import dev.sculpt.retention.Retention;
import dev.sculpt.retention.RetentionRecord;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.DenseAdamWUpdater;
import dev.sculpt.train.LoraUpdater;
import dev.sculpt.train.ParameterUpdater;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.TrainProgress;
import dev.sculpt.train.TrainResult;
import dev.sculpt.train.Trainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a model on tasks in order (osft, seqft or lora), evaluates every task seen so far (and the next one, for
 * forward transfer) after each task, and after each task writes, in this order: the checkpoint (a temporary
 * directory renamed to {@code checkpoints/task-NN-name}), {@code state.json}, {@code metrics.json} and
 * {@code report.png}, each atomically. A run killed at any point resumes ({@link ContinualOptions#resume()}) from
 * the last task whose state was written; a checkpoint directory exists only once complete.
 */
public final class ContinualRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ContinualRunner.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final String STATE = "state.json";
    static final String METRICS = "metrics.json";
    static final String REPORT = "report.png";
    static final String BASES = "osft-bases.bin";

    /** Told what happens, for progress display. All methods have empty defaults. */
    public interface Listener {
        default void taskStarted(int task, String name, int steps) {}
        default void step(int task, int step, int steps, double loss) {}
        default void evaluated(int task, double[] accuracyRow) {}
        default void note(String line) {}
        /** Retention perplexity: {@code task} -1 for the baseline before training, else after task {@code task}. */
        default void retention(int task, double perplexity) {}
    }

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final ModelStore store;
    private final ContinualOptions options;
    private final Listener listener;
    private Retention retention;
    private int saveEvery;
    private Precision precision = Precision.FP32;
    private Precision basisPrecision = Precision.FP32;

    public ContinualRunner(LanguageModel model, Tokenizer tokenizer, ModelStore store, ContinualOptions options, Listener listener) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.store = store;
        this.options = options;
        this.listener = listener == null ? new Listener() {} : listener;
    }

    /**
     * Measures perplexity on {@code r}'s text before training and after every task (metrics.json's "retention");
     * null (the default) measures nothing.
     */
    public ContinualRunner retention(Retention r) {
        this.retention = r;
        return this;
    }

    /**
     * Writes a training-state checkpoint (RUN_DIR/training-state) every {@code steps} optimizer steps inside a task,
     * so that {@code --resume} continues inside it; by default none is written.
     */
    public ContinualRunner saveEvery(int steps) {
        if (steps < 1) throw new SculptException("--save-every must be >= 1 optimizer steps, got " + steps);
        this.saveEvery = steps;
        return this;
    }

    /**
     * Compute and basis precision (both fp32 by default): bf16 compute runs the model's projections on bf16 compute
     * copies of the float32 master weights ({@link LanguageModel#computeInBf16}); bf16 bases store the OSFT guard's
     * protected bases in bf16 ({@link SubspaceGuard.Builder#basisPrecision}). Recorded in metrics.json's options when
     * not fp32, so that --resume refuses another precision.
     */
    public ContinualRunner precision(Precision compute, Precision basis) {
        this.precision = java.util.Objects.requireNonNull(compute);
        this.basisPrecision = java.util.Objects.requireNonNull(basis);
        return this;
    }

    /** The options as recorded: the run's options plus the precisions where they are not fp32. */
    private Map<String, String> describeOptions() {
        Map<String, String> m = new LinkedHashMap<>(options.describe());
        if (precision != Precision.FP32) m.put("precision", precision.toString());
        if (basisPrecision != Precision.FP32 && options.method() == Method.OSFT) m.put("basisPrecision", basisPrecision.toString());
        return m;
    }

    /** Checks tasks before any training: non-empty splits, distinct names, tokenizable completions. */
    public static void validate(List<TaskData> tasks) {
        if (tasks.isEmpty()) throw new SculptException("no tasks given");
        Set<String> names = new HashSet<>();
        for (TaskData t : tasks) {
            if (!names.add(t.name())) throw new SculptException("task name '" + t.name() + "' appears twice");
            if (t.train().isEmpty()) throw new SculptException("task " + t.name() + " has no training examples");
            if (t.test().isEmpty()) throw new SculptException("task " + t.name() + " has no evaluation examples");
        }
    }

    /**
     * The start-of-run memory check on a device provider ({@link RunMemory#check}): plans the run of the model at
     * {@code modelDir} with these options and tasks (fp32; micro-batches of the larger of --batch-size and the
     * evaluation batch, in sequences of the longest training or evaluation example, with as many loss rows per
     * sequence as the longest completion has tokens (the lm_head runs on the loss rows only; generation on one row); bases at the rank policy's largest ratio over the tasks, or ratio 1 with --accumulate, whose
     * unions may grow to min(m, n) - 1 columns; {@code recompute} as the run does),
     * refuses it, with the plan, when it does not fit in the device's memory ({@code deviceMemory} when stated), and
     * caps the provider's arena by it. Empty on a host provider. Reads the tasks only: call it before the model is
     * loaded and before anything is written.
     */
    public static Optional<MemoryPlan> checkMemory(Path modelDir, Ops ops, ContinualOptions options, List<TaskData> tasks,
                                                   Tokenizer tokenizer, boolean recompute, OptionalLong deviceMemory) {
        return checkMemory(modelDir, ops, options, tasks, tokenizer, recompute, Precision.FP32, Precision.FP32, deviceMemory);
    }

    /** {@link #checkMemory} for a run with {@code precision} products and {@code basisPrecision} bases ({@link #precision}). */
    public static Optional<MemoryPlan> checkMemory(Path modelDir, Ops ops, ContinualOptions options, List<TaskData> tasks,
                                                   Tokenizer tokenizer, boolean recompute, Precision precision,
                                                   Precision basisPrecision, OptionalLong deviceMemory) {
        if (ops.memory().isEmpty()) {
            LOG.debug("no memory plan: the {} provider keeps its tensors in host memory", ops.name());
            return Optional.empty();
        }
        Evaluator eval = new Evaluator(tokenizer, false);
        int longest = 1, longestTarget = 1, longestPrompt = 1;
        for (TaskData t : tasks) {
            for (List<TextPair> split : List.of(t.train(), t.test())) {
                for (Example e : eval.examples(split)) {
                    longest = Math.max(longest, e.prompt().length + e.target().length);
                    longestTarget = Math.max(longestTarget, e.target().length);
                    longestPrompt = Math.max(longestPrompt, e.prompt().length);
                }
            }
        }
        // evaluation runs the model on batches of evalBatch examples too
        int batch = Math.max(options.train().batchSize(), options.evalBatch());
        // accumulated bases are unions, up to min(m, n) - 1 columns whatever the policy: ratio 1 bounds them
        double ratio = options.accumulate() ? 1.0 : options.rankPolicy().largestRatio(tasks.size(), options.protectInitial());
        // an encoder-decoder model runs its encoder on the prompts and its decoder on the targets
        PlanOptions plan = RunMemory.options(options.method() == Method.OSFT, ratio, batch, longest, longestTarget, recompute,
                options.svd().oversample(), longestPrompt, longestTarget).withPrecision(precision, basisPrecision);
        return RunMemory.check(modelDir, ops, plan, deviceMemory);
    }

    public RunRecord run(List<TaskData> tasks, Path outDir) {
        validate(tasks);
        if (options.method() == Method.LORA) LoraUpdater.requireHost(model.parameters());   // before any work
        model.computeInBf16(precision == Precision.BF16);
        int tCount = tasks.size();
        Evaluator eval = new Evaluator(tokenizer, false);
        List<List<Example>> train = new ArrayList<>();
        for (TaskData t : tasks) train.add(eval.examples(t.train()));
        Path ckptRoot = outDir.resolve("checkpoints");
        RunRecord rec = prepare(tasks, outDir, ckptRoot);
        TrainingStateCheckpoint.Progress inTask = findTrainingState(tasks, train, outDir, rec.completedTasks);
        for (TaskData t : tasks) for (String n : t.notes()) if (!rec.notes.contains(n)) rec.notes.add(n);
        rec.notes.forEach(listener::note);

        if (rec.initialAccuracy.isEmpty()) {
            for (int j = 0; j < tCount; j++) {
                Evaluator.Score s = eval.score(model, tasks.get(j).test(), options.evalBatch());
                rec.initialAccuracy.add(s.accuracy());
                rec.initialLoss.add(s.meanLoss());
            }
        }
        checkRetention(rec);
        if (retention != null) {
            listener.note(retention.describe());
            LOG.info(retention.describe());
        }
        if (retention != null && rec.retention == null) {
            rec.retention = new RetentionRecord(retention.name(), retention.perplexity(model));
            listener.retention(-1, rec.retention.baseline);
        }
        Map<String, ProtectedBasis> carried = new LinkedHashMap<>();
        if (rec.completedTasks > 0) {
            Path last = ckptRoot.resolve(rec.checkpoints.get(rec.completedTasks - 1));
            store.loadInto(model, last);
            if (options.method() == Method.OSFT && options.accumulate() && Files.exists(last.resolve(BASES))) {
                carried = BasisFile.read(last.resolve(BASES));
            }
            listener.note("resuming after task " + rec.completedTasks + " (" + tasks.get(rec.completedTasks - 1).name() + ") from " + last);
        }

        for (int t = rec.completedTasks; t < tCount; t++) {
            TaskData task = tasks.get(t);
            final int taskIdx = t;
            TrainConfig taskConfig = options.train().withSeed(options.train().seed() + t);
            int steps = taskConfig.totalSteps(train.get(t).size());
            listener.taskStarted(t, task.name(), steps);
            Trainer trainer = new Trainer(model, taskConfig);
            Trainer.StepListener sl = (step, total, loss, lr, norm) -> listener.step(taskIdx, step, total, loss);
            TrainingStateCheckpoint.Progress resumeAt = inTask != null && inTask.task == t ? inTask : null;
            String startWeights = saveEvery > 0 || resumeAt != null ? TrainingStateCheckpoint.digest(model) : null;
            if (resumeAt != null && !resumeAt.startWeights.equals(startWeights)) {
                throw new SculptException("--resume: the weights at the start of task " + (t + 1) + " are not those "
                        + outDir.resolve(TrainingStateCheckpoint.DIR) + " was trained from (another --model, or a changed checkpoint)");
            }
            Map<String, String> settings = settings(task, t, train.get(t));
            final double secondsBefore = resumeAt == null ? 0 : resumeAt.trainSeconds;
            long t0 = System.nanoTime();
            TrainResult result;
            Map<String, Integer> ranks = new LinkedHashMap<>();
            RunRecord.TaskResiduals residuals = null;
            Map<String, ProtectedBasis> bases = null;
            switch (options.method()) {
                case OSFT: {
                    try (SubspaceGuard guard = SubspaceGuard.builder().backend(options.backend()).ops(model.ops()).mode(options.mode())
                            .svdOptions(options.svd()).checkEvery(options.checkEvery()).accumulate(options.accumulate())
                            .basisPrecision(basisPrecision == Precision.BF16 ? DType.BF16 : DType.FLOAT32).build()) {
                        boolean active = t > 0 || options.protectInitial();
                        List<String> constrained = nonTargets(active).constrainedNames(model);
                        Map<String, Parameter> byName = parametersByName();
                        if (resumeAt != null) {
                            // the task's bases as saved; restoring them snapshots W0 from the start weights the model holds now
                            TrainingStateCheckpoint.restoreGuard(guard, model, constrained, outDir, resumeAt);
                        } else {
                            Map<String, Integer> want = allocateRanks(tasks, train, t, constrained);
                            for (String name : constrained) {
                                Parameter p = byName.get(name);
                                guard.register(name, p.value(), want.get(name));
                            }
                            for (Map.Entry<String, ProtectedBasis> e : carried.entrySet()) {
                                if (guard.constrains(e.getKey())) guard.restore(e.getKey(), e.getValue());
                            }
                            guard.protect();
                        }
                        ranks.putAll(guard.ranks());
                        List<Parameter> frozen = freezeNonTargets(active, constrained);
                        try (DenseAdamWUpdater updater = new DenseAdamWUpdater(model.ops(), model.parameters(), taskConfig.newOptimizer(),
                                taskConfig.clipNorm(), guard)) {
                            Trainer.ProgressSink sink = pr -> saveTrainingState(outDir, taskIdx, task, steps, pr, settings, startWeights,
                                    updater, TrainingStateCheckpoint.bases(guard), guard.residualHistory(), guard.updateSums(),
                                    secondsBefore + (System.nanoTime() - t0) / 1e9);
                            result = trainer.train(train.get(t), resume(updater, resumeAt, outDir), sl, progress(resumeAt), saveEvery, sink);
                        } finally {
                            for (Parameter p : frozen) p.trainable(true);
                        }
                        if (result.stepLosses().size() % options.checkEvery() != 0) guard.checkInvariant(result.stepLosses().size());
                        residuals = summarise(guard);
                        bases = new LinkedHashMap<>();
                        for (String n : guard.names()) bases.put(n, guard.basis(n));
                        if (options.accumulate()) carried = bases;
                    }
                    break;
                }
                case LORA: {
                    List<Parameter> targets = new ArrayList<>();
                    Map<String, Parameter> byName = parametersByName();
                    for (String n : model.targetMatrixNames()) targets.add(byName.get(n));
                    try (LoraUpdater lora = new LoraUpdater(targets, options.loraRank(), options.loraAlpha(),
                            options.train().newOptimizer(), options.train().clipNorm(), options.train().seed() + t)) {
                        Trainer.ProgressSink sink = pr -> saveTrainingState(outDir, taskIdx, task, steps, pr, settings, startWeights,
                                lora, null, List.of(), Map.of(), secondsBefore + (System.nanoTime() - t0) / 1e9);
                        result = trainer.train(train.get(t), resume(lora, resumeAt, outDir), sl, progress(resumeAt), saveEvery, sink);
                    }
                    break;
                }
                default: {
                    try (DenseAdamWUpdater updater = new DenseAdamWUpdater(model.ops(), model.parameters(), taskConfig.newOptimizer(),
                            taskConfig.clipNorm(), UpdateConstraint.NONE)) {
                        Trainer.ProgressSink sink = pr -> saveTrainingState(outDir, taskIdx, task, steps, pr, settings, startWeights,
                                updater, null, List.of(), Map.of(), secondsBefore + (System.nanoTime() - t0) / 1e9);
                        result = trainer.train(train.get(t), resume(updater, resumeAt, outDir), sl, progress(resumeAt), saveEvery, sink);
                    }
                }
            }
            double seconds = secondsBefore + (System.nanoTime() - t0) / 1e9;

            Double[] accRow = new Double[tCount];
            Double[] lossRow = new Double[tCount];
            double[] shown = new double[tCount];
            Arrays.fill(shown, Double.NaN);
            for (int j = 0; j <= Math.min(t + 1, tCount - 1); j++) {
                Evaluator.Score s = eval.score(model, tasks.get(j).test(), options.evalBatch());
                accRow[j] = s.accuracy();
                lossRow[j] = s.meanLoss();
                shown[j] = s.accuracy();
            }
            listener.evaluated(t, shown);
            if (retention != null) {
                double ppl = retention.perplexity(model);
                rec.retention.perplexity.add(ppl);
                listener.retention(t, ppl);
            }

            String ckptName = String.format("task-%02d-%s", t + 1, safe(task.name()));
            writeCheckpoint(ckptRoot, ckptName, options.method() == Method.OSFT && options.accumulate() ? bases : null);

            rec.stepLosses.add(result.stepLosses());
            rec.accuracy.add(Arrays.asList(accRow));
            rec.testLoss.add(Arrays.asList(lossRow));
            rec.ranks.add(ranks);
            rec.residuals.add(residuals);
            rec.checkpoints.add(ckptName);
            rec.trainSeconds.add(seconds);
            rec.completedTasks = t + 1;
            if (rec.completedTasks == tCount) finish(rec);
            AtomicFiles.writeString(outDir.resolve(STATE), toJson(rec));
            AtomicFiles.writeString(outDir.resolve(METRICS), toJson(rec));
            ChartFile.write(outDir.resolve(REPORT), () -> Report.write(outDir.resolve(REPORT), List.of(rec)));
            TrainingStateCheckpoint.discard(outDir);   // the task is done; state.json now says where to go on
            LOG.info("task {} ({}) done in {} s; accuracy row {}", t + 1, task.name(), String.format("%.1f", seconds), Arrays.toString(accRow));
        }
        if (rec.averageAccuracy == null) {
            finish(rec);
            AtomicFiles.writeString(outDir.resolve(METRICS), toJson(rec));
        }
        return rec;
    }

    /** A resumed run keeps measuring retention exactly when it did before, on the same file. */
    private void checkRetention(RunRecord rec) {
        if (rec.completedTasks == 0) {
            rec.retention = null;   // nothing measured after a task yet: measure the baseline afresh
            return;
        }
        if (retention == null && rec.retention != null) {
            throw new SculptException("--resume: the run measured retention on " + rec.retention.file + "; pass --retain with that file again");
        }
        if (retention != null && rec.retention == null) {
            throw new SculptException("--resume: the run did not measure retention from its start; --retain cannot be added now");
        }
        if (retention != null && !retention.name().equals(rec.retention.file)) {
            throw new SculptException("--resume: the run measured retention on " + rec.retention.file + ", not " + retention.name());
        }
    }

    private static void finish(RunRecord rec) {
        double[][] a = rec.accuracyMatrix();
        double[] b = new double[rec.initialAccuracy.size()];
        for (int j = 0; j < b.length; j++) b[j] = rec.initialAccuracy.get(j);
        rec.averageAccuracy = ClMetrics.averageAccuracy(a);
        rec.backwardTransfer = nanToNull(ClMetrics.backwardTransfer(a));
        rec.forwardTransfer = nanToNull(ClMetrics.forwardTransfer(a, b));
    }

    private static Double nanToNull(double d) {
        return Double.isNaN(d) ? null : d;
    }

    private RunRecord prepare(List<TaskData> tasks, Path outDir, Path ckptRoot) {
        List<String> names = new ArrayList<>();
        for (TaskData t : tasks) names.add(t.name());
        try {
            Files.createDirectories(ckptRoot);
            AtomicFiles.deleteDebris(ckptRoot);   // what a run killed while writing a checkpoint leaves
            TrainingStateCheckpoint.recover(outDir);   // the same for the training-state checkpoint
        } catch (IOException e) {
            throw new SculptException("cannot prepare output directory " + outDir + ": " + e.getMessage(), e);
        }
        Path state = outDir.resolve(STATE);
        if (!options.resume() && TrainingStateCheckpoint.exists(outDir)) {
            throw new SculptException("--out " + outDir + " already holds a run (" + TrainingStateCheckpoint.DIR + "); pass --resume to continue it or choose another directory");
        }
        if (Files.exists(state)) {
            if (!options.resume()) {
                throw new SculptException("--out " + outDir + " already holds a run (" + STATE + "); pass --resume to continue it or choose another directory");
            }
            RunRecord rec;
            try {
                rec = JSON.readValue(state.toFile(), RunRecord.class);
            } catch (IOException e) {
                throw new SculptException("cannot read " + state + ": " + e.getMessage(), e);
            }
            if (!rec.tasks.equals(names)) throw new SculptException("--resume: " + state + " was written for tasks " + rec.tasks + ", not " + names);
            if (!options.method().label().equals(rec.method)) throw new SculptException("--resume: " + state + " was written by method " + rec.method + ", not " + options.method().label());
            List<String> changed = TrainingStateCheckpoint.differences(rec.options, describeOptions());
            if (!changed.isEmpty()) throw new SculptException("--resume: " + state + " was written with other settings: " + String.join("; ", changed));
            for (int i = 0; i < rec.completedTasks; i++) {
                if (!Files.isDirectory(ckptRoot.resolve(rec.checkpoints.get(i)))) {
                    throw new SculptException("--resume: checkpoint " + ckptRoot.resolve(rec.checkpoints.get(i)) + " is missing");
                }
            }
            return rec;
        }
        if (options.resume() && !TrainingStateCheckpoint.exists(outDir)) {
            listener.note("--resume: no earlier state in " + outDir + ", starting from the first task");
        }
        RunRecord rec = new RunRecord();
        rec.method = options.method().label();
        rec.tasks = names;
        rec.options = describeOptions();
        return rec;
    }

    /**
     * The training-state checkpoint to continue from inside task {@code completed} (with --resume), or null. One of an
     * already completed task (the run died after state.json but before removing it) is discarded; one written
     * with other settings is refused.
     */
    private TrainingStateCheckpoint.Progress findTrainingState(List<TaskData> tasks, List<List<Example>> train, Path outDir, int completed) {
        if (!options.resume() || !TrainingStateCheckpoint.exists(outDir)) return null;
        TrainingStateCheckpoint.Progress p = TrainingStateCheckpoint.readProgress(outDir);
        Path where = outDir.resolve(TrainingStateCheckpoint.DIR);
        if (p.task < completed) {
            TrainingStateCheckpoint.discard(outDir);
            return null;
        }
        if (p.task > completed || p.task >= tasks.size()) {
            throw new SculptException("--resume: " + where + " is for task " + (p.task + 1) + ", but only " + completed + " tasks are complete");
        }
        List<String> changed = TrainingStateCheckpoint.differences(p.settings, settings(tasks.get(p.task), p.task, train.get(p.task)));
        if (!changed.isEmpty()) {
            throw new SculptException("--resume: " + where + " was written with other settings: " + String.join("; ", changed));
        }
        listener.note("resuming task " + (p.task + 1) + " (" + p.taskName + ") at step " + p.step + " of " + p.totalSteps + " from " + where);
        return p;
    }

    /** What decides a task's training steps besides the weights: the run's settings, the task and its data. */
    private Map<String, String> settings(TaskData task, int t, List<Example> examples) {
        Map<String, String> m = new LinkedHashMap<>(options.describe());
        m.put("checkEvery", Integer.toString(options.checkEvery()));
        m.put("provider", model.ops().name());   // steps are bit-identical only on the same provider
        m.put("calibration", Integer.toString(options.calibrationExamples()));
        m.put("task", (t + 1) + " " + task.name());
        m.put("trainExamples", Integer.toString(examples.size()));
        m.put("trainTokens", TrainingStateCheckpoint.digest(examples));
        return m;
    }

    private static TrainProgress progress(TrainingStateCheckpoint.Progress p) {
        return p == null ? null : p.progress();
    }

    /** With a resume point: the updater's saved state and the saved weights go in (after W0 was taken). */
    private <U extends ParameterUpdater> U resume(U updater, TrainingStateCheckpoint.Progress at, Path outDir) {
        if (at == null) return updater;
        updater.restoreState(TrainingStateCheckpoint.readUpdater(outDir));
        store.loadInto(model, TrainingStateCheckpoint.modelDir(outDir));
        return updater;
    }

    private void saveTrainingState(Path outDir, int t, TaskData task, int steps, TrainProgress pr, Map<String, String> settings,
                                   String startWeights, ParameterUpdater updater, Map<String, ProtectedBasis> bases,
                                   List<InvariantResidual> residuals, Map<String, double[]> updateSums, double seconds) {
        TrainingStateCheckpoint.Progress p = TrainingStateCheckpoint.progress(t, task.name(), steps, pr, settings, startWeights, residuals, seconds);
        p.updateSums = new LinkedHashMap<>(updateSums);
        TrainingStateCheckpoint.write(outDir, p, updater.saveState(), bases, store, model);
        LOG.debug("training state of task {} at step {} written", t + 1, pr.step());
    }

    private void writeCheckpoint(Path root, String name, Map<String, ProtectedBasis> bases) {
        AtomicFiles.writeDirectory(root.resolve(name), dir -> {
            store.save(model, dir);
            if (bases != null) BasisFile.save(dir.resolve(BASES), bases);
        });
    }

    /** The model's target matrices, plus its other matrices when they are to be constrained too. */
    /** Only while a subspace is protected do non-targets follow {@link NonTargets}; before that they train. */
    private NonTargets nonTargets(boolean active) {
        return active ? options.nonTargets() : NonTargets.TRAIN;
    }

    /** Freezes (for this task) what {@link NonTargets} says; returns what it froze. */
    private List<Parameter> freezeNonTargets(boolean active, List<String> constrained) {
        List<Parameter> frozen = nonTargets(active).freezeOthers(model, constrained);
        if (!frozen.isEmpty()) LOG.info("frozen while protecting: {} parameters ({})", frozen.size(), options.nonTargets());
        return frozen;
    }

    private Map<String, Integer> allocateRanks(List<TaskData> tasks, List<List<Example>> train, int t, List<String> names) {
        Map<String, Parameter> byName = parametersByName();
        Map<String, Integer> out = new LinkedHashMap<>();
        boolean free = t == 0 && !options.protectInitial();
        double[] imp = null;
        if (!free && options.rankPolicy().needsImportance()) {
            List<Example> sample = calibrationSample(train, t);
            double[] raw = model.blockInputOutputCosine(sample, options.train().batchSize());   // passes no larger than the plan's micro-batch
            imp = RankPolicy.normalise(raw);
            LOG.info("layer importance (mean cos(block input, output)) on {} examples: {}", sample.size(), Arrays.toString(raw));
        }
        for (String name : names) {
            Parameter p = byName.get(name);
            if (p == null || !p.isMatrix()) throw new SculptException("model target " + name + " is not a matrix parameter");
            int k;
            if (free) {
                k = 0;
            } else {
                int block = model.blockOf(name);
                double i = imp == null || block < 0 || block >= imp.length ? Double.NaN : imp[block];
                k = options.rankPolicy().rank(p.rows(), p.cols(), i, t + 1, tasks.size(), options.protectInitial());
            }
            out.put(name, k);
            LOG.info("task {}: {} {}x{} preserves rank {}", t + 1, name, p.rows(), p.cols(), k);
        }
        return out;
    }

    /** Up to calibrationExamples examples from earlier tasks' training data (task 0's own data for task 0). */
    private List<Example> calibrationSample(List<List<Example>> train, int t) {
        List<Example> pool = new ArrayList<>();
        for (int j = 0; j < Math.max(1, t); j++) pool.addAll(train.get(j));
        java.util.Collections.shuffle(pool, new Random(options.train().seed() * 31 + t));
        return pool.subList(0, Math.min(options.calibrationExamples(), pool.size()));
    }

    private Map<String, Parameter> parametersByName() {
        Map<String, Parameter> m = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) m.put(p.name(), p);
        return m;
    }

    private static RunRecord.TaskResiduals summarise(SubspaceGuard guard) {
        RunRecord.TaskResiduals r = new RunRecord.TaskResiduals();
        Map<Long, RunRecord.Check> checks = new LinkedHashMap<>();
        for (InvariantResidual x : guard.residualHistory()) {
            RunRecord.Check c = checks.computeIfAbsent(x.step(), s -> new RunRecord.Check(s, 0, 0, 0));
            c.maxRelLeft = Math.max(c.maxRelLeft, x.relLeft());
            c.maxRelRight = Math.max(c.maxRelRight, x.relRight());
            c.maxRelBlock = Math.max(c.maxRelBlock, x.relBlock());
            r.maxRelLeft = Math.max(r.maxRelLeft, x.relLeft());
            r.maxRelRight = Math.max(r.maxRelRight, x.relRight());
            r.maxRelBlock = Math.max(r.maxRelBlock, x.relBlock());
            double bound = x.relBound();
            if (!Double.isNaN(bound)) {
                c.maxRelBound = Math.max(c.maxRelBound, bound);
                r.maxRelBound = Math.max(r.maxRelBound, bound);
                if (!(guard.promised(x) <= bound)) {
                    r.withinBound = false;
                    LOG.warn("osft invariant of {} at step {}: relative residual {} exceeds its rounding bound {}", x.name(), x.step(),
                            guard.promised(x), bound);
                }
            }
        }
        r.checks.addAll(checks.values());
        for (InvariantResidual x : guard.residuals().values()) {
            r.finalPerMatrix.put(x.name(), new double[] {x.left(), x.right(), x.block(), x.weightNorm()});
        }
        return r;
    }

    static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    static String toJson(RunRecord rec) {
        try {
            return JSON.writeValueAsString(rec);
        } catch (IOException e) {
            throw new SculptException("cannot serialise run record: " + e.getMessage(), e);
        }
    }

    /** Reads a state.json or metrics.json. */
    public static RunRecord read(Path file) {
        try {
            return JSON.readValue(file.toFile(), RunRecord.class);
        } catch (IOException e) {
            throw new SculptException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

}
