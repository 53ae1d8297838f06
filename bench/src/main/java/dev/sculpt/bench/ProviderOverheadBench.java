package dev.sculpt.bench;

import dev.sculpt.backend.cpu.BlasThreads;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.cpu.CpuOps;
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
 * The ops provider's cost over today's direct calls (issue 14: within 5 %): the same row-major sgemm through
 * a direct {@code cblas_sgemm} on JavaCPP pointers (what the layers did before the provider, under the same
 * {@link BlasThreads} policy) and through {@link CpuOps#gemm} on {@link Tensor}s, at a layer-sized shape
 * and at a small one where the provider's argument checks weigh most. Both run the same OpenBLAS call; the ratio of
 * the two scores, in one run, is the overhead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0"})
@State(Scope.Thread)
public class ProviderOverheadBench {
    /** m = n = k; both sizes stay below BlasThreads.SMALL_MNK, so both paths run OpenBLAS on one thread. */
    @Param({"64", "256"})
    public int size;

    private FloatPointer a, b, c;
    private Tensor ta, tb, tc;
    private CpuOps ops;

    @Setup(Level.Trial)
    public void setUp() {
        int n = size * size;
        float[] av = new float[n], bv = new float[n];
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < n; i++) {
            av[i] = (float) r.nextGaussian();
            bv[i] = (float) r.nextGaussian();
        }
        a = new FloatPointer(av);
        b = new FloatPointer(bv);
        c = new FloatPointer(n);
        ta = Tensor.ofHost("a", av, size, size);
        tb = Tensor.ofHost("b", bv, size, size);
        tc = Tensor.allocateHost("c", size, size);
        ops = new CpuOps();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        ta.close();
        tb.close();
        tc.close();
        ops.close();
        a.close();
        b.close();
        c.close();
    }

    @Benchmark
    public FloatPointer direct() {
        BlasThreads.runProduct((long) size * size * size, () -> openblas.cblas_sgemm(openblas.CblasRowMajor,
                openblas.CblasNoTrans, openblas.CblasNoTrans, size, size, size, 1f, a, size, b, size, 0f, c, size));
        return c;
    }

    @Benchmark
    public Tensor provider() {
        ops.gemm(false, false, 1, size, size, size, 1f, ta, 0, size, 0, tb, 0, size, 0, 0f, tc, 0, size, 0);
        return tc;
    }
}
