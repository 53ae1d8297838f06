package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.backend.Backends;
import dev.sculpt.cli.CliRun;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.continual.HfModelStore;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.TrainingStateCheckpoint;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CEM run interrupted inside round 2, after a training-state checkpoint (--save-every 2), resumes inside that
 * round (its first step is the one after the checkpoint) and ends with the uninterrupted run's weights, bit for
 * bit, and its metrics (accumulating osft: bases, W0, AdamW moments and data order all come back). A bad
 * --save-every is refused before any work.
 */
class EvolveMidRoundResumeTest {
    @TempDir Path dir;

    private static ContinualRoundTrainer trainer(Path runDir, int saveEvery, boolean resume, Trainer.StepListener l) {
        TrainConfig tc = TrainConfig.defaults().withLr(2e-3f).withEpochs(2).withBatchSize(4).withSeed(7);
        ContinualRoundTrainer t = new ContinualRoundTrainer(Method.OSFT, tc, RankPolicy.ratio(0.5), ProjectionMode.TWO_SIDED, Backends.cpu(), 2, 8)
                .accumulate(true).listener(l);
        return runDir == null ? t : t.trainingState(runDir, new HfModelStore(Map.of()), saveEvery, resume);
    }

    private static TinyEvolveRun run(Path model, EvolveInputs in, Path runDir, RoundTrainer trainer, boolean resume) {
        return TinyEvolveRun.run(model, in, runDir, trainer, resume, 2);
    }

    @Test
    void aRunInterruptedInsideRoundTwoResumesThereToTheSameWeights() throws Exception {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "3"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        EvolveInputs in = EvolveInputs.load(f.probe(), f.heldout(), null, List.of(f.wiki()), f.train(), null, dir.resolve("index"));

        TinyEvolveRun straight = run(model, in, dir.resolve("straight"), trainer(null, 0, false, null), false);
        int round1 = straight.result().rounds().get(1).trainSteps();
        int round2 = straight.result().rounds().get(2).trainSteps();
        assertTrue(round2 >= 4, "round 2 needs room for a checkpoint before the interruption: " + round2 + " steps");

        Path cut = dir.resolve("cut");
        int[] calls = {0};
        Trainer.StepListener dying = (step, total, loss, lr, norm) -> {
            if (++calls[0] == round1 + 3) throw new IllegalStateException("interrupted in round 2 at step " + step);
        };
        assertThrows(IllegalStateException.class, () -> run(model, in, cut, trainer(cut, 2, false, dying), false));
        TrainingStateCheckpoint.Progress left = TrainingStateCheckpoint.readProgress(cut);
        assertEquals(2, left.task, "the training state is inside round 2");
        assertEquals(2, left.step);

        List<Integer> firstSteps = new ArrayList<>();
        Trainer.StepListener watch = (step, total, loss, lr, norm) -> firstSteps.add(step);
        TinyEvolveRun resumed = run(model, in, cut, trainer(cut, 2, true, watch), true);
        assertEquals(left.step + 1, firstSteps.get(0), "round 2 continues after its saved step, it does not start over");
        assertEquals(straight.result().rounds().size(), resumed.result().rounds().size());
        for (int r = 0; r < straight.result().rounds().size(); r++) {
            RoundMetrics a = straight.result().rounds().get(r), b = resumed.result().rounds().get(r);
            assertEquals(a.probe(), b.probe(), "round " + r);
            assertEquals(a.heldout(), b.heldout(), "round " + r);
            assertEquals(a.trainSteps(), b.trainSteps(), "round " + r);
        }
        for (int i = 0; i < straight.weights().size(); i++) assertArrayEquals(straight.weights().get(i), resumed.weights().get(i), "parameter " + i);
        assertFalse(Files.exists(cut.resolve(TrainingStateCheckpoint.DIR)), "the training state is removed after its round");

        for (String bad : List.of("0", "-3")) {
            Path out = dir.resolve("bad" + bad);
            CliRun r = CliRun.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(), "--corpus", f.wiki().toString(),
                    "--rounds", "1", "--out", out.toString(), "--save-every", bad);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().contains("--save-every must be >= 1"), r.err());
            assertFalse(Files.exists(out), "nothing may be written for --save-every " + bad);
        }
        // a directory holding a training state is refused without --resume, before any work
        Path held = Files.createDirectories(dir.resolve("held").resolve(TrainingStateCheckpoint.DIR)).getParent();
        CliRun r = CliRun.of("evolve", "--model", model.toString(), "--questions", f.probe().toString(), "--corpus", f.wiki().toString(),
                "--rounds", "1", "--out", held.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("already holds a run") && r.err().contains("--resume"), r.err());
        try (var s = Files.list(held)) {
            assertEquals(List.of(TrainingStateCheckpoint.DIR), s.map(x -> x.getFileName().toString()).toList(), "nothing written");
        }
    }
}
