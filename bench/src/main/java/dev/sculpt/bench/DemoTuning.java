package dev.sculpt.bench;

import dev.sculpt.demo.ContinualDemo;

import dev.sculpt.continual.NonTargets;
import dev.sculpt.osft.RankPolicy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Not a test: runs the continual demo with settings given as key=value arguments (out, train, test, epochs, hidden,
 * layers, lr, ranks, nontargets, pretrain, heldout, pepochs, plr, protect, accumulate, seed, projection, tasks), on the
 * CPU backend: the tuning record of bench/RESULTS.md ("sculpt demo settings tried").
 */
public final class DemoTuning {
    public static void main(String[] args) {
        ContinualDemo.run(System.out, options(args));
    }

    /** The demo's options with the key=value arguments applied (progress bar off). */
    static ContinualDemo.Options options(String[] args) {
        Map<String, String> a = new HashMap<>();
        for (String s : args) a.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
        ContinualDemo.Options d = ContinualDemo.Options.defaults(Path.of(a.getOrDefault("out", "/tmp/demo-tune")));
        ContinualDemo.Options o = d
                .withSize(i(a, "train", d.trainPerTask()), i(a, "test", d.testPerTask()), i(a, "epochs", d.epochs()))
                .withModel(i(a, "hidden", d.hidden()), i(a, "layers", d.layers()))
                .withLr(Float.parseFloat(a.getOrDefault("lr", Float.toString(d.lr()))))
                .withPretrain(i(a, "pretrain", d.pretrainLines()), i(a, "heldout", d.heldoutLines()), i(a, "pepochs", d.pretrainEpochs()),
                        Float.parseFloat(a.getOrDefault("plr", Float.toString(d.pretrainLr()))))
                .withProtectInitial(Boolean.parseBoolean(a.getOrDefault("protect", Boolean.toString(d.protectInitial()))))
                .withAccumulate(Boolean.parseBoolean(a.getOrDefault("accumulate", Boolean.toString(d.accumulate()))))
                .withSeed(Long.parseLong(a.getOrDefault("seed", Long.toString(d.seed()))))
                .withProgress(false);
        if (a.containsKey("ranks")) o = o.withRankPolicy(RankPolicy.parse(a.get("ranks"), 0.1, 0.8));
        if (a.containsKey("projection")) o = o.withProjection(dev.sculpt.linalg.ProjectionMode.parse(a.get("projection")));
        if (a.containsKey("tasks")) o = o.withTasks(dev.sculpt.demo.DemoTaskSet.parse(a.get("tasks")));
        if (a.containsKey("nontargets")) o = o.withNonTargets(NonTargets.parse(a.get("nontargets")));
        return o;
    }

    private static int i(Map<String, String> a, String k, int d) {
        return Integer.parseInt(a.getOrDefault(k, Integer.toString(d)));
    }
}
