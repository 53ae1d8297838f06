package dev.sculpt.cli;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.demo.KernelDemo;
import dev.sculpt.linalg.SvdOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sculpt demo}: the main job on built-in defaults. For now it runs the kernel demo ({@link KernelDemo});
 * once the continual demo exists that becomes the default and {@code --kernels} selects this one.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Runs the built-in demo (for now: the kernel demo, batched randomized vs exact SVD on LLaMA-shaped matrices).")
public final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--kernels", description = "run the kernel demo (decompose a small LLaMA's weight matrices)")
    boolean kernels;

    @Option(names = "--device", defaultValue = "auto", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE})")
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

    @Override
    public Integer call() {
        if (layers < 1) throw new dev.sculpt.SculptException("--layers must be >= 1, got " + layers);
        if (!(ratio > 0 && ratio <= 1)) throw new dev.sculpt.SculptException("--ratio must be in (0, 1], got " + ratio);
        Backend backend = Backends.get(device);
        KernelDemo.Config base = switch (size) {
            case "small" -> KernelDemo.Config.small();
            case "tiny" -> KernelDemo.Config.tiny();
            default -> throw new dev.sculpt.SculptException("--size must be small or tiny, got '" + size + "'");
        };
        KernelDemo.Config cfg = new KernelDemo.Config(layers, base.hidden(), base.intermediate(), base.heads(),
                base.kvHeads(), ratio, seed);
        // until the continual demo exists, the default is the kernel demo as well
        KernelDemo.run(backend, cfg, SvdOptions.defaults().withSeed(seed), spec.commandLine().getOut());
        return 0;
    }
}
