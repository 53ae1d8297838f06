package dev.sculpt.plan;

import dev.sculpt.TinyCheckpoints;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.continual.ContinualOptions;
import dev.sculpt.continual.ContinualRunner;
import dev.sculpt.continual.Method;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import dev.sculpt.eval.Evaluator;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Allocation;
import dev.sculpt.ops.DType;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.SubspaceGuard;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.TrainResult;
import dev.sculpt.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 15, item 3 and the GPU benchmark "peak device memory against the planner's figure (target within 10%)", on
 * cuda-emulated (or the provider {@code -Dsculpt.parity.provider} names): two OSFT training steps of a tiny LLaMA and
 * a tiny T5 (every target protected at rank ratio 0.5, the invariant checked every step), the device arena's peak use
 * against the plan a continual run of that task makes ({@link ContinualRunner#checkMemory}: micro-batches of the
 * larger of the training and evaluation batch, in sequences of the longest example, loss rows of the longest
 * completion), less the plan's CUDA runtime reserve, which the arena does not hold.
 *
 * <p>Every example has the same prompt and completion lengths and every micro-batch the same number of examples, so
 * the plan's upper bounds are what the run reaches. For both models the peak must not pass the plan and must be at
 * least 90% of it. T5 is planned block by block from what T5Model allocates (encoder blocks over the 4 x 9 encoder
 * tokens, decoder blocks with their cross-attention over the 4 x 4 decoder tokens, each stack's position bias, the
 * backward's buffers): measured peak 497,152 bytes, plan 497,152, 1.000 (before: the plan sized every block as a
 * decoder block over 13 tokens, 641,536, 0.775). LLaMA: peak 379,520, plan 406,144, 0.934 (the step's activation
 * gradients are planned as one layer's saved activations, an upper bound). Each runs in fp32 and with bf16 products
 * and bf16 bases, planned with that precision (the three bf16 operand buffers added, U_h and V_h at 2 bytes, their
 * references at 4): LLaMA bf16 peak 386,944, plan 412,800, 0.937; T5 bf16 502,016 against 502,272, 0.999 (2026-12-05,
 * cuda-emulated on the 2-core dev machine). On failure the message lists the blocks in use at
 * the peak, by plan component ({@link DeviceMemory#allocationsAtPeak()}, {@link PlanComponents}; the models'
 * activation scratch, which the plan counts in workspace, shows as activations) beside the plan's components.
 */
class PeakMemoryPlanTest {
    @TempDir Path dir;

    private static final int BATCH = 4;   // the evaluation batch too: the plan sizes the larger of the two
    private static final int STEPS = 2;
    private static final int PROMPT = 8;
    private static final int COMPLETION = 3;
    private static final double RATIO = 0.5;

    private static ContinualOptions options() {
        return ContinualOptions.defaults(Method.OSFT).withEvalBatch(BATCH)
                .withTrain(TrainConfig.defaults().withLr(1e-3f).withBatchSize(BATCH).withEpochs(1).withWarmup(0f).withSeed(3))
                .withRankPolicy(RankPolicy.ratio(RATIO)).withBackend(Backends.cpu()).withCheckEvery(1);
    }

    private static Path model(Path root, String arch, ByteTokenizer tok) {
        return TinyCheckpoints.of(root, arch);
    }

    /** {@code count} pairs of a prompt and a completion of random letters, all of the same lengths. */
    private static List<TextPair> pairs(SplittableRandom rnd, int count) {
        List<TextPair> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(new TextPair(letters(rnd, PROMPT - 1) + "=", letters(rnd, COMPLETION)));
        return out;
    }

    private static String letters(SplittableRandom rnd, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append((char) ('a' + rnd.nextInt(26)));
        return sb.toString();
    }

    @ParameterizedTest
    @CsvSource({"llama, fp32", "t5, fp32", "llama, bf16", "t5, bf16"})
    void peakDeviceMemoryIsWithinTenPercentBelowThePlan(String arch, String precision) {
        Precision prec = Precision.parse("precision", precision);
        ParityProvider.require();
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        ByteTokenizer tok = new ByteTokenizer();
        Path modelDir = model(dir, arch, tok);
        TaskData task = new TaskData("a", pairs(rnd, STEPS * BATCH), pairs(rnd, 1), List.of());
        try (Ops ops = OpsProviders.create(ParityProvider.DEVICE)) {
            DeviceMemory dm = ops.memory().orElseThrow();
            dm.tracePeak();
            Tokenizer tokenizer = Models.tokenizer(modelDir);
            MemoryPlan plan = ContinualRunner.checkMemory(modelDir, ops, options(), List.of(task), tokenizer, false, prec, prec, OptionalLong.empty())
                    .orElseThrow();
            assertEquals(BATCH * (long) (1 + PROMPT + COMPLETION + 1), plan.options().microBatchTokens(), "bos, prompt, completion, eos");
            assertEquals(BATCH * (long) (COMPLETION + 1), plan.options().lossTokens(), "the completion and eos carry the loss");
            try (LanguageModel m = Models.load(modelDir, ops);
                 SubspaceGuard guard = SubspaceGuard.builder().backend(Backends.cpu()).ops(ops).checkEvery(1)
                         .basisPrecision(prec == Precision.BF16 ? DType.BF16 : DType.FLOAT32).build()) {
                m.computeInBf16(prec == Precision.BF16);
                Map<String, Parameter> byName = new HashMap<>();
                for (Parameter p : m.parameters()) byName.put(p.name(), p);
                for (String name : m.targetMatrixNames()) {
                    Parameter p = byName.get(name);
                    guard.register(name, p.value(), RankPolicy.rankFor(RATIO, p.shape()[0], p.shape()[1]));
                }
                guard.protect();
                TrainResult r = new Trainer(m, options().train()).train(new Evaluator(tokenizer, false).examples(task.train()), guard,
                        (step, total, loss, lr, norm) -> {});
                assertEquals(STEPS, r.stepLosses().size(), arch);
            }
            long peak = dm.peakBytesInUse();
            long planned = plan.arenaBytes();
            String report = report(arch + " " + precision, seed, peak, planned, plan, dm.allocationsAtPeak());
            System.out.print(report);
            assertTrue(peak <= planned, "the peak passes the plan\n" + report);
            assertTrue(peak >= 0.9 * planned, "the plan overestimates the peak by more than 10%\n" + report);
        }
    }

    /** The peak and the plan by component, and the ten largest blocks at the peak. */
    private static String report(String arch, long seed, long peak, long planned, MemoryPlan plan, List<Allocation> atPeak) {
        Map<String, Long> measured = new TreeMap<>();
        Map<String, Long> requested = new TreeMap<>();
        for (Allocation a : atPeak) {
            measured.merge(PlanComponents.ofTensor(a.tensor()), a.block(), Long::sum);
            requested.merge(PlanComponents.ofTensor(a.tensor()), a.requested(), Long::sum);
        }
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%s (seed %d): peak %,d bytes, plan %,d without its runtime reserve: %.3f%n",
                arch, seed, peak, planned, (double) peak / planned));
        sb.append(String.format(Locale.ROOT, "  %-12s %14s %14s %14s%n", "component", "plan", "peak blocks", "peak requested"));
        for (Map.Entry<String, Long> c : plan.arenaComponents().entrySet()) {
            sb.append(String.format(Locale.ROOT, "  %-12s %,14d %,14d %,14d%n", c.getKey(), c.getValue(),
                    measured.getOrDefault(c.getKey(), 0L), requested.getOrDefault(c.getKey(), 0L)));
        }
        for (int i = 0; i < atPeak.size(); i++) {
            Allocation a = atPeak.get(i);
            sb.append(String.format(Locale.ROOT, "    %,10d %,10d %s%n", a.block(), a.requested(), a.what()));
        }
        return sb.toString();
    }
}
