package dev.sculpt.demo;

import dev.sculpt.continual.Method;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.linalg.ProjectionMode;
import java.nio.file.Path;

/** Not a test: runs the evolve demo with key=value overrides of {@link EvolveDemo.Settings#defaults()} (tuning). */
public final class EvolveTuning {
    public static void main(String[] a) {
        EvolveDemo.Settings d = EvolveDemo.Settings.defaults();
        long seed = d.seed(); int loop = d.loopPeople(), known = d.knownPeople(), by = d.bystanders(), hidden = d.hidden(),
                layers = d.layers(), heads = d.heads(), pe = d.pretrainEpochs(), rounds = d.rounds(), re = d.roundEpochs(),
                batch = d.batchSize(), gpp = d.generalPerPassage();
        float plr = d.pretrainLr(), rlr = d.roundLr();
        Method m = d.method(); double ratio = d.rankRatio(), share = d.replayShare();
        boolean wt = d.wordTokens(), acc = d.accumulate(), rp = d.replayPretrain(), cmp = d.compareSeqft(); NonTargets nt = d.nonTargets(); ProjectionMode pm = d.projection();
        for (int i = 1; i < a.length; i++) {
            String[] kv = a[i].split("=", 2);
            String v = kv[1];
            switch (kv[0]) {
                case "seed": seed = Long.parseLong(v); break;
                case "loop": loop = Integer.parseInt(v); break;
                case "known": known = Integer.parseInt(v); break;
                case "by": by = Integer.parseInt(v); break;
                case "hidden": hidden = Integer.parseInt(v); break;
                case "layers": layers = Integer.parseInt(v); break;
                case "pe": pe = Integer.parseInt(v); break;
                case "plr": plr = Float.parseFloat(v); break;
                case "rounds": rounds = Integer.parseInt(v); break;
                case "re": re = Integer.parseInt(v); break;
                case "rlr": rlr = Float.parseFloat(v); break;
                case "method": m = Method.parse(v); break;
                case "ratio": ratio = Double.parseDouble(v); break;
                case "acc": acc = Boolean.parseBoolean(v); break;
                case "nt": nt = NonTargets.parse(v); break;
                case "gpp": gpp = Integer.parseInt(v); break;
                case "rp": rp = Boolean.parseBoolean(v); break;
                case "share": share = Double.parseDouble(v); break;
                case "wt": wt = Boolean.parseBoolean(v); break;
                case "pm": pm = ProjectionMode.parse(v); break;
                case "cmp": cmp = Boolean.parseBoolean(v); break;
                default: throw new IllegalArgumentException(kv[0]);
            }
        }
        EvolveDemo.run(System.out, Path.of(a[0]), new EvolveDemo.Settings(seed, loop, known, by, hidden, layers, heads, pe, plr,
                rounds, re, rlr, batch, m, ratio, acc, nt, gpp, rp, share, cmp, wt, pm));
    }
}
