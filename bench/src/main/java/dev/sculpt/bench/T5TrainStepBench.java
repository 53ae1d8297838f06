package dev.sculpt.bench;

import dev.sculpt.model.Example;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import dev.sculpt.ops.Tensor;
import dev.sculpt.text.ByteTokenizer;
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
 * One T5 training step (forward + backward over a packed micro-batch, gradients accumulated, no optimizer) on the
 * cpu provider for a ~25M-parameter T5 (d_model 512, 8 heads of 64, d_ff 1536, relu, 4 encoder + 4 decoder blocks,
 * tied head, byte vocabulary: 25.3M parameters, the size of TrainStepBench's LLaMA), against its sgemm floor
 * measured in the same run.
 *
 * <p>{@code trainStep} is the real step. {@code sgemmFloor} issues exactly the matrix products the step needs,
 * through the same provider's gemm: every projection's forward, input-gradient and weight-gradient product over
 * all rows of its stack (the cross-attention k/v over the encoder rows), the head over the decoder rows, and the
 * six per-head attention products of encoder self-, decoder self- and cross-attention per sequence. The step can
 * never beat it. Ratio = trainStep / sgemmFloor (both ms/op; issue 14's target: at most 1.3).
 *
 * <pre>
 * ./mvnw -q -B -DskipTests package -pl bench -am
 * java -Dorg.bytedeco.javacpp.maxBytes=0 -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 -jar bench/target/benchmarks.jar T5TrainStepBench
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules", "jdk.incubator.vector", "-Dorg.bytedeco.javacpp.maxBytes=0", "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0"})
public class T5TrainStepBench {
    @Param({"8"}) int seqs;
    /** Encoder (prompt) tokens per sequence. */
    @Param({"128"}) int encLen;
    /** Decoder (target) tokens per sequence. */
    @Param({"128"}) int decLen;

    T5Model model;
    List<Example> batch;
    Floor floor;

    static T5Config config() {
        return new T5Config(ByteTokenizer.VOCAB_SIZE, 512, 64, 1536, 4, 4, 8, 32, 128, "relu", 1e-6f, true,
                ByteTokenizer.PAD, ByteTokenizer.EOS, ByteTokenizer.PAD);
    }

    @Setup(Level.Trial)
    public void setup() {
        T5Config c = config();
        model = T5Model.init(c, 1);
        SplittableRandom r = new SplittableRandom(2);
        batch = new ArrayList<>();
        for (int s = 0; s < seqs; s++) {
            int[] p = new int[encLen];
            int[] t = new int[decLen];
            for (int i = 0; i < p.length; i++) p[i] = 3 + r.nextInt(256);
            for (int i = 0; i < t.length; i++) t[i] = 3 + r.nextInt(256);
            batch.add(new Example(p, t));
        }
        floor = new Floor(c, seqs, encLen, decLen);
    }

    @TearDown(Level.Trial)
    public void report() {
        long params = model.parameters().stream().mapToLong(Parameter::size).sum();
        System.out.printf("%nparameters %d; activations held %d bytes (%.1f bytes/param) for %d encoder + %d decoder tokens; "
                        + "floor flops per step %.3e%n", params, model.activationBytes(), (double) model.activationBytes() / params,
                seqs * encLen, seqs * decLen, floor.flops);
        model.close();
        floor.close();
    }

    @Benchmark
    public double trainStep() {
        return model.forwardBackward(batch, 1f).sum();
    }

    @Benchmark
    public float sgemmFloor() {
        return floor.run();
    }

    /** The step's matrix products on scratch tensors of the right shapes ({@link GemmFloor}). */
    static final class Floor implements AutoCloseable {
        private final T5Config c;
        private final int seqs, encLen, decLen, n, m;
        private final GemmFloor g;
        final double flops;

        Floor(T5Config c, int seqs, int encLen, int decLen) {
            this.c = c;
            this.seqs = seqs;
            this.encLen = encLen;
            this.decLen = decLen;
            this.n = seqs * encLen;
            this.m = seqs * decLen;
            int widest = Math.max(Math.max(c.dModel(), c.dFf()), Math.max(c.innerDim(), c.vocabSize()));
            int rows = Math.max(n, m);
            g = new GemmFloor(rows, widest, Math.max(encLen, decLen));
            long d = c.dModel(), in = c.innerDim(), ff = c.dFf();
            double f = 0;
            f += 6.0 * n * (4 * d * in + 2 * d * ff) * c.numLayers();                       // encoder projections
            f += 6.0 * (m * (6 * d * in + 2 * d * ff) + n * 2 * d * in) * c.numDecoderLayers();   // decoder projections
            f += 6.0 * m * d * c.vocabSize();                                                  // head
            double perHead = 6.0 * 2 * c.dKv();
            f += perHead * seqs * c.numHeads() * ((double) encLen * encLen * c.numLayers()
                    + ((double) decLen * decLen + (double) decLen * encLen) * c.numDecoderLayers());
            flops = f;
        }

        /** The six per-head products of one sequence's attention forward and backward. */
        private void attention(int tq, int tk) {
            int hd = c.dKv(), qw = c.innerDim();
            Tensor x = g.x, y = g.y, dx = g.dx, s = g.s;
            for (int h = 0; h < c.numHeads(); h++) {
                long q0 = (long) h * hd;
                g.gemm(false, true, tq, tk, hd, x, q0, qw, x, 0, qw, 0f, s, 0, tk);
                g.gemm(false, false, tq, hd, tk, s, 0, tk, x, 0, qw, 0f, y, q0, qw);
                g.gemm(true, false, tk, hd, tq, s, 0, tk, x, q0, qw, 0f, dx, 0, qw);
                g.gemm(false, true, tq, tk, hd, x, q0, qw, x, 0, qw, 0f, s, 0, tk);
                g.gemm(false, false, tq, hd, tk, s, 0, tk, x, 0, qw, 0f, dx, q0, qw);
                g.gemm(true, false, tk, hd, tq, s, 0, tk, x, q0, qw, 0f, dx, 0, qw);
            }
        }

        float run() {
            int d = c.dModel(), in = c.innerDim(), ff = c.dFf();
            for (int l = 0; l < c.numLayers(); l++) {
                for (int p = 0; p < 3; p++) g.linear(n, d, in);
                g.linear(n, in, d);
                g.linear(n, d, ff);
                g.linear(n, ff, d);
                for (int sq = 0; sq < seqs; sq++) attention(encLen, encLen);
            }
            for (int l = 0; l < c.numDecoderLayers(); l++) {
                for (int p = 0; p < 3; p++) g.linear(m, d, in);
                g.linear(m, in, d);
                g.linear(m, d, in);
                g.linear(n, d, in);
                g.linear(n, d, in);
                g.linear(m, in, d);
                g.linear(m, d, ff);
                g.linear(m, ff, d);
                for (int sq = 0; sq < seqs; sq++) {
                    attention(decLen, decLen);
                    attention(decLen, encLen);
                }
            }
            g.linear(m, d, c.vocabSize());
            return g.result();
        }

        @Override
        public void close() {
            g.close();
        }
    }
}
