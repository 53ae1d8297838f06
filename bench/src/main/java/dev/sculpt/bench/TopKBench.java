package dev.sculpt.bench;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.SvdFlops;
import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.linalg.SvdResult;
import dev.sculpt.tensor.MatrixBatch;
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
import org.openjdk.jmh.infra.IterationParams;

/**
 * Batched randomized top-k SVD on the CPU backend (default p = 10, q = 2), with its floor: the flop count
 * of {@link SvdFlops#randomized} times the batch size over the sgemm rate measured in the same JVM.
 * Compare its score with {@link ExactSvdBench} (full LAPACK sgesdd of the same matrices).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class TopKBench {
    @Param({"1024x1024", "2048x2048", "2048x5504"})
    public String shape;
    /** k = min(m, n) / kDiv. */
    @Param({"8", "4", "2"})
    public int kDiv;
    @Param({"1"})
    public int count;

    private final Backend cpu = Backends.cpu();
    private MatrixBatch a;
    private int k;
    private SvdOptions options;
    private FloorReport floor;

    @Setup(Level.Trial)
    public void setUp() {
        int[] mn = BenchMatrices.shape(shape);
        a = BenchMatrices.weightLike(count, mn[0], mn[1], 1234);
        k = BenchMatrices.rank(mn[0], mn[1], kDiv);
        options = SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED).withSeed(99);
        double flops = count * SvdFlops.randomized(mn[0], mn[1], k, options.oversample(), options.powerIters());
        floor = new FloorReport("topK randomized " + count + " x " + shape + " k=" + k, flops);
    }

    @Setup(Level.Iteration)
    public void iteration(IterationParams params) {
        floor.startIteration(params);
    }

    @Benchmark
    public float topK() {
        long t0 = System.nanoTime();
        try (SvdResult r = cpu.randomizedSvd(a, k, options)) {
            floor.record(t0);
            return r.s().get(0, 0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        floor.print();
        a.close();
    }
}
