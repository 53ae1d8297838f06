package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.backend.Backends;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.data.TaskData;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.MemoryLimit;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.plan.PlanComponents;
import dev.sculpt.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15, bad input: a device allocation that fails at run time, here past the arena's cap (the same error path
 * as a cudaMalloc the device refuses), inside the second task of an OSFT run on cuda-emulated (or the provider
 * {@code -Dsculpt.parity.provider} names). The error names the tensor and the cap; what was written before stays:
 * the first task's checkpoint and state.json, and the training-state checkpoint inside the second task; and the run
 * directory resumes to the bytes of an uninterrupted run's final weights.
 *
 * <p>The cap comes from an uninterrupted reference run: the arena's peak use after each step of task 2, whose
 * examples grow longer from step to step, so that some step after the first needs more memory than every step before
 * it. Capping at the peak before that step lets everything before it run and refuses it. The allocations of both
 * runs are the same up to the refusal (the arena gives back its cached blocks before refusing, so only the bytes in
 * use count).
 */
class ArenaLimitResumeTest {
    @TempDir Path dir;

    private static ContinualOptions options(boolean resume) {
        return ContinualOptions.defaults(Method.OSFT)
                .withTrain(TrainConfig.defaults().withLr(1e-3f).withBatchSize(3).withEpochs(1).withSeed(5))
                .withRankPolicy(RankPolicy.ratio(0.5)).withBackend(Backends.cpu()).withCheckEvery(1).withResume(resume);
    }

    /** A run; {@code cap} >= 0 caps the arena after loading; {@code peaks} receives the peak use after each step of task 2. */
    private static RunRecord run(Path model, List<TaskData> tasks, Path out, long cap, List<Long> peaks, boolean resume) {
        try (Ops ops = OpsProviders.create(ParityProvider.DEVICE); LanguageModel m = Models.load(model, ops)) {
            DeviceMemory dm = ops.memory().orElseThrow();
            if (cap >= 0) dm.limit(new MemoryLimit(cap, "the test's cap", PlanComponents::ofTensor));
            ContinualRunner.Listener l = new ContinualRunner.Listener() {
                @Override public void taskStarted(int task, String name, int steps) {
                    if (task == 1 && peaks != null) peaks.add(dm.peakBytesInUse());
                }
                @Override public void step(int task, int step, int steps, double loss) {
                    if (task == 1 && peaks != null) peaks.add(dm.peakBytesInUse());
                }
            };
            ContinualRunner r = new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)), options(resume), l);
            r.saveEvery(1);
            return r.run(tasks, out);
        }
    }

    /** Task 2: {@code count} examples whose prompts grow by one character each; its evaluation file is two short ones. */
    private static TaskData growing(Path root, int count) throws Exception {
        StringBuilder train = new StringBuilder(), eval = new StringBuilder();
        for (int i = 0; i < count; i++) {
            if (i < 2) eval.append("{\"prompt\":\"").append((char) ('a' + i)).append("=\",\"completion\":\"").append((char) ('a' + i + 2)).append("\"}\n");
            train.append("{\"prompt\":\"").append(String.valueOf((char) ('a' + i % 6)).repeat(1 + i)).append("=\",\"completion\":\"")
                    .append((char) ('a' + (i + 2) % 6)).append("\"}\n");
        }
        Path t = Files.writeString(root.resolve("b.jsonl"), train), e = Files.writeString(root.resolve("b-eval.jsonl"), eval);
        return JsonlTasks.task(t, e);
    }

    private static byte[] weights(Path out, String checkpoint) throws Exception {
        return Files.readAllBytes(out.resolve("checkpoints").resolve(checkpoint).resolve("model.safetensors"));
    }

    @Test
    void anAllocationRefusedInsideATaskLeavesTheRunResumableToTheSameBytes() throws Exception {
        ParityProvider.require();
        Path model = ContinualCommandTest.tinyModel(dir);
        List<TaskData> tasks = List.of(JsonlTasks.task(ContinualCommandTest.jsonl(dir, "a", 3, 1), null), growing(dir, 6));
        Path whole = dir.resolve("whole");
        List<Long> peaks = new ArrayList<>();
        RunRecord expected = run(model, tasks, whole, -1, peaks, false);
        assertEquals(2, expected.stepLosses.get(1).size());
        int refused = -1;   // the first step of task 2 after its first that needs more memory than all before it
        for (int s = 2; s < peaks.size() && refused < 0; s++) if (peaks.get(s) > peaks.get(s - 1)) refused = s;
        assertTrue(refused >= 2, "task 2's memory grows after its first step: peaks " + peaks);

        Path cut = dir.resolve("cut");
        long cap = peaks.get(refused - 1);
        SculptException e = assertThrows(SculptException.class, () -> run(model, tasks, cut, cap, null, false));
        // what was refused is named: a tensor ("tensor 'name' [shape]") or an op's scratch ("scratch for ...")
        assertTrue(e.getMessage().contains("out of device memory for ") && e.getMessage().contains("limit of " + cap + " bytes")
                && e.getMessage().contains("the test's cap") && e.getMessage().contains("memory plan component"), e.getMessage());

        RunRecord state = ContinualRunner.read(cut.resolve(ContinualRunner.STATE));
        assertEquals(1, state.completedTasks, "task 1 stays written");
        assertArrayEquals(weights(whole, expected.checkpoints.get(0)), weights(cut, state.checkpoints.get(0)));
        TrainingStateCheckpoint.Progress p = TrainingStateCheckpoint.readProgress(cut);
        assertEquals(1, p.task, "the training-state checkpoint is inside task 2");
        assertEquals(refused - 1, p.step, "it is the last step that completed");

        RunRecord resumed = run(model, tasks, cut, -1, null, true);
        assertArrayEquals(weights(whole, expected.checkpoints.get(1)), weights(cut, resumed.checkpoints.get(1)), "final weights bit-identical");
        assertEquals(expected.stepLosses, resumed.stepLosses);
        assertEquals(expected.accuracy, resumed.accuracy);
    }
}
