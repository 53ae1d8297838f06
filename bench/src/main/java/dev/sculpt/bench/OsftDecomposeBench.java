package dev.sculpt.bench;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaFamily;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.tensor.MatrixBatch;
import dev.sculpt.text.ByteTokenizer;
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
 * Decomposing every target matrix of the ~25M "small" LLaMA preset at the start of a task: {@code batched} is what
 * {@link SubspaceGuard#protect()} does (one {@code Svd.topK} per shape, method auto), {@code oneAtATime} is the
 * reference implementation's way (an exact SVD per matrix, one after another). k = round(ratio * min(m, n)).
 *
 * <pre>
 * java -Dorg.bytedeco.javacpp.maxBytes=0 -jar bench/target/benchmarks.jar OsftDecomposeBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class OsftDecomposeBench {
    @Param({"0.1", "0.5"}) double ratio;

    LlamaModel llama;
    Backend cpu;

    @Setup(Level.Trial)
    public void setup() {
        LlamaConfig cfg = LlamaFamily.preset("small", ByteTokenizer.VOCAB_SIZE, ByteTokenizer.BOS, ByteTokenizer.EOS, ByteTokenizer.PAD);
        llama = LlamaModel.create(cfg, 1);
        cpu = Backends.cpu();
    }

    @TearDown(Level.Trial)
    public void close() {
        llama.close();
    }

    @Benchmark
    public int batched() {
        try (SubspaceGuard g = SubspaceGuard.builder().backend(cpu).checkEvery(0).build()) {
            for (String name : llama.targetMatrixNames()) {
                Parameter p = llama.parameter(name);
                g.register(name, p.data(), p.rows(), p.cols(), RankPolicy.rankFor(ratio, p.rows(), p.cols()));
            }
            g.protect();
            return g.ranks().size();
        }
    }

    @Benchmark
    public int oneAtATime() {
        int n = 0;
        for (String name : llama.targetMatrixNames()) {
            Parameter p = llama.parameter(name);
            try (MatrixBatch one = MatrixBatch.ofHost(1, p.rows(), p.cols(), p.toArray());
                 SvdResult r = cpu.exactSvd(one, RankPolicy.rankFor(ratio, p.rows(), p.cols()))) {
                n += r.k();
            }
        }
        return n;
    }

    /** The options batched() uses, for the record. */
    static SvdOptions options() {
        return SvdOptions.defaults();
    }
}
