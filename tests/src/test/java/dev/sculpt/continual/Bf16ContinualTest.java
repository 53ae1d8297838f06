package dev.sculpt.continual;

import dev.sculpt.TinyCheckpoints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.backend.Backends;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.data.TaskData;
import dev.sculpt.eval.Evaluator;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.ops.Bf16;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.plan.Precision;
import dev.sculpt.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Continual OSFT runs of two tasks in bf16 mode ({@code --precision bf16 --basis-precision bf16}) of a tiny LLaMA and a
 * tiny T5: on cpu and on cuda-emulated (or {@code -Dsculpt.parity.provider}) against each other, against the fp32 run,
 * with every invariant check within its recorded bound, and a mid-task resume bit for bit.
 *
 * <h2>Tolerances</h2>
 * {@code F = 1e-4 (1 + L)} is the float32 evaluation bound of {@link EmulatedContinualParityTest} (chained float32
 * roundings of one loss evaluation, with headroom).
 * <ul>
 *   <li>bf16 against fp32, same provider, equal weights: in bf16 mode every operand of the seven projections carries a
 *       relative rounding error of at most u_b = 2^-8; a product of two rounded operands is then off by at most
 *       2 u_b + u_b^2 relative to the scale of its terms, and the tiny models chain at most four such products before the
 *       float32 lm_head (q/k/v, o, gate/up, down), so their logits move by at most about 4 x 2 u_b of their
 *       absolute-value scale, and a cross-entropy moves by at most twice the largest logit change: we allow
 *       {@code 16 u_b (1 + L) = (1 + L) / 16}, the "looser stated tolerance" (it bounds the effect of bf16, not a
 *       rounding-level agreement).</li>
 *   <li>bf16 on cpu against bf16 on the device, equal weights: both round the same float32 values to bf16, and those
 *       differ only by float32 rounding, so an operand element rounds differently only where its two float32 values
 *       straddle a bf16 rounding boundary, and then by one bf16 ulp, at most twice its rounding error. To first order
 *       in the operand errors, the loss change of any such set of elements is bounded by twice the change that the
 *       roundings of all elements cause when their errors add up; that change is measured, not assumed: E =
 *       |L_bf16 - L_fp32| on cpu at the same weights. The test allows {@code 2F + 2E}; it is a first-order argument
 *       (same-sign errors), stated as such.</li>
 *   <li>task 2 starts from weights that differ by task 1's step; as in {@link EmulatedContinualParityTest}, the effect of
 *       that difference is computed (the cpu loss at both runs' task-1 weights) and added.</li>
 * </ul>
 */
class Bf16ContinualTest {
    @TempDir Path dir;

    private static final double F_REL = 1e-4;

    private static ContinualOptions options() {
        return ContinualOptions.defaults(Method.OSFT)
                .withTrain(TrainConfig.defaults().withLr(3e-2f).withBatchSize(2).withEpochs(1).withWarmup(0f).withSeed(11))
                .withRankPolicy(RankPolicy.ratio(0.5)).withBackend(Backends.cpu()).withCheckEvery(1);
    }

    static Path model(Path root, String arch) {
        return TinyCheckpoints.of(root, arch);
    }

    private static RunRecord run(Path model, List<TaskData> tasks, Path out, Ops ops, Precision p) {
        try (LanguageModel m = Models.load(model, ops)) {
            return new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)), options(),
                    new ContinualRunner.Listener() {}).precision(p, p).run(tasks, out);
        }
    }

    /** Mean loss of {@code examples} at the weights in {@code dir}, on cpu, in bf16 or fp32 compute. */
    private static double loss(Path dir, List<Example> examples, boolean bf16) {
        try (LanguageModel m = Models.load(dir)) {
            m.computeInBf16(bf16);
            return m.loss(examples).mean();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void aBf16RunOnTheDeviceMatchesCpuAndStaysNearFp32(String arch) throws Exception {
        ParityProvider.require();
        Path model = model(dir, arch);
        List<TaskData> tasks = List.of(JsonlTasks.task(ContinualCommandTest.jsonl(dir, "a", 2, 1), null),
                JsonlTasks.task(ContinualCommandTest.jsonl(dir, "b", 2, 2), null));
        Path fOut = dir.resolve("cpu-fp32"), cOut = dir.resolve("cpu-bf16"), dOut = dir.resolve("device-bf16");
        RunRecord f, c, d;
        try (Ops ops = new CpuOps()) {
            f = run(model, tasks, fOut, ops, Precision.FP32);
            c = run(model, tasks, cOut, ops, Precision.BF16);
        }
        try (Ops ops = OpsProviders.create(ParityProvider.DEVICE)) {
            d = run(model, tasks, dOut, ops, Precision.BF16);
        }
        assertEquals(List.of(1, 1), c.stepLosses.stream().map(List::size).toList(), arch + ": one step per task");
        assertEquals("bf16", c.options.get("precision"), arch + ": the precision is recorded");
        assertEquals("bf16", c.options.get("basisPrecision"), arch);
        Evaluator eval = new Evaluator(Models.tokenizer(model), false);

        // task 1: equal (initial) weights
        double lf = f.stepLosses.get(0).get(0), lc = c.stepLosses.get(0).get(0), ld = d.stepLosses.get(0).get(0);
        double e1 = Math.abs(lc - lf);
        assertTrue(e1 > 0, arch + ": bf16 compute changes the loss (else it did not run in bf16)");
        assertEquals(lf, lc, 16 * Bf16.UNIT_ROUNDOFF * (1 + lf), arch + ": task 1, bf16 against fp32");
        double tol1 = 2 * F_REL * (1 + lc) + 2 * e1;
        assertEquals(lc, ld, tol1, arch + ": task 1, bf16 cpu against bf16 device");

        // task 2: the runs' task-1 weights differ; its effect evaluated on cpu (in the run's own precision)
        List<Example> task2 = eval.examples(tasks.get(1).train());
        Path cw = checkpoint(cOut, c, 0), dw = checkpoint(dOut, d, 0), fw = checkpoint(fOut, f, 0);
        double lc2 = c.stepLosses.get(1).get(0), ld2 = d.stepLosses.get(1).get(0), lf2 = f.stepLosses.get(1).get(0);
        double atC = loss(cw, task2, true), atD = loss(dw, task2, true);
        double e2 = Math.abs(atC - loss(cw, task2, false));
        assertEquals(atC, lc2, F_REL * (1 + lc2), arch + ": the run's task-2 loss is the cpu bf16 loss at its task-1 weights");
        double tol2 = 2 * F_REL * (1 + lc2) + 2 * e2 + Math.abs(atC - atD) + 2 * F_REL * (1 + lc2);
        assertEquals(lc2, ld2, tol2, arch + ": task 2, bf16 cpu against bf16 device");
        double drift = Math.abs(loss(cw, task2, false) - loss(fw, task2, false));
        double tolF2 = 16 * Bf16.UNIT_ROUNDOFF * (1 + lf2) + drift + 2 * F_REL * (1 + lf2);
        assertEquals(lf2, lc2, tolF2, arch + ": task 2, bf16 against fp32");
        System.out.printf("%s: step losses fp32 %s, bf16 cpu %s, bf16 device %s; E %.3g / %.3g; tolerances %.3g, %.3g; "
                        + "accuracy fp32 %s bf16 cpu %s bf16 device %s%n", arch, f.stepLosses, c.stepLosses, d.stepLosses,
                e1, e2, tol1, tol2, f.accuracy, c.accuracy, d.accuracy);

        // (d) every invariant check of the bf16-basis runs within its recorded bound, and the bound is bf16's
        for (RunRecord r : List.of(c, d)) {
            for (RunRecord.TaskResiduals t : r.residuals) {
                if (t == null) continue;
                assertTrue(t.withinBound, arch + ": an invariant check exceeded its bound: " + new ObjectMapper().writeValueAsString(t));
                assertTrue(t.maxRelBound < 1, arch + ": bound " + t.maxRelBound);
            }
            // task 1 trains freely (protectInitial off); task 2 is constrained, its checks carry a bound
            assertTrue(r.residuals.get(1).maxRelBound > 0, arch + ": task 2's bound " + r.residuals.get(1).maxRelBound);
        }
        for (int i = 0; i < f.residuals.size(); i++) {
            if (f.residuals.get(i) == null || f.residuals.get(i).maxRelBound == 0) continue;
            assertTrue(f.residuals.get(i).withinBound, arch + ": fp32 run within its bound");
            assertTrue(f.residuals.get(i).maxRelBound < c.residuals.get(i).maxRelBound,
                    arch + ": bf16 bases have the larger bound (" + f.residuals.get(i).maxRelBound + " vs " + c.residuals.get(i).maxRelBound + ")");
        }
    }

    private static Path checkpoint(Path out, RunRecord r, int task) {
        return out.resolve("checkpoints").resolve(r.checkpoints.get(task));
    }

    /** --resume inside a task in bf16 mode: the compute copies come from the restored masters, so bit for bit. */
    @Test
    void resumingInsideABf16TaskMatchesAnUninterruptedRunBitForBit() throws Exception {
        Path model = model(dir, "llama");
        List<TaskData> tasks = List.of(JsonlTasks.task(ContinualCommandTest.jsonl(dir, "a", 6, 1), null),
                JsonlTasks.task(ContinualCommandTest.jsonl(dir, "b", 6, 2), null));
        ContinualOptions o = options();
        ContinualOptions one = o.withTrain(o.train().withBatchSize(1));
        Path whole = dir.resolve("whole"), cut = dir.resolve("cut");
        RunRecord expected;
        try (Ops ops = new CpuOps(); LanguageModel m = Models.load(model, ops)) {
            expected = new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)), one, null)
                    .precision(Precision.BF16, Precision.BF16).run(tasks, whole);
        }
        assertEquals(6, expected.stepLosses.get(1).size());
        ContinualRunner.Listener crash = new ContinualRunner.Listener() {
            @Override public void step(int task, int step, int total, double loss) {
                if (task == 1 && step == 4) throw new IllegalStateException("simulated crash");
            }
        };
        try (Ops ops = new CpuOps(); LanguageModel m = Models.load(model, ops)) {
            ContinualRunner r = new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)), one, crash)
                    .precision(Precision.BF16, Precision.BF16).saveEvery(3);
            assertThrows(IllegalStateException.class, () -> r.run(tasks, cut));
        }
        // resuming in fp32 is refused (the precision is part of the recorded settings)
        try (Ops ops = new CpuOps(); LanguageModel m = Models.load(model, ops)) {
            ContinualRunner r = new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)),
                    one.withResume(true), null).saveEvery(3);
            var e = assertThrows(dev.sculpt.SculptException.class, () -> r.run(tasks, cut));
            assertTrue(e.getMessage().contains("precision"), e.getMessage());
        }
        RunRecord resumed;
        try (Ops ops = new CpuOps(); LanguageModel m = Models.load(model, ops)) {
            resumed = new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)), one.withResume(true), null)
                    .precision(Precision.BF16, Precision.BF16).saveEvery(3).run(tasks, cut);
        }
        assertEquals(expected.stepLosses, resumed.stepLosses);
        assertEquals(expected.accuracy, resumed.accuracy);
        Path we = checkpoint(whole, expected, 1), wr = checkpoint(cut, resumed, 1);
        try (var files = Files.list(we)) {
            for (Path p : files.filter(x -> x.getFileName().toString().endsWith(".safetensors")).toList()) {
                assertArrayEquals(Files.readAllBytes(p), Files.readAllBytes(wr.resolve(p.getFileName())), "final weights bit-identical: " + p.getFileName());
            }
        }
    }
}
