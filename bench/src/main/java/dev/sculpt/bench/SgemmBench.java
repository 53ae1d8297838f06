package dev.sculpt.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/** The reference rate itself: one {@link SgemmRate} measurement (7 sgemm of 2048^3) per call, in GFLOP/s. */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.bytedeco.javacpp.maxBytes=0"})
public class SgemmBench {
    @Benchmark
    public double sgemmGflops() {
        double rate = SgemmRate.measure() / 1e9;
        System.out.printf("%nSGEMM 2048^3: %.1f GFLOP/s%n", rate);
        return rate;
    }
}
