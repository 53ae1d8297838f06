package dev.sculpt.cli;

import dev.sculpt.demo.ContinualDemo;
import dev.sculpt.demo.KernelDemo;
import dev.sculpt.linalg.SvdOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.osft.RankPolicy;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sculpt demo}: the main job on built-in defaults. By default the continual demo ({@link ContinualDemo}: a tiny
 * LLaMA learns synthetic tasks in a row with OSFT and with plain sequential fine-tuning); {@code --evolve} runs the CEM
 * demo ({@link EvolveDemo}) and {@code --kernels} the kernel demo ({@link KernelDemo}).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs the built-in demo: by default a tiny LLaMA, pre-trained on a generated story corpus (cached in "
                + "RUN_DIR/continual/base), learns 4 synthetic tasks in a row with OSFT and with plain sequential fine-tuning "
                + "(accuracy matrices, AA, BWT, held-out perplexity of the corpus, RUN_DIR/continual/report.png).",
                "--evolve: the CEM loop on a synthetic knowledge world; --kernels: batched randomized vs exact SVD on "
                        + "LLaMA-shaped matrices."})
public final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--kernels", description = "run the kernel demo (decompose a small LLaMA's weight matrices)")
    boolean kernels;

    @Option(names = "--evolve", description = "run the CEM demo (continue evolving from mistakes)")
    boolean evolve;

    @Option(names = "--out", defaultValue = "runs/demo",
            description = "RUN_DIR of the continual and evolve demos (default: ${DEFAULT-VALUE})")
    java.nio.file.Path out;

    @Option(names = "--no-progress", description = "no progress bar")
    boolean noProgress;

    @Option(names = "--device", defaultValue = "auto", description = "the ops provider the whole demo computes on (its models'"
            + " training, evaluation and guard), with the matching SVD backend for the decompositions: cpu; cuda (a GPU, its"
            + " driver and the CUDA libraries; fails at once without them); cuda-emulated (the CUDA kernels built for the host,"
            + " for tests, slow; SVD on cpu); auto (cuda where usable, else cpu) (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--size", defaultValue = "small",
            description = "matrix sizes: small (hidden 512, intermediate 1408) or tiny (64, 176) (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--layers", defaultValue = "4", description = "layers of the demo model (default: ${DEFAULT-VALUE})")
    int layers;

    @Option(names = "--ratio", defaultValue = "0.25", description = "k = round(ratio * min(m, n)) (default: ${DEFAULT-VALUE})")
    double ratio;

    @Option(names = "--seed", defaultValue = "1234", description = "seed of the matrices and the sketch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--rank-policy", defaultValue = "0.5",
            description = "continual demo: OSFT's preserved ranks, schedule ((t-1)/T), importance or a ratio in [0, 1] (default: ${DEFAULT-VALUE})")
    String rankPolicy;

    @Option(names = "--non-targets", defaultValue = "constrain",
            description = "continual demo: embeddings, lm_head and norms under OSFT: train, freeze or constrain (default: ${DEFAULT-VALUE})")
    String nonTargets;

    @Override
    public Integer call() {
        // every flag is checked before any work starts, whichever demo runs
        if (kernels && evolve) throw new dev.sculpt.SculptException("--kernels and --evolve exclude each other");
        if (layers < 1) throw new dev.sculpt.SculptException("--layers must be >= 1, got " + layers);
        if (!(ratio > 0 && ratio <= 1)) throw new dev.sculpt.SculptException("--ratio must be in (0, 1], got " + ratio);
        KernelDemo.Config base = switch (size) {
            case "small" -> KernelDemo.Config.small();
            case "tiny" -> KernelDemo.Config.tiny();
            default -> throw new dev.sculpt.SculptException("--size must be small or tiny, got '" + size + "'");
        };
        RankPolicy policy = RankPolicy.parse(rankPolicy, RankPolicy.DEFAULT_MRR, RankPolicy.DEFAULT_TRR);
        NonTargets nt = NonTargets.parse(nonTargets);
        // the device is opened before any work: --device cuda without a GPU fails here, saying what is missing
        try (dev.sculpt.ops.RunDevice run = dev.sculpt.ops.RunDevice.open("--device", device)) {
            System.out.println("device: " + run.describe());
            return run(run, base, policy, nt);
        }
    }

    private int run(dev.sculpt.ops.RunDevice run, KernelDemo.Config base, RankPolicy policy, NonTargets nt) {
        if (evolve) {
            dev.sculpt.demo.EvolveDemo.run(System.out, out.resolve("evolve"), dev.sculpt.demo.EvolveDemo.Settings.defaults(),
                    run.ops(), run.backend());
            return 0;
        }
        if (!kernels) {
            ContinualDemo.run(System.out, ContinualDemo.Options.defaults(out.resolve("continual"))
                    .withBackend(run.backend()).withProgress(!noProgress).withRankPolicy(policy).withNonTargets(nt), run.ops());
            return 0;
        }
        KernelDemo.Config cfg = new KernelDemo.Config(layers, base.hidden(), base.intermediate(), base.heads(),
                base.kvHeads(), ratio, seed);
        KernelDemo.run(run.backend(), cfg, SvdOptions.defaults().withSeed(seed), spec.commandLine().getOut());
        return 0;
    }
}
