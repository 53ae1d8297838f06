package dev.sculpt.train;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.bench.ProviderGemmRate;
import dev.sculpt.bench.Timings;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.model.Parameter;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.ops.Allocation;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.Tensor;
import dev.sculpt.osft.InvariantResidual;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.plan.ByteSize;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.MemoryPlanner;
import dev.sculpt.plan.PlanComponents;
import dev.sculpt.plan.PlanOptions;
import dev.sculpt.plan.Precision;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Issue 15's benchmarks of a whole LLaMA training step on a device provider, for bench/gpu/run.sh (not a unit test):
 * a randomly initialised model of a ~1B shape (TinyLlama-1.1B: hidden 2048, intermediate 5632, 22 layers, 32 heads,
 * 4 kv heads, vocabulary 32000) on the provider, bf16 products with float32 master weights and AdamW state, bf16
 * protected bases, through {@link Trainer} exactly as a continual run trains. Writes one Markdown section, all figures
 * measured in the same run:
 * <ul>
 *   <li>the plain full fine-tuning step (no constraint): median step time against its bf16 GEMM floor (target 1.5x),
 *       and tokens per second;</li>
 *   <li>the OSFT step at rank ratio 0.5 (every target protected, two-sided projection, the invariant checked every
 *       {@link #CHECK_EVERY} steps as a continual run does by default): its overhead over the plain step (target
 *       10%), the decomposition of every target ({@link SubspaceGuard#protect()}, on {@code backend}) and one
 *       invariant check over all targets, with the largest residual against its rounding bound;</li>
 *   <li>the provider's peak device memory (its arena: weights, gradients, AdamW state, bases, activations, scratch;
 *       not the SVD backend's own decomposition buffers) against the {@link MemoryPlanner}'s figure for the same
 *       settings, less its runtime reserve (target: within 10%, never above); on a real device also what
 *       cudaMemGetInfo says is in use after the OSFT steps against the plan's whole total.</li>
 * </ul>
 *
 * <p>Each step is timed from the trainer's step callback to the next: the callback comes after the step's loss
 * scalar has been read back, which waits for the device. The first step (allocations, kernel loading) is a warm-up
 * and not counted; the median of the {@code steps} after it is reported. An optimizer step accumulates
 * {@code accumulation} micro-batches (default 8), each of {@code sequences} random-token examples whose prompt and
 * target together feed {@code seqLen} tokens to the model, with the loss on the target half.
 *
 * <p>Why accumulate: the two-sided projection costs 8 m n k flops per target whatever the tokens, the step 6 T m n, so
 * the projection's share of the flops falls as 4 k / (3 T) for a square target: for this model at rank ratio 0.5 the
 * projection is 7.77 TFLOP against a 12.88 TFLOP step at one 2048-token micro-batch (60%), 7.5% at 8 of them (16,384
 * tokens per optimizer step), so the 10% target needs that many tokens per step and a projection at the step's GEMM
 * rate. The table states this share beside the measured overhead ("projection / step GEMM flops").
 *
 * <p>The floor is the step's GEMM flops at the rate of the model's largest product ([tokens, hidden] x [inter,
 * hidden]^T, bf16 operands, float32 accumulation) measured through the same provider in the same run: the linear
 * products 2 T H (2 H + 2 kv + 3 I) per layer, three times (forward, input gradient, weight gradient); the six
 * L x L attention products per head and sequence, 2 L^2 d each, without causal skipping; the LM head's three products
 * over the loss rows, 2 R H V each. Norms, RoPE, softmax, SwiGLU, AdamW and the embedding are outside the floor.
 *
 * <p>Arguments: output Markdown file, provider (default cuda), SVD backend for the decomposition (default cuda),
 * timed steps (default 3), shape ({@code 1b}, the default, or {@code tiny} to check the program on cuda-emulated or
 * cpu), micro-batches per optimizer step (default 8).
 */
public final class DeviceStepBenchmark {
    /** The rank ratio of issue 15's overhead benchmark. */
    static final double RATIO = 0.5;
    /** ContinualOptions' default invariant check interval. */
    static final int CHECK_EVERY = 20;

    private DeviceStepBenchmark() {}

    /** A LLaMA shape and the micro-batch a step trains on. */
    record Shape(String label, int vocab, int hidden, int inter, int layers, int heads, int kvHeads, int sequences, int seqLen) {
        static final Shape ONE_B = new Shape("TinyLlama-1.1B shape", 32000, 2048, 5632, 22, 32, 4, 4, 512);
        static final Shape TINY = new Shape("tiny", 300, 64, 160, 2, 4, 2, 2, 16);

        LlamaConfig config() {
            return LlamaConfig.of(vocab, hidden, inter, layers, heads, kvHeads).withMaxPositions(Math.max(2048, seqLen));
        }

        /** Prompt and target lengths: prompt ++ target feeds prompt + target - 1 = seqLen tokens. */
        int promptLength() { return seqLen / 2 + 1; }

        int targetLength() { return seqLen - promptLength() + 1; }

        long tokens() { return (long) sequences * seqLen; }

        long lossRows() { return (long) sequences * targetLength(); }

        int kvWidth() { return kvHeads * (hidden / heads); }

        /** The step's GEMM flops (see the class comment). */
        double gemmFlops() {
            double t = tokens(), h = hidden, d = hidden / (double) heads;
            double linear = 2 * t * h * (2 * h + 2.0 * kvWidth() + 3.0 * inter) * layers;
            double attention = 2.0 * seqLen * seqLen * d * heads * sequences * layers;
            double head = 2.0 * lossRows() * h * vocab;
            return 3 * linear + 6 * attention + 3 * head;
        }
    }

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "step-results.md");
        String provider = args.length > 1 ? args[1] : "cuda";
        String backend = args.length > 2 ? args[2] : "cuda";
        int steps = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Shape s = args.length > 4 && args[4].equals("tiny") ? Shape.TINY : Shape.ONE_B;
        int accumulation = args.length > 5 ? Integer.parseInt(args[5]) : 8;
        String md = run(provider, Backends.get(backend), s, steps, accumulation).markdown();
        System.out.print(md);
        Path tmp = Files.createTempFile(out.toAbsolutePath().getParent(), "step-results", ".tmp");
        Files.writeString(tmp, md, StandardCharsets.UTF_8);
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** What one run measured; {@code peakBytes} and {@code plannedBytes} are 0 on a provider without device memory. */
    record Result(String header, double plainMs, double floorMs, double gemmRate, double osftMs, double projectionShare, double protectMs, double checkMs,
                  double residualOverBound, long tokens, long peakBytes, long plannedBytes, Map<String, Long> planned,
                  Map<String, Long> atPeak, long deviceUsedBytes, long planTotalBytes) {
        /** The Markdown section: the header, the step table and the peak against the plan. */
        String markdown() {
            StringBuilder md = new StringBuilder(header);
            md.append("| plain step ms | GEMM floor ms | ratio to floor (target 1.5) | tokens/s | bf16 GEMM TFLOP/s "
                    + "| OSFT step ms (rank ratio 0.5) | OSFT overhead (target 10%) | projection / step GEMM flops | decomposition of all targets ms "
                    + "| invariant check ms | largest residual / its bound |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            md.append(String.format(Locale.ROOT, "| %.1f | %.1f | %.2f | %.0f | %.1f | %.1f | %.1f%% | %.1f%% | %.0f | %.1f | %.2f |%n%n",
                    plainMs, floorMs, plainMs / floorMs, tokens / (plainMs / 1e3), gemmRate / 1e9, osftMs, 100 * (osftMs - plainMs) / plainMs,
                    100 * projectionShare, protectMs, checkMs, residualOverBound));
            if (plannedBytes > 0) {
                md.append(String.format(Locale.ROOT, "Peak device memory (the provider's arena) %,d bytes (%s) against the plan's %,d (%s) "
                                + "without its %s runtime reserve and the decomposition's own buffers: %.3f (target: 0.9 to 1.0).%n",
                        peakBytes, ByteSize.format(peakBytes), plannedBytes, ByteSize.format(plannedBytes),
                        ByteSize.format(MemoryPlanner.RUNTIME_RESERVE), (double) peakBytes / plannedBytes));
                md.append("The arena names the float32 weights 'weights' in both precisions; a bf16 plan counts them as master_copy and"
                        + " the bf16 operand buffers as weights. The models' activation scratch, planned in workspace, shows as activations.\n");
                md.append("\n| component | plan bytes | at the peak (blocks) |\n|---|---|---|\n");
                for (Map.Entry<String, Long> e : planned.entrySet()) {
                    md.append(String.format(Locale.ROOT, "| %s | %,d | %,d |%n", e.getKey(), e.getValue(), atPeak.getOrDefault(e.getKey(), 0L)));
                }
                if (deviceUsedBytes > 0) {
                    md.append(String.format(Locale.ROOT, "%nDevice memory in use after the OSFT steps (cudaMemGetInfo: the CUDA context and library"
                                    + " handles, the arena with its cached blocks, anything else on the device) %,d bytes (%s) against the"
                                    + " plan's whole %,d (%s): %.3f.%n",
                            deviceUsedBytes, ByteSize.format(deviceUsedBytes), planTotalBytes, ByteSize.format(planTotalBytes),
                            (double) deviceUsedBytes / planTotalBytes));
                }
            } else {
                md.append("No device memory on this provider: no peak against the plan.\n");
            }
            return md.toString();
        }
    }

    /** Runs the benchmark of shape {@code s} on {@code provider}, decomposing on {@code backend}. */
    static Result run(String provider, Backend backend, Shape s, int steps, int accumulation) {
        if (steps < 1) throw new IllegalArgumentException("timed steps must be >= 1, got " + steps);
        if (accumulation < 1) throw new IllegalArgumentException("micro-batches per step must be >= 1, got " + accumulation);
        LlamaConfig cfg = s.config();
        ModelConfig config = ModelConfig.of(cfg.toJson(), s.label());
        TrainingShape shape = Models.familyFor(config).trainingShape(config);
        PlanOptions options = new PlanOptions(Precision.BF16, Precision.BF16, true, RATIO, s.tokens(), s.lossRows(), s.seqLen(), false,
                SvdOptions.defaults().oversample());
        try (Ops ops = OpsProviders.create(provider)) {
            Optional<DeviceMemory> memory = ops.memory();
            MemoryPlan plan = MemoryPlanner.plan(shape, options, memory.map(DeviceMemory::totalBytes).orElse(Long.MAX_VALUE));
            memory.ifPresent(DeviceMemory::tracePeak);
            String header = "# LLaMA training step on the device, bf16\n\n" + ops.describe() + "; decomposition on " + backend.describe() + "\n\n"
                    + String.format(Locale.ROOT, "%s: hidden %d, intermediate %d, %d layers, %d heads (%d kv), vocabulary %d; "
                            + "micro-batches of %d sequences of %d tokens (%d with a loss), %d per optimizer step (%d tokens); bf16 "
                            + "products, float32 master weights and AdamW, bf16 bases; median of %d steps after a warm-up step.%n%n",
                    s.label(), s.hidden(), s.inter(), s.layers(), s.heads(), s.kvHeads(), s.vocab(), s.sequences(), s.seqLen(),
                    s.lossRows(), accumulation, s.tokens() * accumulation, steps);
            SplittableRandom rnd = new SplittableRandom(17);
            List<Example> examples = new ArrayList<>();
            for (int i = 0; i < (steps + 1) * s.sequences() * accumulation; i++) {
                examples.add(new Example(rnd.ints(s.promptLength(), 0, s.vocab()).toArray(), rnd.ints(s.targetLength(), 0, s.vocab()).toArray()));
            }
            TrainConfig train = TrainConfig.defaults().withLr(1e-5f).withBatchSize(s.sequences()).withGradAccum(accumulation).withEpochs(1)
                    .withWarmup(0f).withSeed(5);
            double plainMs, osftMs, protectMs, checkMs, worst, projectionFlops = 0;
            long peak, used = 0;
            try (LanguageModel model = LlamaModel.create(cfg, 3, ops)) {
                model.computeInBf16(true);
                plainMs = Timings.median(stepTimes(model, train, examples, UpdateConstraint.NONE, steps));
                progress("plain step %.1f ms (median of %d), %.0f tokens/s", plainMs, steps, s.tokens() * accumulation / (plainMs / 1e3));
                try (SubspaceGuard guard = SubspaceGuard.builder().backend(backend).ops(ops).checkEvery(CHECK_EVERY)
                        .basisPrecision(DType.BF16).build()) {
                    Map<String, Parameter> byName = new HashMap<>();
                    for (Parameter p : model.parameters()) byName.put(p.name(), p);
                    for (String name : model.targetMatrixNames()) {
                        Parameter p = byName.get(name);
                        int m = p.shape()[0], n = p.shape()[1], k = RankPolicy.rankFor(RATIO, m, n);
                        guard.register(name, p.value(), k);
                        projectionFlops += 8.0 * m * n * k;
                    }
                    long t0 = System.nanoTime();
                    guard.protect();
                    protectMs = (System.nanoTime() - t0) / 1e6;
                    progress("decomposition of %d targets %.0f ms", model.targetMatrixNames().size(), protectMs);
                    osftMs = Timings.median(stepTimes(model, train, examples, guard, steps));
                    progress("OSFT step %.1f ms (median of %d)", osftMs, steps);
                    peak = memory.map(DeviceMemory::peakBytesInUse).orElse(0L);   // the rate's tensors below stay under it
                    if (memory.isPresent() && memory.get().totalBytes() != Long.MAX_VALUE) {   // a real device, not emulated
                        used = memory.get().totalBytes() - memory.get().freeBytes();
                    }
                    t0 = System.nanoTime();
                    List<InvariantResidual> residuals = guard.checkInvariant(steps + 1);
                    checkMs = (System.nanoTime() - t0) / 1e6;
                    worst = worstAgainstBound(residuals);
                }
            }
            double rate = bf16GemmRate(ops, s, 3);   // flop per ms
            long components = memory.isPresent() ? plan.arenaBytes() : 0;
            Map<String, Long> planned = new TreeMap<>(plan.arenaComponents());
            Map<String, Long> atPeak = new TreeMap<>();
            for (Allocation a : memory.map(DeviceMemory::allocationsAtPeak).orElse(List.of())) {
                atPeak.merge(PlanComponents.ofTensor(a.tensor()), a.block(), Long::sum);
            }
            double stepFlops = s.gemmFlops() * accumulation;
            return new Result(header, plainMs, stepFlops / rate, rate, osftMs, projectionFlops / stepFlops, protectMs, checkMs, worst,
                    s.tokens() * accumulation, peak, components, planned, atPeak, used, plan.totalBytes());
        }
    }

    /** One line on standard output as soon as a figure is known, so that a run cut short by its time budget keeps it. */
    private static void progress(String format, Object... args) {
        System.out.println("[step benchmark] " + String.format(Locale.ROOT, format, args));
    }

    /** The time of each optimizer step after the first, in ms: one epoch over {@code (steps + 1)} micro-batches. */
    private static double[] stepTimes(LanguageModel model, TrainConfig train, List<Example> examples, UpdateConstraint constraint, int steps) {
        long[] at = new long[steps + 1];
        TrainResult r = new Trainer(model, train).train(examples, constraint, (step, total, loss, lr, norm) -> {
            if (!Double.isFinite(loss)) throw new IllegalStateException("step " + step + ": loss " + loss);
            at[step - 1] = System.nanoTime();
        });
        if (r.stepLosses().size() != steps + 1) throw new IllegalStateException("ran " + r.stepLosses().size() + " steps, expected " + (steps + 1));
        double[] ms = new double[steps];
        for (int i = 0; i < steps; i++) ms[i] = (at[i + 1] - at[i]) / 1e6;
        return ms;
    }

    /** The largest residual a projection promises to keep small (left and right of two-sided) over its rounding bound. */
    private static double worstAgainstBound(List<InvariantResidual> residuals) {
        double worst = 0;
        for (InvariantResidual r : residuals) {
            if (r.bound() > 0) worst = Math.max(worst, Math.max(r.left(), r.right()) / r.bound());
        }
        return worst;
    }

    /** Rate (flop per ms) of the largest product, [tokens, hidden] x [inter, hidden]^T with bf16 operands, float32 result. */
    private static double bf16GemmRate(Ops ops, Shape s, int reps) {
        int t = (int) s.tokens();
        try (Tensor x = bf16Random(ops, "rate x", t, s.hidden()); Tensor w = bf16Random(ops, "rate w", s.inter(), s.hidden());
             Tensor y = ops.allocate("rate y", t, s.inter())) {
            return ProviderGemmRate.flopPerMs(ops, x, w, y, reps);
        }
    }

    private static Tensor bf16Random(Ops ops, String name, int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(rows * 31L + cols);
        float[] a = new float[rows * cols];
        for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        try (Tensor host = Tensor.ofHost(name, a, rows, cols); Tensor f = ops.upload(host, name + " float32")) {
            Tensor b = ops.allocate(name, DType.BF16, rows, cols);
            ops.convert(f, b);
            return b;
        }
    }
}
