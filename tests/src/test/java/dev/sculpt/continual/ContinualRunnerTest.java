package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.ReferenceBackend;
import dev.sculpt.train.CharTokenizer;
import dev.sculpt.train.RawStore;
import dev.sculpt.train.TinyModel;
import dev.sculpt.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContinualRunnerTest {
    @TempDir Path dir;

    /** Three tasks, each mapping six letters to digits (a different map per task). */
    static List<TaskData> tasks() {
        String[] inputs = {"abcdef", "ghijkl", "mnopqr"};
        List<TaskData> out = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            List<TextPair> pairs = new ArrayList<>();
            for (int i = 0; i < 6; i++) pairs.add(new TextPair(String.valueOf(inputs[t].charAt(i)), String.valueOf((char) ('0' + (i * (t + 2)) % 10))));
            List<TextPair> train = new ArrayList<>();
            for (int rep = 0; rep < 6; rep++) train.addAll(pairs);
            out.add(new TaskData("map" + t, train, pairs, List.of()));
        }
        return out;
    }

    static ContinualOptions options(Method m) {
        return ContinualOptions.defaults(m).withTrain(TrainConfig.defaults().withLr(3e-2f).withBatchSize(6).withEpochs(2).withWarmup(0.1f))
                .withRankPolicy(RankPolicy.ratio(0.5)).withBackend(new ReferenceBackend()).withCheckEvery(4).withLora(2, 4f);
    }

    static RunRecord run(Method m, Path out, ContinualRunner.Listener l, boolean resume) {
        try (TinyModel model = new TinyModel(42, 12, 24, 2, 17)) {
            return new ContinualRunner(model, new CharTokenizer(), new RawStore(), options(m).withResume(resume), l).run(tasks(), out);
        }
    }

    @Test
    void endToEndWritesMetricsReportAndCheckpoints() throws Exception {
        Path out = dir.resolve("osft");
        RunRecord r = run(Method.OSFT, out, null, false);
        assertEquals(3, r.completedTasks);
        double[][] a = r.accuracyMatrix();
        assertTrue(Double.isNaN(a[0][2]), "task 3 is not evaluated after task 1");
        assertFalse(Double.isNaN(a[0][1]), "the next task is evaluated for forward transfer");
        assertTrue(a[0][0] > 0.8, "task 1 should be learned: " + a[0][0]);
        assertEquals(ClMetrics.averageAccuracy(a), r.averageAccuracy, 1e-12);
        assertEquals(ClMetrics.backwardTransfer(a), r.backwardTransfer, 1e-12);
        assertTrue(r.forwardTransfer != null);
        assertEquals(0, (int) r.ranks.get(0).get("model.layers.0.mlp.up_proj.weight"), "the first task trains freely");
        assertEquals(6, (int) r.ranks.get(1).get("model.layers.0.mlp.up_proj.weight"));
        // against the guard's own basis only rounding remains: the float64 reference projection rounded to float32
        // and the weights' storage, u |W| per element and step, relative to a change of ~lr = 3e-2 per element and
        // step: at most u * 1 / 3e-2 = 2e-6 with TinyModel's weights of size <= 1 (the embedding; 0.3 elsewhere)
        assertTrue(r.residuals.get(1).maxRelLeft < 1e-5 && r.residuals.get(1).maxRelRight < 1e-5);
        assertEquals(3, r.residuals.get(2).checks.size());      // steps 4, 8 and the final step 12
        RunRecord m = ContinualRunner.read(out.resolve("metrics.json"));
        assertEquals(r.accuracy, m.accuracy);
        assertEquals(12, m.stepLosses.get(0).size());
        byte[] png = Files.readAllBytes(out.resolve("report.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        for (String c : r.checkpoints) assertTrue(Files.isRegularFile(out.resolve("checkpoints").resolve(c).resolve("weights.bin")));
        try (var s = Files.list(out.resolve("checkpoints"))) {
            assertEquals(3, s.count(), "no temporary directories are left");
        }

        RunRecord seq = run(Method.SEQFT, dir.resolve("seqft"), null, false);
        assertTrue(seq.ranks.get(1).isEmpty() && seq.residuals.get(1) == null);
        RunRecord lora = run(Method.LORA, dir.resolve("lora"), null, false);
        assertEquals(3, lora.completedTasks);
    }

    @Test
    void resumesAfterAnInterruptionWithTheSameResults() throws Exception {
        RunRecord whole = run(Method.OSFT, dir.resolve("whole"), null, false);

        Path out = dir.resolve("cut");
        ContinualRunner.Listener killer = new ContinualRunner.Listener() {
            @Override public void step(int task, int step, int steps, double loss) {
                if (task == 1 && step == 5) throw new IllegalStateException("simulated kill");
            }
        };
        assertThrows(IllegalStateException.class, () -> run(Method.OSFT, out, killer, false));
        assertEquals(1, ContinualRunner.read(out.resolve("state.json")).completedTasks);
        // debris of a kill while the next checkpoint was being written (AtomicFiles.writeDirectory naming)
        Files.createDirectories(out.resolve("checkpoints/.task-02-map1.4711.tmpdir"));
        Files.writeString(out.resolve("checkpoints/.task-02-map1.4711.tmpdir/weights.bin"), "half");

        SculptException e = assertThrows(SculptException.class, () -> run(Method.OSFT, out, null, false));
        assertTrue(e.getMessage().contains("--resume"), e.getMessage());
        e = assertThrows(SculptException.class, () -> run(Method.SEQFT, out, null, true));
        assertTrue(e.getMessage().contains("osft"), e.getMessage());

        RunRecord resumed = run(Method.OSFT, out, null, true);
        assertEquals(3, resumed.completedTasks);
        assertEquals(whole.accuracy, resumed.accuracy);
        assertEquals(whole.stepLosses, resumed.stepLosses);
        assertEquals(whole.averageAccuracy, resumed.averageAccuracy);
        assertFalse(Files.exists(out.resolve("checkpoints/.task-02-map1.4711.tmpdir")));
    }

    @Test
    void badTasksFailBeforeTraining() {
        List<TaskData> dup = List.of(tasks().get(0), tasks().get(0));
        SculptException e = assertThrows(SculptException.class, () -> ContinualRunner.validate(dup));
        assertTrue(e.getMessage().contains("twice"));
        List<TaskData> empty = List.of(new TaskData("x", List.of(), List.of(new TextPair("a", "b")), null));
        assertThrows(SculptException.class, () -> ContinualRunner.validate(empty));
    }
}
