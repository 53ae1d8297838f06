package dev.sculpt.demo;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.continual.ChartFile;
import dev.sculpt.continual.ContinualOptions;
import dev.sculpt.continual.ContinualRunner;
import dev.sculpt.continual.HfModelStore;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.continual.Report;
import dev.sculpt.continual.RunRecord;
import dev.sculpt.data.TaskData;
import dev.sculpt.io.AtomicFiles;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.retention.Retention;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.LrSchedule;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * {@code sculpt demo}: a tiny LLaMA (byte-level tokenizer) is first pre-trained on the built-in {@link StoryCorpus}
 * (cached in RUN_DIR/base, so a second run skips it); from that base it learns a built-in task sequence
 * ({@link DemoTaskSet}; by default four letter tasks with one-character answers) one after another, once with OSFT
 * and once with plain sequential fine-tuning. Both accuracy matrices, AA, BWT and
 * the retention of the pre-trained ability (perplexity on held-out corpus sentences before and after every task)
 * are printed side by side, followed by a summary that states only what the numbers show; RUN_DIR/report.png
 * shows both runs.
 */
public final class ContinualDemo {
    /** Accuracy on an earlier task counts as kept when it is at least this share of its just-learned accuracy. */
    static final double KEPT_SHARE = 0.5;
    /** OSFT's preserved share of every matrix in the demo (see the tuning record in bench/RESULTS.md). */
    public static final RankPolicy DEFAULT_RANKS = RankPolicy.ratio(0.5);
    /** Embeddings and lm_head constrained like the targets, norms frozen: the base's vocabulary stays protected. */
    public static final NonTargets DEFAULT_NON_TARGETS = NonTargets.CONSTRAIN;

    private ContinualDemo() {}

    /**
     * The demo's settings; {@link #defaults(Path)} is what {@code sculpt demo} runs.
     *
     * @param outDir         RUN_DIR: base/ (the cached pre-trained model), osft/ and seqft/ runs and the report.png
     * @param seed           seed of the corpus, the tasks, the initial weights and shuffling
     * @param trainPerTask   training examples per task
     * @param testPerTask    test examples per task (inputs disjoint from training)
     * @param hidden         model width
     * @param layers         decoder layers
     * @param epochs         passes over each task
     * @param lr             peak learning rate of the tasks (both methods)
     * @param rankPolicy     OSFT's preserved ranks
     * @param backend        where decompositions and projections run
     * @param progress       show a progress bar
     * @param nonTargets     OSFT: embeddings, norms and lm_head while a subspace is protected
     * @param pretrainLines  corpus sentences the base is pre-trained on
     * @param heldoutLines   held-out corpus sentences retention is measured on
     * @param pretrainEpochs passes over the corpus
     * @param pretrainLr     peak learning rate of pre-training
     * @param protectInitial OSFT protects the pre-trained base from the first task on
     * @param accumulate     OSFT unites each task's protected bases with the earlier ones
     * @param projection     OSFT's projection of each update (two-sided, left, right or the high-high block only)
     * @param taskSet        the task sequence
     */
    public record Options(Path outDir, long seed, int trainPerTask, int testPerTask, int hidden, int layers, int epochs, float lr, RankPolicy rankPolicy, Backend backend, boolean progress, NonTargets nonTargets, int pretrainLines, int heldoutLines, int pretrainEpochs, float pretrainLr, boolean protectInitial, boolean accumulate, ProjectionMode projection, DemoTaskSet taskSet) {
        public static Options defaults(Path outDir) {
            return new Options(outDir, 7, 600, 50, 64, 2, 5, 2e-3f, DEFAULT_RANKS, Backends.cpu(), true, DEFAULT_NON_TARGETS,
                    3000, 200, 4, 3e-3f, true, true, ProjectionMode.TWO_SIDED, DemoTaskSet.LETTERS);
        }

        public Options withSize(int trainPerTask, int testPerTask, int epochs) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withModel(int hidden, int layers) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withLr(float lr) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withRankPolicy(RankPolicy p) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, p, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withBackend(Backend b) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, b, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withSeed(long s) {
            return new Options(outDir, s, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withNonTargets(NonTargets n) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, n, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withProgress(boolean p) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, p, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withPretrain(int pretrainLines, int heldoutLines, int pretrainEpochs, float pretrainLr) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, taskSet);
        }

        public Options withProtectInitial(boolean p) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, p, accumulate, projection, taskSet);
        }

        public Options withProjection(ProjectionMode m) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, m, taskSet);
        }

        public Options withTasks(DemoTaskSet t) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, accumulate, projection, t);
        }

        public Options withAccumulate(boolean a) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets, pretrainLines, heldoutLines, pretrainEpochs, pretrainLr, protectInitial, a, projection, taskSet);
        }
    }

    /** Both runs' records, the base's held-out perplexity and the wall time. */
    public record Result(RunRecord osft, RunRecord seqft, double seconds) {
        /** How much higher OSFT's BWT is than SeqFT's (in accuracy points, 0..1). */
        public double bwtGain() { return osft.backwardTransfer - seqft.backwardTransfer; }

        /** The base's held-out perplexity (the same for both runs). */
        public double baseline() { return osft.retention.baseline; }

        /** Rise of held-out perplexity over the whole sequence, final minus base. */
        public static double rise(RunRecord r) { return r.retention.last() - r.retention.baseline; }
    }

    /** Runs the demo with the byte-level tokenizer on a cpu provider of its own, printing to {@code out}. */
    public static Result run(PrintStream out, Options o) {
        return run(out, o, new ByteTokenizer());
    }

    /** Runs the demo with {@code tok} on a cpu provider of its own. */
    public static Result run(PrintStream out, Options o, Tokenizer tok) {
        try (Ops cpu = new CpuOps()) {
            return run(out, o, tok, cpu);
        }
    }

    /** Runs the demo with the byte-level tokenizer on {@code ops}; see {@link #run(PrintStream, Options, Tokenizer, Ops)}. */
    public static Result run(PrintStream out, Options o, Ops ops) {
        return run(out, o, new ByteTokenizer(), ops);
    }

    /**
     * Runs the demo with {@code tok}: every model (the base and both runs) is built and loaded on {@code ops}, so that
     * pre-training, the tasks' training, evaluation, retention and the guard compute on that provider (the caller
     * closes it afterwards); decompositions run on {@link Options#backend()}.
     */
    public static Result run(PrintStream out, Options o, Tokenizer tok, Ops ops) {
        long t0 = System.nanoTime();
        List<TaskData> tasks = o.taskSet().generate(o.trainPerTask(), o.testPerTask(), o.seed());
        List<List<String>> corpus = StoryCorpus.generate(o.pretrainLines(), o.heldoutLines(), o.seed());
        try {
            Files.createDirectories(o.outDir());
        } catch (IOException e) {
            throw new SculptException("cannot create " + o.outDir() + ": " + e.getMessage(), e);
        }
        LlamaConfig cfg = modelConfig(o, tok);
        Retention heldout = Retention.of("held-out story sentences", corpus.get(1), tok, cfg.maxPositionEmbeddings());
        TrainConfig train = trainConfig(o);
        out.printf(Locale.ROOT, "sculpt demo: a LLaMA of %,d parameters (hidden %d, %d layers, byte tokenizer), pre-trained on %d generated story sentences,%n",
                cfg.parameterCount(), o.hidden(), o.layers(), o.pretrainLines());
        out.printf(Locale.ROOT, "  learns %d tasks in a row: %s; %d training and %d test examples per task (test inputs unseen), %d epochs, lr %.0e%n",
                tasks.size(), o.taskSet().names(), o.trainPerTask(), o.testPerTask(), o.epochs(), o.lr());
        out.printf(Locale.ROOT, "  (chance: always giving a task's most common test answer scores %s)%n", majorityShares(tasks));
        out.printf(Locale.ROOT, "  OSFT: ranks %s, %s projection, %s, non-targets %s%s%n", o.rankPolicy(), o.projection().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                o.protectInitial() ? "base protected from task 1 on" : "task 1 unprotected", o.nonTargets().name().toLowerCase(Locale.ROOT),
                o.accumulate() ? ", bases accumulated" : "");

        Path baseDir = o.outDir().resolve("base");
        HfModelStore store = new HfModelStore(new ByteTokenizer().files());
        try (LlamaModel base = LlamaModel.create(cfg, o.seed(), ops)) {
            String fingerprint = fingerprint(o, cfg);
            if (isCached(baseDir, fingerprint)) {
                store.loadInto(base, baseDir);
                out.printf(Locale.ROOT, "base: reusing %s; held-out perplexity %.3f%n", baseDir, heldout.perplexity(base));
            } else {
                double random = heldout.perplexity(base);
                double secs = pretrain(base, tok, corpus.get(0), o, out);
                AtomicFiles.writeDirectory(baseDir, dir -> {
                    store.save(base, dir);
                    Files.writeString(dir.resolve(FINGERPRINT), fingerprint, StandardCharsets.UTF_8);
                });
                out.printf(Locale.ROOT, "base: pre-trained in %.0f s, cached in %s; held-out perplexity %.3f (untrained: %.1f)%n",
                        secs, baseDir, heldout.perplexity(base), random);
            }
        }

        List<RunRecord> records = new ArrayList<>();
        for (Method m : List.of(Method.OSFT, Method.SEQFT)) {
            Path dir = o.outDir().resolve(m.label());
            ContinualOptions opts = ContinualOptions.defaults(m).withTrain(train).withRankPolicy(o.rankPolicy())
                    .withBackend(o.backend()).withCheckEvery(25).withNonTargets(o.nonTargets())
                    .withProtectInitial(o.protectInitial()).withAccumulate(o.accumulate()).withMode(o.projection());
            int total = 0;
            for (TaskData t : tasks) total += train.totalSteps(t.train().size());
            try (LlamaModel model = LlamaModel.create(cfg, o.seed(), ops);
                 ProgressBar bar = bar(o, m.label(), total, out)) {
                store.loadInto(model, baseDir);
                int[] done = {0};
                ContinualRunner.Listener l = new ContinualRunner.Listener() {
                    @Override public void step(int task, int step, int steps, double loss) {
                        done[0]++;
                        if (bar != null) {
                            bar.stepTo(done[0]);
                            bar.setExtraMessage(String.format(Locale.ROOT, "task %d/%d %s loss %.3f", task + 1, tasks.size(), tasks.get(task).name(), loss));
                        }
                    }
                };
                freshRunDir(dir);
                RunRecord r = new ContinualRunner(model, tok, store, opts, l).retention(heldout).run(tasks, dir);
                records.add(r);
            }
        }
        Path png = o.outDir().resolve("report.png");
        ChartFile.write(png, () -> Report.write(png, records));
        double secs = (System.nanoTime() - t0) / 1e9;
        Result res = new Result(records.get(0), records.get(1), secs);
        print(out, res);
        out.printf(Locale.ROOT, "report: %s; runs: %s and %s; %.0f s%n", png, o.outDir().resolve("osft"), o.outDir().resolve("seqft"), secs);
        return res;
    }

    /** The demo model's shape: hidden/16 heads, an MLP twice as wide as hidden, the tokenizer's vocabulary. */
    public static LlamaConfig modelConfig(Options o, Tokenizer tok) {
        int heads = Math.max(1, o.hidden() / 16);
        return LlamaConfig.of(tok.vocabSize(), o.hidden(), o.hidden() * 2, o.layers(), heads, heads)
                .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(128);
    }

    /** How each task is trained (both methods): batch 16, 5% warmup, cosine decay, weight decay 0.01, clip 1. */
    public static TrainConfig trainConfig(Options o) {
        return TrainConfig.defaults().withLr(o.lr()).withEpochs(o.epochs()).withBatchSize(16)
                .withWarmup(0.05f).withSchedule(LrSchedule.Kind.COSINE).withWeightDecay(0.01f).withClipNorm(1f).withSeed(o.seed());
    }

    static final String FINGERPRINT = "demo-base.txt";

    /** What the cached base depends on: a different setting means a different base. */
    private static String fingerprint(Options o, LlamaConfig cfg) {
        return String.format(Locale.ROOT, "story corpus v1, seed %d, %d sentences, %d epochs, lr %s, params %d, hidden %d, layers %d%n",
                o.seed(), o.pretrainLines(), o.pretrainEpochs(), Float.toString(o.pretrainLr()), cfg.parameterCount(), o.hidden(), o.layers());
    }

    private static boolean isCached(Path baseDir, String fingerprint) {
        Path f = baseDir.resolve(FINGERPRINT);
        try {
            return Files.isRegularFile(f) && Files.readString(f, StandardCharsets.UTF_8).equals(fingerprint);
        } catch (IOException e) {
            return false;
        }
    }

    /** Pre-trains on the corpus (loss on every token after BOS, EOS at the end); returns the seconds taken. */
    private static double pretrain(LlamaModel model, Tokenizer tok, List<String> lines, Options o, PrintStream out) {
        long t0 = System.nanoTime();
        List<Example> ex = new ArrayList<>();
        for (String s : lines) {
            int[] ids = tok.encode(s);
            int[] seq = new int[ids.length + 2];
            seq[0] = tok.bosId();
            System.arraycopy(ids, 0, seq, 1, ids.length);
            seq[seq.length - 1] = tok.eosId();
            ex.add(new Example(new int[0], seq));
        }
        TrainConfig tc = TrainConfig.defaults().withLr(o.pretrainLr()).withEpochs(o.pretrainEpochs()).withBatchSize(16)
                .withWarmup(0.05f).withSchedule(LrSchedule.Kind.COSINE).withWeightDecay(0.01f).withClipNorm(1f).withSeed(o.seed() + 1000);
        try (ProgressBar bar = bar(o, "base", tc.totalSteps(ex.size()), out)) {
            new Trainer(model, tc).train(ex, UpdateConstraint.NONE, (step, steps, loss, lr, norm) -> {
                if (bar != null) {
                    bar.stepTo(step);
                    bar.setExtraMessage(String.format(Locale.ROOT, "pre-training loss %.3f", loss));
                }
            });
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    private static ProgressBar bar(Options o, String name, int total, PrintStream out) {
        return o.progress() ? new ProgressBarBuilder().setTaskName(String.format("%-5s", name)).setInitialMax(total)
                .setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(250).build() : null;
    }

    private static void freshRunDir(Path dir) {
        AtomicFiles.deleteRecursively(dir);
        if (Files.exists(dir)) throw new SculptException("cannot clear " + dir);
    }

    /** Both accuracy matrices (percent) side by side, then AA, BWT, retention and the summary. */
    static void print(PrintStream out, Result r) {
        List<String> names = r.osft().tasks;
        int t = names.size();
        int w = 8;
        StringBuilder head = new StringBuilder(String.format("%-14s", "after task"));
        StringBuilder title = new StringBuilder(String.format("%-14s", ""));
        for (RunRecord rec : List.of(r.osft(), r.seqft())) {
            title.append(String.format("%-" + (w * t + 4) + "s", rec.method + " accuracy (%) on task"));
            for (String n : names) head.append(String.format("%" + w + "s", n.length() > w - 1 ? n.substring(0, w - 1) : n));
            head.append("    ");
        }
        out.println();
        out.println(title.toString().stripTrailing());
        out.println(head.toString().stripTrailing());
        double[][] a = r.osft().accuracyMatrix(), b = r.seqft().accuracyMatrix();
        for (int i = 0; i < t; i++) {
            StringBuilder row = new StringBuilder(String.format("%-14s", (i + 1) + ": " + names.get(i)));
            for (double[][] m : List.of(a, b)) {
                for (int j = 0; j < t; j++) row.append(j <= i ? String.format(Locale.ROOT, "%" + w + ".1f", 100 * m[i][j]) : String.format("%" + w + "s", "."));
                row.append("    ");
            }
            out.println(row.toString().stripTrailing());
        }
        String col = "%-14s%-" + Math.max(w * t + 4, r.osft().retention.summary().length() + 2) + "s%s%n";
        out.println();
        out.printf(Locale.ROOT, col, "", "osft", "seqft");
        out.printf(Locale.ROOT, col, "AA (%)", fmt(r.osft().averageAccuracy), fmt(r.seqft().averageAccuracy));
        out.printf(Locale.ROOT, col, "BWT (%)", fmt(r.osft().backwardTransfer), fmt(r.seqft().backwardTransfer));
        out.printf(Locale.ROOT, col, "perplexity", r.osft().retention.summary(), r.seqft().retention.summary());
        out.printf(Locale.ROOT, "(perplexity on held-out story sentences: the pre-trained base -> after each task; lower is better)%n%n");
        for (String line : summary(r)) out.println(line);
    }

    /** The summary: only what the numbers show. */
    static List<String> summary(Result r) {
        List<String> s = new ArrayList<>();
        double p0 = r.baseline();
        double ro = Result.rise(r.osft()), rs = Result.rise(r.seqft());
        double po = r.osft().retention.last(), ps = r.seqft().retention.last();
        if (ro < rs && rs > 0) {
            s.add(String.format(Locale.ROOT, "Retention: held-out perplexity of the pre-trained base (%.2f) ends at %s with OSFT and at %s with SeqFT: "
                    + "OSFT's rise is %s of SeqFT's.", p0, num(po), num(ps), share(Math.max(0, ro) / rs)));
        } else {
            s.add(String.format(Locale.ROOT, "Retention: held-out perplexity of the pre-trained base (%.2f) ends at %s with OSFT and at %s with SeqFT: "
                    + "OSFT does not retain the pre-trained ability better here.", p0, num(po), num(ps)));
        }
        double gain = 100 * r.bwtGain();
        s.add(String.format(Locale.ROOT, "Tasks: OSFT's BWT is %.1f points %s than SeqFT's (%s vs %s); AA %s vs %s; mean accuracy on a task "
                        + "right after learning it %s vs %s.", Math.abs(gain), gain >= 0 ? "higher" : "lower",
                fmt(r.osft().backwardTransfer), fmt(r.seqft().backwardTransfer), fmt(r.osft().averageAccuracy), fmt(r.seqft().averageAccuracy),
                fmt(learned(r.osft())), fmt(learned(r.seqft()))));
        List<String> ko = kept(r.osft()), ks = kept(r.seqft());
        int earlier = r.osft().tasks.size() - 1;
        if (ko.isEmpty() && ks.isEmpty()) {
            s.add(String.format(Locale.ROOT, "Neither method keeps an earlier task at %.0f%% of its just-learned accuracy; mean final accuracy on the %d "
                            + "earlier tasks %s vs %s (compare with the chance levels above).", 100 * KEPT_SHARE, earlier,
                    fmt(earlierFinal(r.osft())), fmt(earlierFinal(r.seqft()))));
        } else {
            s.add(String.format(Locale.ROOT, "Earlier tasks kept at >= %.0f%% of their just-learned accuracy: OSFT %d of %d %s, SeqFT %d of %d %s; "
                            + "mean final accuracy on the %d earlier tasks %s vs %s (compare with the chance levels above).",
                    100 * KEPT_SHARE, ko.size(), earlier, ko, ks.size(), earlier, ks, earlier, fmt(earlierFinal(r.osft())), fmt(earlierFinal(r.seqft()))));
        }
        if (earlier > 0) {
            s.add(String.format(Locale.ROOT, "Test loss (nats per target token) on the %d earlier tasks after the last one: OSFT %.2f, SeqFT %.2f; "
                            + "right after learning each %.2f vs %.2f; the base before any task %.2f.", earlier, earlierFinalLoss(r.osft()),
                    earlierFinalLoss(r.seqft()), earlierLearnedLoss(r.osft()), earlierLearnedLoss(r.seqft()), earlierBaseLoss(r.osft())));
        }
        return s;
    }

    /** Mean test loss on the tasks before the last one, after the last one was learned. */
    static double earlierFinalLoss(RunRecord r) {
        int t = r.testLoss.size();
        double sum = 0;
        for (int j = 0; j < t - 1; j++) sum += r.testLoss.get(t - 1).get(j);
        return sum / (t - 1);
    }

    /** Mean test loss on the tasks before the last one, each right after it was learned. */
    static double earlierLearnedLoss(RunRecord r) {
        int t = r.testLoss.size();
        double sum = 0;
        for (int j = 0; j < t - 1; j++) sum += r.testLoss.get(j).get(j);
        return sum / (t - 1);
    }

    /** Mean test loss of the base on the tasks before the last one. */
    static double earlierBaseLoss(RunRecord r) {
        int t = r.testLoss.size();
        double sum = 0;
        for (int j = 0; j < t - 1; j++) sum += r.initialLoss.get(j);
        return sum / (t - 1);
    }

    /** Per task, the share of its test examples whose answer is the most common one: what a constant guess scores. */
    static String majorityShares(List<TaskData> tasks) {
        List<String> parts = new ArrayList<>();
        for (TaskData t : tasks) {
            java.util.Map<String, Integer> counts = new java.util.HashMap<>();
            int best = 0;
            for (var p : t.test()) best = Math.max(best, counts.merge(p.completion(), 1, Integer::sum));
            parts.add(String.format(Locale.ROOT, "%s %.0f%%", t.name(), 100.0 * best / t.test().size()));
        }
        return String.join(", ", parts);
    }

    /** Mean accuracy on the tasks before the last one, after the last one was learned. */
    static double earlierFinal(RunRecord r) {
        double[][] a = r.accuracyMatrix();
        int t = a.length;
        double sum = 0;
        for (int j = 0; j < t - 1; j++) sum += a[t - 1][j];
        return t > 1 ? sum / (t - 1) : Double.NaN;
    }

    /** Mean of the accuracy matrix's diagonal: each task right after learning it. */
    static double learned(RunRecord r) {
        double[][] a = r.accuracyMatrix();
        double sum = 0;
        for (int i = 0; i < a.length; i++) sum += a[i][i];
        return sum / a.length;
    }

    private static String num(double v) {
        return v < 100 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String share(double f) {
        return f >= 0.1 ? String.format(Locale.ROOT, "%.0f%%", 100 * f) : String.format(Locale.ROOT, "%.2g%%", 100 * f);
    }

    /** Earlier tasks whose final accuracy is at least {@link #KEPT_SHARE} of their accuracy right after learning them (which must be > 0). */
    static List<String> kept(RunRecord r) {
        double[][] a = r.accuracyMatrix();
        int t = a.length;
        List<String> k = new ArrayList<>();
        for (int j = 0; j < t - 1; j++) if (a[j][j] > 0 && a[t - 1][j] >= KEPT_SHARE * a[j][j]) k.add(r.tasks.get(j));
        return k;
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.1f", 100 * d);
    }

    private static String fmt(Double d) {
        return d == null ? "n/a" : String.format(Locale.ROOT, "%.1f", 100 * d);
    }
}
