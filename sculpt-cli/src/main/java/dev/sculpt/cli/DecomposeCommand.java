package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.io.TensorFileDecomposer;
import dev.sculpt.io.TensorFileDecomposer.Outcome;
import dev.sculpt.io.TensorFileDecomposer.RankRule;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sculpt decompose}: top-k SVD of every 2-D tensor of a safetensors file (see {@link TensorFileDecomposer}). */
@Command(name = "decompose", mixinStandardHelpOptions = true,
        description = {"Top-k SVD of every 2-D tensor NAME (F32, F16, BF16) of a safetensors file.",
                "Writes NAME.U [m,k], NAME.S [k], NAME.V [n,k] as F32; prints one line per tensor."})
public final class DecomposeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "FILE", description = "input .safetensors file (only read)")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "output .safetensors file (written atomically)")
    Path out;

    @Option(names = "--rank", paramLabel = "K", description = "k, the number of singular triplets kept for every tensor (default: none; give --rank or --ratio)")
    Integer rank;

    @Option(names = "--ratio", paramLabel = "R", description = "k = round(R * min(m, n)), 0 < R <= 1 (default: none; give --rank or --ratio)")
    Double ratio;

    @Option(names = "--method", defaultValue = "auto", description = "auto, randomized or exact (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--oversample", paramLabel = "P", defaultValue = "" + SvdOptions.DEFAULT_OVERSAMPLE,
            description = "extra sketch columns (default: ${DEFAULT-VALUE})")
    int oversample;

    @Option(names = "--power-iters", paramLabel = "Q", defaultValue = "" + SvdOptions.DEFAULT_POWER_ITERS,
            description = "power iterations (default: ${DEFAULT-VALUE})")
    int powerIters;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "seed of the Gaussian sketch (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE})")
    String device;

    @Override
    public Integer call() {
        // every flag is checked before the input is touched
        RankRule rule = new RankRule(rank, ratio);
        SvdMethod m;
        try {
            m = SvdMethod.parse(method);
        } catch (SculptException e) {
            throw new SculptException("--method: " + e.getMessage());
        }
        if (oversample < 0) throw new SculptException("--oversample must be >= 0, got " + oversample);
        if (powerIters < 0) throw new SculptException("--power-iters must be >= 0, got " + powerIters);
        Backend backend;
        try {
            backend = Backends.get(device);
        } catch (SculptException e) {
            throw new SculptException(e.getMessage().startsWith("--device") ? e.getMessage() : "--device: " + e.getMessage());
        }
        SvdOptions options = new SvdOptions(m, oversample, powerIters, seed);
        PrintWriter stdout = spec.commandLine().getOut();
        List<Outcome> done = TensorFileDecomposer.run(in, out, rule, backend, options, line -> {
            stdout.println(line);
            stdout.flush();
        });
        spec.commandLine().getErr().printf("wrote %s: %d tensors decomposed on %s%n", out, done.size(), backend.name());
        return 0;
    }
}
