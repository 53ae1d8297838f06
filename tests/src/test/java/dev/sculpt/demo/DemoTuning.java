package dev.sculpt.demo;

import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.ReferenceBackend;
import java.nio.file.Path;

/** Not a test: runs the demo with the test reference backend (for tuning before the CPU kernels exist). */
public final class DemoTuning {
    public static void main(String[] a) {
        ContinualDemo.Options o = ContinualDemo.Options.defaults(Path.of(a[0]))
                .withSize(Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]))
                .withModel(Integer.parseInt(a[4]), Integer.parseInt(a[5])).withLr(Float.parseFloat(a[6]))
                .withRankPolicy(RankPolicy.parse(a[7], 0.1, 0.8)).withProgress(false).withNonTargets(dev.sculpt.continual.NonTargets.parse(a.length > 8 ? a[8] : "train"));
        if (!"cpu".equals(System.getProperty("backend"))) o = o.withBackend(new ReferenceBackend());
        ContinualDemo.run(System.out, o);
    }
}
