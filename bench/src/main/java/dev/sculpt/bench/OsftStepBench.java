package dev.sculpt.bench;

import dev.sculpt.backend.Backends;
import dev.sculpt.model.Example;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaFamily;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.train.AdamW;
import dev.sculpt.train.DenseAdamWUpdater;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The OSFT constraint's cost per optimizer step against an unconstrained step, on the CPU.
 *
 * <p>{@code step} runs one full optimizer step (forward + backward over {@code tokens} tokens, clipping, AdamW,
 * and with {@code constrained=true} the two-sided projection of every target matrix's final update with half of
 * its rank protected). Overhead = step(constrained) / step(unconstrained) - 1; target at most 15% for the ~25M
 * "small" preset at 4096 tokens per step. {@code model=demo} is the demo's model (hidden 64, 2 layers) at the
 * demo's step size (16 examples of about 14 tokens): there the projection (about 8mnk flops per matrix) weighs
 * far more because so few tokens share it. {@code projectOnly} times the projection alone.
 *
 * <pre>
 * ./mvnw -q -B -DskipTests package -pl bench -am
 * java -Dorg.bytedeco.javacpp.maxBytes=0 -jar bench/target/benchmarks.jar OsftStepBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class OsftStepBench {
    @Param({"small", "demo"}) String model;
    @Param({"false", "true"}) boolean constrained;

    LlamaModel llama;
    List<Example> batch;
    SubspaceGuard guard;
    DenseAdamWUpdater updater;

    @Setup(Level.Trial)
    public void setup() {
        LlamaConfig cfg;
        int seqs, seqLen;
        if (model.equals("small")) {
            cfg = LlamaFamily.preset("small", ByteTokenizer.VOCAB_SIZE, ByteTokenizer.BOS, ByteTokenizer.EOS, ByteTokenizer.PAD);
            seqs = 16;
            seqLen = 256;     // 4096 tokens per step
        } else {
            cfg = LlamaConfig.of(ByteTokenizer.VOCAB_SIZE, 64, 128, 2, 4, 4)
                    .withSpecialTokens(ByteTokenizer.BOS, new int[] {ByteTokenizer.EOS}, ByteTokenizer.PAD).withMaxPositions(64);
            seqs = 16;
            seqLen = 14;
        }
        llama = LlamaModel.create(cfg, 1);
        SplittableRandom r = new SplittableRandom(2);
        batch = new ArrayList<>();
        for (int s = 0; s < seqs; s++) {
            int[] p = new int[seqLen / 2];
            int[] t = new int[seqLen - seqLen / 2 + 1];
            for (int i = 0; i < p.length; i++) p[i] = 3 + r.nextInt(256);
            for (int i = 0; i < t.length; i++) t[i] = 3 + r.nextInt(256);
            batch.add(new Example(p, t));
        }
        UpdateConstraint c = UpdateConstraint.NONE;
        if (constrained) {
            guard = SubspaceGuard.builder().backend(Backends.cpu()).ops(llama.ops()).checkEvery(0).build();
            for (String name : llama.targetMatrixNames()) {
                Parameter p = llama.parameter(name);
                guard.register(name, p.value(), RankPolicy.rankFor(0.5, p.rows(), p.cols()));
            }
            guard.protect();
            c = guard;
        }
        updater = new DenseAdamWUpdater(llama.ops(), llama.parameters(), AdamW.defaults(0.01f), 1f, c);
    }

    @TearDown(Level.Trial)
    public void close() {
        updater.close();
        if (guard != null) guard.close();
        llama.close();
    }

    @Benchmark
    public double step() {
        for (Parameter p : llama.parameters()) p.zeroGrad();
        long tokens = 0;
        for (Example e : batch) tokens += e.target().length;
        double loss = llama.forwardBackward(batch, 1f / tokens).sum();
        updater.step(1e-5f, 0);
        return loss;
    }
}
