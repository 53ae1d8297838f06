package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import dev.sculpt.backend.Backends;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.continual.Method;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CEM run killed in round 2 resumes from round 1's checkpoint and ends exactly where an uninterrupted run ends:
 * the same metrics, round by round, and bit-identical weights (accumulating osft, so the carried protected bases
 * must come back too). A directory holding a run is refused without --resume, and resuming a finished run only
 * reports it.
 */
class EvolveResumeTest {
    @TempDir Path dir;

    /** Delegates to the real trainer but dies when round {@code dieAt} starts, as a killed process would. */
    private static final class DyingTrainer implements RoundTrainer {
        private final RoundTrainer real;
        private final int dieAt;

        DyingTrainer(RoundTrainer real, int dieAt) {
            this.real = real;
            this.dieAt = dieAt;
        }

        @Override
        public TrainSummary train(LanguageModel model, List<Example> examples, int round) {
            if (round == dieAt) throw new IllegalStateException("killed in round " + round);
            return real.train(model, examples, round);
        }

        @Override
        public void saveState(Path d) { real.saveState(d); }

        @Override
        public void restoreState(Path d, List<Example> seen) { real.restoreState(d, seen); }
    }

    private static ContinualRoundTrainer trainer() {
        TrainConfig tc = TrainConfig.defaults().withLr(2e-3f).withEpochs(2).withBatchSize(4).withSeed(7);
        return new ContinualRoundTrainer(Method.OSFT, tc, RankPolicy.ratio(0.5), ProjectionMode.TWO_SIDED, Backends.cpu(), 3, 8)
                .accumulate(true);
    }

    private static TinyEvolveRun run(Path model, EvolveInputs in, Path runDir, RoundTrainer trainer, boolean resume) {
        return TinyEvolveRun.run(model, in, runDir, trainer, resume, 3);
    }

    @Test
    void aRunKilledInRoundTwoResumesToTheSameEnd() throws IOException {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "3"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        EvolveInputs in = EvolveInputs.load(f.probe(), f.heldout(), null, List.of(f.wiki()), f.train(), null, dir.resolve("index"));

        TinyEvolveRun straight = run(model, in, dir.resolve("straight"), trainer(), false);
        assertEquals(4, straight.result().rounds().size(), straight.log());

        Path killed = dir.resolve("killed");
        IllegalStateException death = assertThrows(IllegalStateException.class,
                () -> run(model, in, killed, new DyingTrainer(trainer(), 2), false));
        assertTrue(death.getMessage().contains("round 2"));
        JsonNode state = new ObjectMapper().readTree(killed.resolve(EvolveCheckpoints.STATE).toFile());
        assertEquals(1, state.get("completedRounds").asInt());
        assertTrue(Files.isRegularFile(killed.resolve("checkpoints/round-01/model.safetensors")));
        assertTrue(Files.isRegularFile(killed.resolve("checkpoints/round-01/" + ContinualRoundTrainer.BASES)));

        SculptException refused = assertThrows(SculptException.class, () -> run(model, in, killed, trainer(), false));
        assertTrue(refused.getMessage().contains("--resume"), refused.getMessage());

        TinyEvolveRun resumed = run(model, in, killed, trainer(), true);
        assertTrue(resumed.log().contains("--resume: continuing after round 1"), resumed.log());
        assertEquals(straight.result().rounds().stream().map(EvolveResumeTest::withoutTime).toList(),
                resumed.result().rounds().stream().map(EvolveResumeTest::withoutTime).toList(), "metrics round by round");
        assertEquals(straight.result().stopReason(), resumed.result().stopReason());
        assertEquals(straight.weights().size(), resumed.weights().size());
        for (int i = 0; i < straight.weights().size(); i++) assertArrayEquals(straight.weights().get(i), resumed.weights().get(i), "parameter " + i);
        assertEquals(3, new ObjectMapper().readTree(killed.resolve(EvolveCheckpoints.STATE).toFile()).get("completedRounds").asInt());
        try (var ds = Files.list(killed.resolve("checkpoints"))) {
            assertEquals(List.of("round-03"), ds.map(p -> p.getFileName().toString()).toList(), "only the last checkpoint is kept");
        }

        TinyEvolveRun again = run(model, in, killed, trainer(), true);
        assertTrue(again.log().contains("is complete after round 3"), again.log());
        assertEquals(4, again.result().rounds().size());
        for (int i = 0; i < straight.weights().size(); i++) {
            assertArrayEquals(straight.weights().get(i), again.weights().get(i), "a finished run's model is the final one, parameter " + i);
        }
    }

    /** A metrics row with its wall time zeroed (the only field that differs between two equal runs). */
    private static RoundMetrics withoutTime(RoundMetrics m) {
        return new RoundMetrics(m.round(), m.probe(), m.heldout(), m.ood(), m.mistakes(), m.uncertain(), m.points(), m.passages(),
                m.cptItems(), m.citItems(), m.replayItems(), m.trainSteps(), m.firstLoss(), m.lastLoss(), 0, m.retrievalHits());
    }
}
