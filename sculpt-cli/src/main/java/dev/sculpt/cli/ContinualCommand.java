package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backends;
import dev.sculpt.ops.RunDevice;
import dev.sculpt.clbench.BenchmarkOptions;
import dev.sculpt.clbench.ClBenchmark;
import dev.sculpt.clbench.ContextBudget;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.continual.ContinualOptions;
import dev.sculpt.continual.ContinualRunner;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.ModelLoader;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.continual.RunRecord;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.data.TaskData;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.plan.ByteSize;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.Precision;
import dev.sculpt.plan.RunMemory;
import dev.sculpt.retention.Retention;
import dev.sculpt.train.LrSchedule;
import dev.sculpt.train.TrainConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sculpt continual}: trains a checkpoint on tasks in order with osft, seqft or lora. */
@Command(name = "continual", mixinStandardHelpOptions = true,
        description = {"Continual fine-tuning on a sequence of tasks with the OSFT subspace constraint (or a baseline).",
                "Writes RUN_DIR/metrics.json, RUN_DIR/report.png and an HF checkpoint after every task; --resume continues a killed run."})
public final class ContinualCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Hugging Face checkpoint directory (LLaMA or T5).")
    Path model;

    @Option(names = "--tasks", split = ",", paramLabel = "FILE", description = "JSONL task files, comma-separated, in training order (default: none; give --tasks or --benchmark)")
    List<Path> tasks;

    @Option(names = "--eval", split = ",", paramLabel = "FILE", description = "JSONL evaluation files, one per task (default: the training files).")
    List<Path> eval;

    @Option(names = "--benchmark", paramLabel = "DIR", description = "CL_Benchmark directory, instead of --tasks (default: none)")
    Path benchmark;

    @Option(names = "--order", paramLabel = "NAMES", description = "with --benchmark: task names, comma-separated, or standard-1|standard-2|standard-3|long (default: none, required with --benchmark)")
    String order;

    @Option(names = "--train-per-task", defaultValue = "0", description = "with --benchmark: most training examples per task, 0 = all (default: ${DEFAULT-VALUE})")
    int trainPerTask;

    @Option(names = "--test-per-task", defaultValue = "0", description = "with --benchmark: most test examples per task, 0 = all (default: ${DEFAULT-VALUE})")
    int testPerTask;

    @Option(names = "--method", defaultValue = "osft", description = "osft, seqft or lora (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--out", required = true, paramLabel = "RUN_DIR", description = "Output directory.")
    Path out;

    @Option(names = "--lr", defaultValue = "1e-5", description = "Peak learning rate (default ${DEFAULT-VALUE}).")
    float lr;

    @Option(names = "--epochs", defaultValue = "1",
            description = "passes over each task's training data (default: ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--batch-size", defaultValue = "8",
            description = "examples per micro-batch (default: ${DEFAULT-VALUE})") int batchSize;
    @Option(names = "--grad-accum", defaultValue = "1",
            description = "micro-batches per optimizer step; the effective batch is batch-size x grad-accum examples (default: ${DEFAULT-VALUE})") int gradAccum;
    @Option(names = "--warmup", defaultValue = "0.03", description = "linear warmup, as a share of each task's optimizer steps in [0, 1) (default: ${DEFAULT-VALUE})") float warmup;
    @Option(names = "--schedule", defaultValue = "cosine", description = "learning-rate schedule after warmup: cosine, linear or constant (default: ${DEFAULT-VALUE})") String schedule;
    @Option(names = "--weight-decay", defaultValue = "0.01",
            description = "AdamW decoupled weight decay, per unit learning rate (default: ${DEFAULT-VALUE})") float weightDecay;
    @Option(names = "--clip", defaultValue = "1.0", description = "global gradient L2-norm limit, 0 = off (default: ${DEFAULT-VALUE})") float clip;

    @Option(names = "--rank-policy", defaultValue = "schedule",
            description = "OSFT preserved ranks: importance (layer importance with --mrr/--trr), schedule ((t-1)/T of min(m, n) for task t of T) or a ratio in [0, 1] of min(m, n) (default: ${DEFAULT-VALUE})")
    String rankPolicy;

    @Option(names = "--rank-ratio", description = "shortcut for --rank-policy RATIO, a share of min(m, n) in [0, 1] (default: none, --rank-policy decides)") Double rankRatio;
    @Option(names = "--mrr", defaultValue = "0.1",
            description = "importance policy: the smallest preserved-rank ratio, for the least important layer, in [0, 1] (default: ${DEFAULT-VALUE})") double mrr;
    @Option(names = "--trr", defaultValue = "0.8",
            description = "importance policy: the largest preserved-rank ratio, for the most important layer, in [0, 1] (default: ${DEFAULT-VALUE})") double trr;
    @Option(names = "--projection", defaultValue = "two-sided", description = "OSFT projection: two-sided, left, right or high-block (default: ${DEFAULT-VALUE})") String projection;
    @Option(names = "--accumulate", description = "Unite each task's protected bases with the earlier ones.") boolean accumulate;
    @Option(names = "--protect-initial", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "OSFT: protect the initial (pre-trained) model's top subspace from the first task on; "
                    + "--no-protect-initial lets the first task train freely, as in the authors' fixed schedule (default: ${DEFAULT-VALUE}).")
    boolean protectInitial;
    @Option(names = "--non-targets", defaultValue = "train",
            description = "OSFT: embeddings, lm_head and norms while a subspace is protected: train (default), freeze, or constrain (2-D ones get the constraint too).")
    String nonTargets;
    @Option(names = "--calibration", defaultValue = "32", description = "examples of the next task used to measure layer importance (default: ${DEFAULT-VALUE})") int calibration;
    @Option(names = "--check-every", defaultValue = "20", description = "optimizer steps between checks of the invariant ||U_h^T (W - W0)|| (default: ${DEFAULT-VALUE})") int checkEvery;
    @Option(names = "--svd", defaultValue = "auto", description = "decomposition: auto (exact or randomized by cost), randomized or exact (default: ${DEFAULT-VALUE})") String svd;
    @Option(names = "--device", defaultValue = "cpu", description = "the ops provider the whole run computes on, with the matching SVD backend: cpu; cuda (a GPU, its driver and the CUDA libraries; fails at once without them); cuda-emulated (the CUDA kernels built for the host, for tests; SVD on cpu); auto (cuda where usable, else cpu) (default: ${DEFAULT-VALUE})") String device;
    @Option(names = "--device-memory", paramLabel = "SIZE",
            description = "device memory the run is planned against before it starts (it is refused, with the plan, when it does not fit)"
                    + " and its device arena is capped to, less the plan's 1 GiB runtime reserve: 141G = 141 x 10^9 bytes, 80GiB = 80 x 2^30"
                    + " bytes, or plain bytes; not used on cpu (default: the GPU's total memory from cudaMemGetInfo on cuda,"
                    + " unlimited on cuda-emulated)") String deviceMemory;
    @Option(names = "--lora-rank", defaultValue = "8",
            description = "lora method: adapter rank r (default: ${DEFAULT-VALUE})") int loraRank;
    @Option(names = "--lora-alpha", defaultValue = "16",
            description = "lora method: scale alpha; the update is (alpha / r) B A (default: ${DEFAULT-VALUE})") float loraAlpha;
    @Option(names = "--seed", defaultValue = "42",
            description = "seed of the data order, the initialisation of adapters and the randomized SVD sketch (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--resume", description = "Continue the run in RUN_DIR: inside a task from its training-state checkpoint "
            + "(see --save-every) when there is one, else after its last completed task (default: off, a new run).") boolean resume;
    @Option(names = "--save-every", paramLabel = "STEPS",
            description = "Write a training-state checkpoint (RUN_DIR/training-state: weights, AdamW moments, step, data order, "
                    + "OSFT bases or LoRA factors) every STEPS optimizer steps inside a task, so that --resume continues inside it "
                    + "with the same final weights; an integer >= 1 (default: none, checkpoints only after each task).")
    Integer saveEvery;
    @Option(names = "--retain", paramLabel = "FILE",
            description = "Plain-text file, one document per line: perplexity on it before training and after every task "
                    + "(metrics.json \"retention\"); lines longer than the model's context are cut to it (default: none).")
    Path retain;
    @Mixin TrainingPrecisionOptions numerics;

    private Tokenizer tokenizer;

    @Override
    public Integer call() {
        PrintStream o = System.out;
        // everything is validated before the model is loaded or any training starts
        if (saveEvery != null && saveEvery < 1) {
            throw new SculptException("--save-every must be >= 1 optimizer steps, got " + saveEvery);
        }
        numerics.validate();
        OptionalLong memory = deviceMemory == null ? OptionalLong.empty() : OptionalLong.of(ByteSize.parse("--device-memory", deviceMemory));
        try (RunDevice dev = RunDevice.open("--device", device)) {
            return call(dev, memory, o);
        }
    }

    private Integer call(RunDevice dev, OptionalLong memory, PrintStream o) {
        ContinualOptions options = options(dev.backend());
        List<TaskData> data = readTasks();
        ContinualRunner.validate(data);
        ModelLoader.check(model);
        Optional<MemoryPlan> plan = ContinualRunner.checkMemory(model, dev.ops(), options, data, tokenizer(), numerics.recompute,
                numerics.precision(), numerics.basisPrecision(), memory);
        plan.ifPresent(p -> o.println(RunMemory.summary(p)));
        Retention retention = retain == null ? null : Retention.load(retain, tokenizer(), Retention.contextOf(model));
        try (ModelLoader.Loaded loaded = ModelLoader.load(model, tokenizer(), dev.ops())) {
            o.println("device: " + dev.describe());
            loaded.model().recomputeActivations(numerics.recompute);
            ContinualRunner.Listener l = new ContinualRunner.Listener() {
                @Override public void taskStarted(int task, String name, int steps) {
                    o.printf(Locale.ROOT, "task %d/%d %s: %d steps%n", task + 1, data.size(), name, steps);
                }
                @Override public void evaluated(int task, double[] row) {
                    StringBuilder sb = new StringBuilder("  accuracy:");
                    for (int j = 0; j < row.length; j++) if (!Double.isNaN(row[j])) sb.append(String.format(Locale.ROOT, " %s %.1f%%", data.get(j).name(), 100 * row[j]));
                    o.println(sb);
                }
                @Override public void note(String line) { o.println("note: " + line); }
                @Override public void retention(int task, double perplexity) {
                    o.printf(Locale.ROOT, "  retention perplexity %s: %.3f%n", task < 0 ? "before training" : "after task " + (task + 1), perplexity);
                }
            };
            ContinualRunner runner = new ContinualRunner(loaded.model(), loaded.tokenizer(), loaded.store(), options, l).retention(retention);
            if (saveEvery != null) runner.saveEvery(saveEvery);
            runner.precision(numerics.precision(), numerics.basisPrecision());
            RunRecord r = runner.run(data, out);
            o.printf(Locale.ROOT, "AA %.1f%%  BWT %s  FWT %s%s  (%s)%n", 100 * r.averageAccuracy, pct(r.backwardTransfer), pct(r.forwardTransfer),
                    r.retention == null ? "" : "  retention perplexity " + r.retention.summary(), out.resolve("metrics.json"));
            plan.ifPresent(p -> o.println(RunMemory.peak(p, dev.ops())));
        }
        return 0;
    }

    private static String pct(Double d) {
        return d == null ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100 * d);
    }

    /** The run's settings with {@code svdBackend} for the decompositions (OSFT; the other methods decompose nothing). */
    ContinualOptions options(dev.sculpt.backend.Backend svdBackend) {
        Method m = Method.parse(method);
        RankPolicy policy = rankRatio != null ? RankPolicy.ratio(rankRatio) : RankPolicy.parse(rankPolicy, mrr, trr);
        TrainConfig train = new TrainConfig(lr, epochs, batchSize, gradAccum, warmup, LrSchedule.Kind.parse(schedule),
                0.9f, 0.999f, 1e-8f, weightDecay, clip, seed);
        SvdOptions svdOptions = SvdOptions.defaults().withMethod(SvdMethod.parse(svd)).withSeed(seed);
        return new ContinualOptions(m, train, policy, ProjectionMode.parse(projection), accumulate, protectInitial, calibration,
                loraRank, loraAlpha, checkEvery, svdOptions, m == Method.OSFT ? svdBackend : Backends.cpu(), resume, 8, NonTargets.parse(nonTargets));
    }

    /**
     * The model's context as a budget for benchmark sentences: long ones (BoolQA passages) are cut so that prompt,
     * label, BOS/EOS and evaluation's two extra generated tokens fit in max_position_embeddings (n_positions for
     * T5); null when the config states no limit.
     */
    ContextBudget contextBudget() {
        java.util.OptionalInt max = ModelConfig.read(model).contextLength();
        if (max.isEmpty()) return null;
        Tokenizer tok = tokenizer();
        return new ContextBudget(s -> tok.encode(s).length, max.getAsInt(), 4);
    }

    /** The model directory's tokenizer, read once for the context budget and the run. */
    private Tokenizer tokenizer() {
        if (tokenizer == null) tokenizer = Models.tokenizer(model);
        return tokenizer;
    }

    List<TaskData> readTasks() {
        boolean files = tasks != null && !tasks.isEmpty();
        if (files == (benchmark != null)) throw new SculptException("give either --tasks FILES or --benchmark DIR --order NAMES");
        if (benchmark != null) {
            if (order == null) throw new SculptException("--benchmark needs --order (task names or standard-1|standard-2|standard-3|long)");
            if (eval != null) throw new SculptException("--eval does not apply to --benchmark (its test splits are used)");
            if (trainPerTask < 0 || testPerTask < 0) throw new SculptException("--train-per-task and --test-per-task must be >= 0");
            ModelLoader.check(model);
            return ClBenchmark.load(benchmark, order, new BenchmarkOptions(trainPerTask, testPerTask, seed, 0), contextBudget());
        }
        if (order != null) throw new SculptException("--order applies only to --benchmark");
        if (eval != null && eval.size() != tasks.size()) {
            throw new SculptException("--eval has " + eval.size() + " files for " + tasks.size() + " --tasks files");
        }
        List<TaskData> out = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) out.add(JsonlTasks.task(tasks.get(i), eval == null ? null : eval.get(i)));
        return out;
    }
}
