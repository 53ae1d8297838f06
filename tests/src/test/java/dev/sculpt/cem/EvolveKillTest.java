package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.cli.SculptProcess;
import dev.sculpt.continual.TrainingStateCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt evolve --save-every 1} in a child JVM, killed with SIGKILL inside round 1's training (after a
 * training-state checkpoint), then resumed: the saved final model is byte-identical to an uninterrupted run's and
 * the round's metrics are equal.
 */
class EvolveKillTest {
    @TempDir Path dir;

    @Test
    void killDashNineInsideARoundThenResumeGivesTheUninterruptedModel() throws Exception {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "3"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        List<String> common = List.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(),
                "--corpus", f.wiki().toString(), "--rounds", "1", "--samples", "0", "--delta", "0", "--max-new-tokens", "4",
                "--lr", "1e-3", "--max-tokens", "96", "--epochs", "12", "--batch-size", "1", "--method", "osft", "--accumulate",
                "--save", "--index", dir.resolve("index").toString());

        Path whole = dir.resolve("whole");
        List<String> a = new ArrayList<>(common);
        a.addAll(List.of("--out", whole.toString()));
        CliRun straight = CliRun.of(a.toArray(String[]::new));
        assertEquals(0, straight.code(), straight.err());
        JsonNode expected = new ObjectMapper().readTree(whole.resolve("metrics.json").toFile()).get("rounds");
        int steps = expected.get(1).get("trainSteps").asInt();
        assertTrue(steps >= 6, "round 1 needs room for checkpoints: " + steps + " steps");

        Path cut = dir.resolve("cut");
        List<String> args = new ArrayList<>(common);
        args.addAll(List.of("--out", cut.toString(), "--save-every", "1"));
        List<String> cmd = SculptProcess.command(args);
        Path log = dir.resolve("child.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Path progress = cut.resolve(TrainingStateCheckpoint.DIR).resolve(TrainingStateCheckpoint.PROGRESS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(progress) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
        p.destroyForcibly();    // SIGKILL
        p.waitFor();
        assertNotEquals(0, p.exitValue(), "the child must have been killed, not finished: " + Files.readString(log));
        TrainingStateCheckpoint.Progress left = TrainingStateCheckpoint.readProgress(cut);
        assertEquals(1, left.task, "the training state is inside round 1");
        assertTrue(left.step >= 1 && left.step < steps, "step " + left.step);

        List<String> b = new ArrayList<>(common);
        b.addAll(List.of("--out", cut.toString(), "--resume", "--save-every", "1"));
        CliRun resumed = CliRun.of(b.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
        assertTrue(resumed.err().contains("resuming round 1 at step " + left.step + " of " + steps), "resumed inside the round: " + resumed.err());
        assertArrayEquals(Files.readAllBytes(whole.resolve("model").resolve("model.safetensors")),
                Files.readAllBytes(cut.resolve("model").resolve("model.safetensors")), "final weights are bit-identical");
        JsonNode got = new ObjectMapper().readTree(cut.resolve("metrics.json").toFile()).get("rounds");
        for (String key : List.of("probe", "trainSteps", "firstLoss", "lastLoss")) {
            assertEquals(expected.get(1).get(key), got.get(1).get(key), key);
        }
        assertFalse(Files.exists(cut.resolve(TrainingStateCheckpoint.DIR)), "the training state is gone after the round");
    }
}
