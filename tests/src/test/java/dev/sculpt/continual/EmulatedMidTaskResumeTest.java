package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.data.JsonlTasks;
import dev.sculpt.data.TaskData;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.OpsProviders;
import dev.sculpt.ops.ParityProvider;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 5 on a device provider: an OSFT run of a tiny LLaMA whose weights, gradients, AdamW moments and
 * protected bases live on cuda-emulated (or on the provider {@code -Dsculpt.parity.provider} names), interrupted
 * inside its second task between two training-state checkpoints and resumed, ends with the bytes of an uninterrupted
 * run's final checkpoint, and with its step losses. The interruption is an exception from the step listener (in
 * process, as {@link MidTaskResumeTest} does on cpu); the state travels through the provider's download and upload.
 */
class EmulatedMidTaskResumeTest {
    @TempDir Path dir;

    private static ContinualOptions options(boolean resume) {
        return ContinualOptions.defaults(Method.OSFT)
                .withTrain(TrainConfig.defaults().withLr(1e-3f).withBatchSize(3).withEpochs(1).withSeed(5))
                .withRankPolicy(RankPolicy.ratio(0.5)).withBackend(Backends.cpu()).withCheckEvery(1).withResume(resume);
    }

    /** Tasks of 1 and 3 steps (the emulator is slow); {@code crashAfter} = (task, step) throws after that step. */
    private static RunRecord run(Path model, List<TaskData> tasks, Path out, int[] crashAfter, boolean resume) {
        ContinualRunner.Listener l = new ContinualRunner.Listener() {
            @Override public void step(int task, int step, int steps, double loss) {
                if (crashAfter != null && task == crashAfter[0] && step == crashAfter[1]) throw new IllegalStateException("simulated crash");
            }
        };
        try (Ops ops = OpsProviders.create(ParityProvider.DEVICE); LanguageModel m = Models.load(model, ops)) {
            ContinualRunner r = new ContinualRunner(m, Models.tokenizer(model), new HfModelStore(Models.sideFiles(model)), options(resume), l);
            r.saveEvery(1);
            return r.run(tasks, out);
        }
    }

    private static byte[] finalWeights(Path out, RunRecord r) throws Exception {
        return Files.readAllBytes(out.resolve("checkpoints").resolve(r.checkpoints.get(r.checkpoints.size() - 1)).resolve("model.safetensors"));
    }

    @Test
    void resumingInsideATaskOnTheDeviceProviderMatchesAnUninterruptedRunBitForBit() throws Exception {
        ParityProvider.require();
        Path model = ContinualCommandTest.tinyModel(dir);
        List<TaskData> tasks = List.of(JsonlTasks.task(ContinualCommandTest.jsonl(dir, "a", 3, 1), null),
                JsonlTasks.task(ContinualCommandTest.jsonl(dir, "b", 9, 2), null));
        Path whole = dir.resolve("whole");
        RunRecord expected = run(model, tasks, whole, null, false);
        assertEquals(3, expected.stepLosses.get(1).size(), "task 2 has room for a checkpoint before the crash");

        Path cut = dir.resolve("cut");
        // crash inside task 2 after its step 2: the resumed run continues from the last checkpoint inside the task
        assertThrows(IllegalStateException.class, () -> run(model, tasks, cut, new int[] {1, 2}, false));
        TrainingStateCheckpoint.Progress p = TrainingStateCheckpoint.readProgress(cut);
        assertEquals(1, p.task, "the checkpoint is inside task 2");
        assertTrue(p.step >= 1 && p.step <= 2, "saved at step " + p.step);
        RunRecord resumed = run(model, tasks, cut, null, true);

        assertArrayEquals(finalWeights(whole, expected), finalWeights(cut, resumed), "final weights bit-identical");
        assertEquals(expected.stepLosses, resumed.stepLosses);
        assertEquals(expected.accuracy, resumed.accuracy);
    }
}
