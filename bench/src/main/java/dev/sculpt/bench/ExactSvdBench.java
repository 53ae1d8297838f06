package dev.sculpt.bench;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
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

/**
 * Full LAPACK sgesdd (thin, both singular-vector sets) of the same matrices as {@link TopKBench}, through
 * the CPU backend's exact method; its cost does not depend on k, so k is the smallest of TopKBench's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class ExactSvdBench {
    @Param({"1024x1024", "2048x2048", "2048x5504"})
    public String shape;
    @Param({"1"})
    public int count;

    private final Backend cpu = Backends.cpu();
    private MatrixBatch a;
    private int k;

    @Setup(Level.Trial)
    public void setUp() {
        int[] mn = BenchMatrices.shape(shape);
        a = BenchMatrices.weightLike(count, mn[0], mn[1], 1234);
        k = BenchMatrices.rank(mn[0], mn[1], 8);
    }

    @Benchmark
    public float sgesdd() {
        try (SvdResult r = cpu.exactSvd(a, k)) {
            return r.s().get(0, 0, 0);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
    }
}
