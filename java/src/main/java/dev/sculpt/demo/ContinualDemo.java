package dev.sculpt.demo;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.continual.ContinualOptions;
import dev.sculpt.continual.ContinualRunner;
import dev.sculpt.continual.HfModelStore;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.continual.Report;
import dev.sculpt.continual.RunRecord;
import dev.sculpt.data.TaskData;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.LrSchedule;
import dev.sculpt.train.TrainConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * {@code sculpt demo}: a tiny LLaMA (byte-level tokenizer, trained from scratch) learns the built-in
 * {@link SyntheticTasks} one after another, once with OSFT and once with plain sequential fine-tuning from the same
 * initial weights; both accuracy matrices, AA and BWT are printed side by side and RUN_DIR/report.png shows both.
 */
public final class ContinualDemo {
    private ContinualDemo() {}

    /**
     * The demo's settings; {@link #defaults(Path)} is what {@code sculpt demo} runs.
     *
     * @param outDir        RUN_DIR: osft/ and seqft/ runs (metrics.json, checkpoints) and the combined report.png
     * @param seed          seed of the tasks, the initial weights and shuffling
     * @param trainPerTask  training examples per task
     * @param testPerTask   test examples per task (inputs disjoint from training)
     * @param hidden        model width
     * @param layers        decoder layers
     * @param epochs        passes over each task
     * @param lr            peak learning rate
     * @param rankPolicy    OSFT's preserved ranks
     * @param backend       where decompositions and projections run
     * @param progress      show a progress bar
     */
    public record Options(Path outDir, long seed, int trainPerTask, int testPerTask, int hidden, int layers, int epochs,
                          float lr, RankPolicy rankPolicy, Backend backend, boolean progress, NonTargets nonTargets) {
        public static Options defaults(Path outDir) {
            return new Options(outDir, 7, 600, 50, 64, 2, 3, 3e-3f, RankPolicy.schedule(), Backends.cpu(), true, NonTargets.TRAIN);
        }

        public Options withSize(int trainPerTask, int testPerTask, int epochs) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets);
        }

        public Options withModel(int hidden, int layers) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets);
        }

        public Options withLr(float lr) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets);
        }

        public Options withRankPolicy(RankPolicy p) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, p, backend, progress, nonTargets);
        }

        public Options withBackend(Backend b) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, b, progress, nonTargets);
        }

        public Options withSeed(long s) {
            return new Options(outDir, s, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, nonTargets);
        }

        public Options withNonTargets(NonTargets n) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, progress, n);
        }

        public Options withProgress(boolean p) {
            return new Options(outDir, seed, trainPerTask, testPerTask, hidden, layers, epochs, lr, rankPolicy, backend, p, nonTargets);
        }
    }

    /** Both runs' records and the wall time. */
    public record Result(RunRecord osft, RunRecord seqft, double seconds) {
        /** How much higher OSFT's BWT is than SeqFT's (in accuracy points, 0..1). */
        public double bwtGain() { return osft.backwardTransfer - seqft.backwardTransfer; }
    }

    /** Runs the demo with the byte-level tokenizer, printing to {@code out}. */
    public static Result run(PrintStream out, Options o) {
        return run(out, o, new ByteTokenizer());
    }

    public static Result run(PrintStream out, Options o, Tokenizer tok) {
        long t0 = System.nanoTime();
        List<TaskData> tasks = SyntheticTasks.generate(o.trainPerTask(), o.testPerTask(), o.seed());
        try {
            Files.createDirectories(o.outDir());
        } catch (IOException e) {
            throw new SculptException("cannot create " + o.outDir() + ": " + e.getMessage(), e);
        }
        int heads = Math.max(1, o.hidden() / 16);
        LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), o.hidden(), o.hidden() * 2, o.layers(), heads, heads)
                .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(64);
        TrainConfig train = TrainConfig.defaults().withLr(o.lr()).withEpochs(o.epochs()).withBatchSize(16)
                .withWarmup(0.05f).withSchedule(LrSchedule.Kind.COSINE).withWeightDecay(0.01f).withClipNorm(1f).withSeed(o.seed());
        out.printf(Locale.ROOT, "sculpt demo: a LLaMA of %,d parameters (hidden %d, %d layers, byte tokenizer) learns %d tasks in a row: %s%n",
                cfg.parameterCount(), o.hidden(), o.layers(), tasks.size(), SyntheticTasks.names());
        out.printf(Locale.ROOT, "  %d training and %d test examples per task (test inputs unseen), %d epochs, lr %.0e; OSFT ranks: %s%n",
                o.trainPerTask(), o.testPerTask(), o.epochs(), o.lr(), o.rankPolicy());

        List<RunRecord> records = new ArrayList<>();
        for (Method m : List.of(Method.OSFT, Method.SEQFT)) {
            Path dir = o.outDir().resolve(m.label());
            ContinualOptions opts = ContinualOptions.defaults(m).withTrain(train).withRankPolicy(o.rankPolicy())
                    .withBackend(o.backend()).withCheckEvery(25).withNonTargets(o.nonTargets());
            int total = 0;
            for (TaskData t : tasks) total += train.totalSteps(t.train().size());
            try (LlamaModel model = LlamaModel.create(cfg, o.seed());
                 ProgressBar bar = o.progress() ? new ProgressBarBuilder().setTaskName(String.format("%-5s", m.label()))
                         .setInitialMax(total).setConsumer(new ConsoleProgressBarConsumer(out)).setUpdateIntervalMillis(250).build() : null) {
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
                RunRecord r = new ContinualRunner(model, tok, new HfModelStore(new ByteTokenizer().files()), opts, l).run(tasks, dir);
                records.add(r);
            }
        }
        Path png = o.outDir().resolve("report.png");
        Report.write(png, records);
        double secs = (System.nanoTime() - t0) / 1e9;
        Result res = new Result(records.get(0), records.get(1), secs);
        print(out, res);
        out.printf(Locale.ROOT, "report: %s; runs: %s and %s; %.0f s%n", png, o.outDir().resolve("osft"), o.outDir().resolve("seqft"), secs);
        return res;
    }

    private static void freshRunDir(Path dir) {
        dev.sculpt.io.AtomicFiles.deleteRecursively(dir);
        if (java.nio.file.Files.exists(dir)) throw new SculptException("cannot clear " + dir);
    }

    /** Both accuracy matrices (percent) side by side, then AA and BWT. */
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
        out.println();
        out.printf(Locale.ROOT, "%-14s%-" + (w * t + 4) + "s%s%n", "", "osft", "seqft");
        out.printf(Locale.ROOT, "%-14s%-" + (w * t + 4) + "s%s%n", "AA (%)", fmt(r.osft().averageAccuracy), fmt(r.seqft().averageAccuracy));
        out.printf(Locale.ROOT, "%-14s%-" + (w * t + 4) + "s%s%n", "BWT (%)", fmt(r.osft().backwardTransfer), fmt(r.seqft().backwardTransfer));
        out.printf(Locale.ROOT, "%nOSFT's BWT is %.1f points %s than SeqFT's.%n", Math.abs(100 * r.bwtGain()), r.bwtGain() >= 0 ? "higher" : "lower");
    }

    private static String fmt(Double d) {
        return d == null ? "n/a" : String.format(Locale.ROOT, "%.1f", 100 * d);
    }
}
