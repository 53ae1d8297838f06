package dev.sculpt.bench;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.linalg.ProjectionMode;
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
 * In-place complement projection on the CPU backend, with its floor: {@link SvdFlops#projection} over the
 * sgemm rate measured in the same JVM. The update is re-projected every call (projection is idempotent,
 * so the work is the same each time and no copy is timed).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class ProjectionBench {
    @Param({"2048x2048", "2048x5504"})
    public String shape;
    @Param({"4"})
    public int kDiv;
    @Param({"TWO_SIDED", "LEFT", "HIGH_BLOCK"})
    public String mode;
    @Param({"1"})
    public int count;

    private final Backend cpu = Backends.cpu();
    private MatrixBatch d;
    private SvdResult bases;
    private ProjectionMode projection;
    private FloorReport floor;

    @Setup(Level.Trial)
    public void setUp() {
        int[] mn = BenchMatrices.shape(shape);
        int k = BenchMatrices.rank(mn[0], mn[1], kDiv);
        projection = ProjectionMode.parse(mode);
        try (MatrixBatch w = BenchMatrices.weightLike(count, mn[0], mn[1], 77)) {
            bases = cpu.randomizedSvd(w, k, SvdOptions.defaults().withMethod(SvdMethod.RANDOMIZED));
        }
        d = BenchMatrices.weightLike(count, mn[0], mn[1], 78);
        floor = new FloorReport("project " + mode + " " + count + " x " + shape + " k=" + k,
                count * SvdFlops.projection(mn[0], mn[1], k, projection));
    }

    @Setup(Level.Iteration)
    public void iteration(IterationParams params) {
        floor.startIteration(params);
    }

    @Benchmark
    public void project() {
        long t0 = System.nanoTime();
        cpu.project(d, bases.u(), bases.v(), projection);
        floor.record(t0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        floor.print();
        d.close();
        bases.close();
    }
}
