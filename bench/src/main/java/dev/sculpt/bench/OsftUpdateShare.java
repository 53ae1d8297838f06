package dev.sculpt.bench;

import dev.sculpt.SculptException;
import dev.sculpt.continual.HfModelStore;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.data.TaskData;
import dev.sculpt.demo.ContinualDemo;
import dev.sculpt.eval.Evaluator;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Tensor;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.osft.ProtectedBasis;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.train.DenseAdamWUpdater;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import dev.sculpt.osft.UpdateConstraint;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Not a test: measures, inside an OSFT run of the continual demo, the share of each optimizer step's update energy
 * that falls inside the protected subspace before the projection removes it (summed over the constrained matrices:
 * {@code ||D - P(D)||^2 / ||D||^2}, which for the two-sided projection is the part of D touching U_h or V_h), and
 * the share of the previous task's net update {@code W_{t-1} - W_{t-2}} that lies inside task t's protected
 * subspace (what the constraint can protect of the previous task). The same training as {@code sculpt demo}'s OSFT
 * run (ratio or schedule ranks, base protected from task 1, the demo's non-target handling and accumulation), with
 * the {@link SubspaceGuard} wrapped in a measuring {@link UpdateConstraint}; {@code method=seqft} measures the same
 * shares of unconstrained updates against the same subspaces without projecting. An isotropic update of the same
 * shapes would have {@code 1 - (1 - k/m)(1 - k/n)} of its energy inside.
 *
 * <p>Arguments: those of {@link DemoTuning} plus {@code method=osft|seqft}; {@code out} must hold the demo's cached
 * base (run {@link DemoTuning} with the same settings first).
 */
public final class OsftUpdateShare {
    public static void main(String[] args) {
        ContinualDemo.Options o = DemoTuning.options(args);
        boolean project = !List.of(args).contains("method=seqft");
        if (o.rankPolicy().needsImportance()) throw new SculptException("importance ranks are not supported here");
        Path base = o.outDir().resolve("base");
        if (!Files.isDirectory(base)) throw new SculptException("no cached base in " + base + ": run DemoTuning with the same settings first");
        ByteTokenizer tok = new ByteTokenizer();
        List<TaskData> tasks = o.taskSet().generate(o.trainPerTask(), o.testPerTask(), o.seed());
        TrainConfig train = ContinualDemo.trainConfig(o);
        Evaluator eval = new Evaluator(tok, false);
        try (LlamaModel model = LlamaModel.create(ContinualDemo.modelConfig(o, tok), o.seed())) {
            new HfModelStore(tok.files()).loadInto(model, base);
            Map<String, Parameter> byName = new HashMap<>();
            for (Parameter p : model.parameters()) byName.put(p.name(), p);
            NonTargets nt = project ? o.nonTargets() : NonTargets.TRAIN;
            List<String> constrained = o.nonTargets().constrainedNames(model);
            Map<String, ProtectedBasis> carried = new LinkedHashMap<>();
            Map<String, float[]> before = null, after = null;
            System.out.printf(Locale.ROOT, "%s, ranks %s, non-targets %s, lr %.0e, %d epochs; shares in %% of update energy%n",
                    project ? "osft" : "seqft (measured, not projected)", o.rankPolicy(), o.nonTargets(), o.lr(), o.epochs());
            for (int t = 0; t < tasks.size(); t++) {
                TrainConfig tc = train.withSeed(train.seed() + t);
                try (SubspaceGuard guard = SubspaceGuard.builder().backend(o.backend()).mode(o.projection()).accumulate(o.accumulate()).build()) {
                    double isoNum = 0, isoDen = 0;
                    for (String name : constrained) {
                        Parameter p = byName.get(name);
                        int k = o.protectInitial() || t > 0 ? o.rankPolicy().rank(p.rows(), p.cols(), Double.NaN, t + 1, tasks.size()) : 0;
                        guard.register(name, p.data(), p.rows(), p.cols(), k);
                    }
                    for (Map.Entry<String, ProtectedBasis> e : carried.entrySet()) guard.restore(e.getKey(), e.getValue());
                    guard.protect();
                    for (String name : constrained) {
                        Parameter p = byName.get(name);
                        int k = guard.basis(name).leftRank(), m = p.rows(), n = p.cols();
                        int kr = guard.basis(name).rightRank();
                        double inside = 1 - (1 - (double) k / m) * (1 - (double) kr / n);
                        isoNum += inside * m * n;
                        isoDen += (double) m * n;
                    }
                    String prevShare = "";
                    if (before != null) {
                        double in = 0, all = 0;
                        for (String name : constrained) {
                            float[] d = new float[before.get(name).length];
                            for (int i = 0; i < d.length; i++) d[i] = after.get(name)[i] - before.get(name)[i];
                            double e = energy(d);
                            guard.project(name, d);
                            in += e - energy(d);
                            all += e;
                        }
                        prevShare = String.format(Locale.ROOT, "; task %d's net update inside task %d's protected subspace: %.1f%%", t, t + 1, 100 * in / all);
                    }
                    before = snapshot(byName, constrained);
                    List<Parameter> frozen = nt.freezeOthers(model, constrained);
                    Measuring m = new Measuring(guard, project);
                    try {
                        DenseAdamWUpdater updater = new DenseAdamWUpdater(model.ops(), model.parameters(), tc.newOptimizer(), tc.clipNorm(), m);
                        new Trainer(model, tc).train(eval.examples(tasks.get(t).train()), updater, (step, steps, loss, lr, norm) -> {});
                    } finally {
                        for (Parameter p : frozen) p.trainable(true);
                    }
                    after = snapshot(byName, constrained);
                    if (o.accumulate()) {
                        carried = new LinkedHashMap<>();
                        for (String n : guard.names()) carried.put(n, guard.basis(n));
                    }
                    StringBuilder acc = new StringBuilder();
                    for (int j = 0; j <= t; j++) acc.append(String.format(Locale.ROOT, " %.0f", 100 * eval.score(model, tasks.get(j).test(), 16).accuracy()));
                    System.out.printf(Locale.ROOT, "task %d %-7s inside before projection: mean %.1f%% (first tenth of steps %.1f%%, last tenth %.1f%%; isotropic %.1f%%)%s; accuracy on tasks 1..%d:%s%n",
                            t + 1, tasks.get(t).name(), 100 * m.mean(0, 1), 100 * m.mean(0, 0.1), 100 * m.mean(0.9, 1), 100 * isoNum / isoDen, prevShare, t + 1, acc);
                }
            }
        }
    }

    private static Map<String, float[]> snapshot(Map<String, Parameter> byName, List<String> names) {
        Map<String, float[]> s = new HashMap<>();
        for (String n : names) s.put(n, byName.get(n).toArray());
        return s;
    }

    static double energy(float[] d) {
        double e = 0;
        for (float x : d) e += (double) x * x;
        return e;
    }

    /** Records, per step, the share of the constrained updates' energy that the wrapped guard's projection removes. */
    private static final class Measuring implements UpdateConstraint {
        private final SubspaceGuard guard;
        private final boolean apply;
        private final java.util.ArrayList<Double> shares = new java.util.ArrayList<>();

        Measuring(SubspaceGuard guard, boolean apply) {
            this.guard = guard;
            this.apply = apply;
        }

        @Override public boolean constrains(String name) { return guard.constrains(name); }

        private double in;    // this step's energy removed by the projection, over all its project calls
        private double all;   // this step's energy before projection

        @Override public void project(Map<String, Tensor> updates) {
            for (Map.Entry<String, Tensor> e : updates.entrySet()) {
                if (!guard.constrains(e.getKey())) continue;
                FloatBuffer b = e.getValue().hostBuffer();   // the harness runs on the cpu provider
                float[] d = new float[b.limit()];
                b.get(0, d);
                double en = energy(d);
                guard.project(e.getKey(), d);
                in += en - energy(d);
                all += en;
                if (apply) b.put(0, d);
            }
        }

        /** The step's share over all its updates (the updater projects them in several calls). */
        @Override public void afterStep(long step) {
            if (all > 0) shares.add(in / all);
            in = all = 0;
            if (apply) guard.afterStep(step);
        }

        double mean(double from, double to) {
            int a = (int) Math.floor(from * shares.size()), z = Math.max(a + 1, (int) Math.ceil(to * shares.size()));
            double s = 0;
            for (int i = a; i < z; i++) s += shares.get(i);
            return s / (z - a);
        }
    }
}
