package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import dev.sculpt.train.CharTokenizer;
import dev.sculpt.train.RawStore;
import dev.sculpt.train.TinyModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resuming inside a task from the training-state checkpoint (--save-every) gives the weights, losses, accuracy
 * matrix and invariant checks of an uninterrupted run, bit for bit, for osft (with accumulation), seqft and lora.
 * The interruption here is an exception thrown from the step listener between two checkpoints (in-process and
 * cheap); {@link MidTaskKillTest} kills a child JVM with SIGKILL instead.
 */
class MidTaskResumeTest {
    @TempDir Path dir;

    private static ContinualOptions options(Method m) {
        ContinualOptions o = ContinualRunnerTest.options(m);
        return m == Method.OSFT ? o.withAccumulate(true).withTrain(o.train().withGradAccum(2).withBatchSize(3)) : o;
    }

    /** Runs all tasks; {@code crashAt} (task, step) throws from the listener after that step, or null for none. */
    private static RunRecord run(Method m, Path out, int[] crashAt, boolean resume, int saveEvery) {
        return run(m, out, crashAt, resume, saveEvery, new ArrayList<>());
    }

    /** As above; every (task, step) reported goes into {@code steps}. */
    private static RunRecord run(Method m, Path out, int[] crashAt, boolean resume, int saveEvery, List<int[]> steps) {
        ContinualRunner.Listener l = new ContinualRunner.Listener() {
            @Override public void step(int task, int step, int total, double loss) {
                steps.add(new int[] {task, step});
                if (crashAt != null && task == crashAt[0] && step == crashAt[1]) throw new IllegalStateException("simulated crash");
            }
        };
        try (TinyModel model = new TinyModel(42, 12, 24, 2, 17)) {
            ContinualRunner r = new ContinualRunner(model, new CharTokenizer(), new RawStore(), options(m).withResume(resume), l);
            if (saveEvery > 0) r.saveEvery(saveEvery);
            return r.run(ContinualRunnerTest.tasks(), out);
        }
    }

    private static byte[] finalWeights(Path out, RunRecord r) throws Exception {
        return Files.readAllBytes(out.resolve("checkpoints").resolve(r.checkpoints.get(r.checkpoints.size() - 1)).resolve("weights.bin"));
    }

    @Test
    void resumingInsideATaskMatchesAnUninterruptedRunBitForBit() throws Exception {
        for (Method m : Method.values()) {
            Path whole = dir.resolve(m.label() + "-whole");
            RunRecord expected = run(m, whole, null, false, 0);
            int steps = expected.stepLosses.get(1).size();
            assertTrue(steps >= 5, m + ": task 2 needs room for a checkpoint before the crash, has " + steps + " steps");

            Path cut = dir.resolve(m.label() + "-cut");
            // crash inside task 2, one step after the checkpoint at step 3 (so one step is lost and retrained)
            assertThrows(IllegalStateException.class, () -> run(m, cut, new int[] {1, 4}, false, 3));
            Path state = cut.resolve(TrainingStateCheckpoint.DIR);
            TrainingStateCheckpoint.Progress p = TrainingStateCheckpoint.readProgress(cut);
            assertEquals(1, p.task, m + ": the checkpoint is inside task 2");
            assertEquals(3, p.step, m.label());
            assertEquals(expected.stepLosses.get(1).subList(0, 3), p.losses, m + ": the losses so far are saved");
            assertEquals(m == Method.OSFT, Files.exists(state.resolve(TrainingStateCheckpoint.BASES)), m + ": bases only for osft");

            // without --resume the run is refused; with other settings too, and nothing is modified
            byte[] progressBytes = Files.readAllBytes(state.resolve(TrainingStateCheckpoint.PROGRESS));
            SculptException e = assertThrows(SculptException.class, () -> run(m, cut, null, false, 3));
            assertTrue(e.getMessage().contains("--resume"), e.getMessage());
            try (TinyModel model = new TinyModel(42, 12, 24, 2, 17)) {
                ContinualOptions other = options(m).withTrain(options(m).train().withLr(1e-2f)).withResume(true);
                SculptException e2 = assertThrows(SculptException.class, () ->
                        new ContinualRunner(model, new CharTokenizer(), new RawStore(), other, null).run(ContinualRunnerTest.tasks(), cut));
                assertTrue(e2.getMessage().contains("lr 0.03 -> 0.01"), e2.getMessage());
            }
            assertArrayEquals(progressBytes, Files.readAllBytes(state.resolve(TrainingStateCheckpoint.PROGRESS)), "refusals modify nothing");

            List<int[]> trained = new ArrayList<>();
            RunRecord resumed = run(m, cut, null, true, 3, trained);
            assertArrayEquals(new int[] {1, 4}, trained.get(0), m + ": the resumed run starts after the saved step 3 of task 2");
            assertArrayEquals(finalWeights(whole, expected), finalWeights(cut, resumed), m + ": final weights bit-identical");
            assertEquals(expected.stepLosses, resumed.stepLosses, m.label());
            assertEquals(expected.accuracy, resumed.accuracy, m.label());
            assertEquals(expected.testLoss, resumed.testLoss, m.label());
            assertEquals(expected.ranks, resumed.ranks, m.label());
            ObjectMapper json = new ObjectMapper();
            assertEquals(json.writeValueAsString(expected.residuals), json.writeValueAsString(resumed.residuals), m + ": invariant checks");
            assertFalse(Files.exists(state), m + ": the training state is removed once the task is done");
            try (Stream<Path> s = Files.list(cut)) {
                List<Path> hidden = s.filter(x -> x.getFileName().toString().startsWith(".")).toList();
                assertTrue(hidden.isEmpty(), "no debris: " + hidden);
            }
        }
    }

    /** Also: a state left moved aside by a kill between the two renames of its replacement is put back. */
    @Test
    void aTrainingStateOfACompletedTaskIsDiscardedOnResume() throws Exception {
        Path whole = dir.resolve("whole");
        RunRecord expected = run(Method.SEQFT, whole, null, false, 0);
        Path cut = dir.resolve("cut");
        assertThrows(IllegalStateException.class, () -> run(Method.SEQFT, cut, new int[] {0, 5}, false, 2));
        Path kept = copy(cut.resolve(TrainingStateCheckpoint.DIR), dir.resolve("kept"));
        assertEquals(0, TrainingStateCheckpoint.readProgress(cut).task);
        // as if killed between writeDirectory's two renames: the complete old state moved aside, the new one not in place
        Path state = cut.resolve(TrainingStateCheckpoint.DIR);
        Files.move(state, cut.resolve("." + TrainingStateCheckpoint.DIR + ".77.old"));
        Files.writeString(Files.createDirectories(cut.resolve("." + TrainingStateCheckpoint.DIR + ".78.tmpdir")).resolve("half"), "x");
        List<int[]> trained = new ArrayList<>();
        assertThrows(IllegalStateException.class, () -> run(Method.SEQFT, cut, new int[] {1, 1}, true, 2, trained));
        assertArrayEquals(new int[] {0, 5}, trained.get(0), "the state moved aside was put back and resumed from");
        assertEquals(1, ContinualRunner.read(cut.resolve("state.json")).completedTasks);
        assertFalse(Files.exists(cut.resolve(TrainingStateCheckpoint.DIR)), "task 1's training state went with its completion");
        // as if the process had died after task 1's state.json but before removing task 1's training state
        copy(kept, cut.resolve(TrainingStateCheckpoint.DIR));
        RunRecord resumed = run(Method.SEQFT, cut, null, true, 0);
        assertArrayEquals(finalWeights(whole, expected), finalWeights(cut, resumed));
        assertEquals(expected.stepLosses, resumed.stepLosses);
        assertFalse(Files.exists(cut.resolve(TrainingStateCheckpoint.DIR)));
        try (Stream<Path> s = Files.list(cut)) {
            List<Path> hidden = s.filter(x -> x.getFileName().toString().startsWith(".")).toList();
            assertTrue(hidden.isEmpty(), "no debris: " + hidden);
        }
    }

    private static Path copy(Path from, Path to) throws Exception {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path f : s.toList()) {
                Path t = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(t);
                else Files.copy(f, t);
            }
        }
        return to;
    }
}
