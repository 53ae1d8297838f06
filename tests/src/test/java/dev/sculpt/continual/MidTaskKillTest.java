package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.cli.SculptProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt continual --save-every} in a child JVM killed with SIGKILL inside a task, twice (the second time at
 * a random moment after a later checkpoint, which may fall in the middle of writing one), then resumed: the
 * weights of every task's checkpoint are byte-identical to an uninterrupted run's, and so are the accuracy
 * matrix, the step losses and the invariant checks. Bad --save-every values and a resume with other settings are
 * refused before any work.
 */
class MidTaskKillTest {
    @TempDir Path dir;

    private String[] common;

    private static String[] concat(String[] a, String... b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private Process child(Path log, String... args) throws Exception {
        return new ProcessBuilder(SculptProcess.command(List.of(concat(common, args)))).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The training state's progress once {@code until} holds for it (null if the child ended first). */
    private static TrainingStateCheckpoint.Progress await(Process p, Path out, Predicate<TrainingStateCheckpoint.Progress> until) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (Files.exists(out.resolve(TrainingStateCheckpoint.DIR).resolve(TrainingStateCheckpoint.PROGRESS))) {
                try {
                    TrainingStateCheckpoint.Progress pr = TrainingStateCheckpoint.readProgress(out);
                    if (until.test(pr)) return pr;
                } catch (RuntimeException replacedWhileReading) {
                    // the directory was being replaced or removed; look again
                }
            }
            Thread.sleep(5);
        }
        return null;
    }

    private static void kill(Process p, Path log) throws Exception {
        p.destroyForcibly();    // SIGKILL
        p.waitFor();
        assertNotEquals(0, p.exitValue(), "the child must have been killed, not finished: " + Files.readString(log));
    }

    @Test
    void killDashNineInsideTasksThenResumeGivesTheUninterruptedWeights() throws Exception {
        Path model = ContinualCommandTest.tinyModel(dir);
        List<String> tasks = new ArrayList<>();
        for (int t = 0; t < 2; t++) tasks.add(ContinualCommandTest.jsonl(dir, "t" + t, 120, t + 1).toString());
        common = new String[] {"continual", "--model", model.toString(), "--tasks", String.join(",", tasks), "--method", "osft",
                "--accumulate", "--rank-ratio", "0.5", "--check-every", "4", "--lr", "1e-2", "--batch-size", "2", "--grad-accum", "2",
                "--seed", "5"};

        Path whole = dir.resolve("whole");
        assertEquals(0, Sculpt.execute(concat(common, "--out", whole.toString())));
        RunRecord expected = ContinualRunner.read(whole.resolve("metrics.json"));
        int steps = expected.stepLosses.get(0).size();
        assertEquals(30, steps, "120 examples, 4 per optimizer step");

        // bad intervals are refused before anything is written
        for (String bad : List.of("0", "-3")) {
            Path out = dir.resolve("bad" + bad);
            CliRun r = CliRun.of(concat(common, "--out", out.toString(), "--save-every", bad));
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--save-every must be >= 1") && r.err().contains(bad), r.err());
            assertFalse(Files.exists(out), "nothing may be written for --save-every " + bad);
        }

        Path cut = dir.resolve("cut");
        Path log1 = dir.resolve("child1.log");
        Process p1 = child(log1, "--out", cut.toString(), "--save-every", "3");
        TrainingStateCheckpoint.Progress first = await(p1, cut, pr -> true);
        kill(p1, log1);
        assertTrue(first != null, "no training state appeared: " + Files.readString(log1));
        TrainingStateCheckpoint.Progress left = TrainingStateCheckpoint.readProgress(cut);
        int completed = Files.exists(cut.resolve("state.json")) ? ContinualRunner.read(cut.resolve("state.json")).completedTasks : 0;
        assertEquals(completed, left.task, "the training state left behind is inside the task being trained");
        assertTrue(left.step > 0 && left.step < steps, "step " + left.step);

        // a resume with other settings is refused and modifies nothing
        byte[] progressBytes = Files.readAllBytes(cut.resolve(TrainingStateCheckpoint.DIR).resolve(TrainingStateCheckpoint.PROGRESS));
        String[] otherLr = common.clone();
        otherLr[List.of(common).indexOf("--lr") + 1] = "2e-2";
        CliRun other = CliRun.of(concat(otherLr, "--out", cut.toString(), "--resume"));
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("other settings") && other.err().contains("lr 0.01 -> 0.02"), other.err());
        assertArrayEquals(progressBytes, Files.readAllBytes(cut.resolve(TrainingStateCheckpoint.DIR).resolve(TrainingStateCheckpoint.PROGRESS)));

        // resume, and kill again at a random moment after a checkpoint at least 4 steps further on
        Path log2 = dir.resolve("child2.log");
        Process p2 = child(log2, "--out", cut.toString(), "--resume", "--save-every", "3");
        // (the last checkpoint of the run is at step 27 of task 2; a first kill that landed late asks for that one)
        int target = Math.min(left.task * steps + left.step + 4, 2 * steps - 3);
        TrainingStateCheckpoint.Progress second = await(p2, cut, pr -> pr.task * steps + pr.step >= target);
        Thread.sleep(new SplittableRandom().nextInt(40));
        kill(p2, log2);
        String said = Files.readString(log2);
        assertTrue(said.contains("resuming task " + (left.task + 1)) && said.contains("at step " + left.step), said);
        assertTrue(second != null, "the resumed child saved no later training state: " + said);

        CliRun last = CliRun.of(concat(common, "--out", cut.toString(), "--resume", "--save-every", "3"));
        assertEquals(0, last.code(), last.err());
        RunRecord resumed = ContinualRunner.read(cut.resolve("metrics.json"));
        for (int t = 0; t < expected.checkpoints.size(); t++) {
            Path a = whole.resolve("checkpoints").resolve(expected.checkpoints.get(t)).resolve("model.safetensors");
            Path b = cut.resolve("checkpoints").resolve(resumed.checkpoints.get(t)).resolve("model.safetensors");
            assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "weights after task " + (t + 1) + " are bit-identical");
        }
        assertEquals(expected.accuracy, resumed.accuracy);
        assertEquals(expected.stepLosses, resumed.stepLosses);
        ObjectMapper json = new ObjectMapper();
        assertEquals(json.writeValueAsString(expected.residuals), json.writeValueAsString(resumed.residuals));
        assertFalse(Files.exists(cut.resolve(TrainingStateCheckpoint.DIR)), "the training state is gone once the run is done");
        try (Stream<Path> s = Stream.concat(Files.list(cut), Files.list(cut.resolve("checkpoints")))) {
            List<Path> hidden = s.filter(x -> x.getFileName().toString().startsWith(".")).toList();
            assertTrue(hidden.isEmpty(), "no half-written checkpoint remains: " + hidden);
        }
    }
}
