package dev.sculpt.bench;

import dev.sculpt.tensor.MatrixBatch;
import java.util.concurrent.TimeUnit;
import org.ejml.data.FMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_FDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F32;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pure-Java peer: EJML 0.44's float SVD (compact, both singular-vector sets, one thread) of the same
 * matrices. Only 1024 x 1024 by default: it takes about 2.3 s there, 23 s at 2048 x 2048 and 63 s at
 * 2048 x 5504 (measured 2026-11-22 on the project's 2-core machine, bench/RESULTS.md); pass
 * -p shape=2048x2048,2048x5504 for the others.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class EjmlSvdBench {
    @Param({"1024x1024"})
    public String shape;

    private FMatrixRMaj a;

    @Setup(Level.Trial)
    public void setUp() {
        int[] mn = BenchMatrices.shape(shape);
        try (MatrixBatch m = BenchMatrices.weightLike(1, mn[0], mn[1], 1234)) {
            a = new FMatrixRMaj(mn[0], mn[1]);
            m.buffer().get(0, a.data, 0, mn[0] * mn[1]);
        }
    }

    @Benchmark
    public float ejmlSvd() {
        SingularValueDecomposition_F32<FMatrixRMaj> svd =
                DecompositionFactory_FDRM.svd(a.numRows, a.numCols, true, true, true);
        FMatrixRMaj copy = a.copy();
        if (!svd.decompose(copy)) throw new IllegalStateException("EJML SVD failed");
        return svd.getSingularValues()[0];
    }
}
