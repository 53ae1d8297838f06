package dev.sculpt.demo;

import dev.sculpt.continual.ContinualOptions;
import dev.sculpt.continual.ContinualRunner;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.RunRecord;
import dev.sculpt.data.TaskData;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Not a test: how well each synthetic task is learned alone (args: train test epochs hidden layers lr batch). */
public final class TaskTuning {
    public static void main(String[] a) throws Exception {
        int train = Integer.parseInt(a[0]), test = Integer.parseInt(a[1]), epochs = Integer.parseInt(a[2]);
        int hidden = Integer.parseInt(a[3]), layers = Integer.parseInt(a[4]);
        float lr = Float.parseFloat(a[5]);
        int batch = Integer.parseInt(a[6]);
        Tokenizer tok = new dev.sculpt.text.ByteTokenizer();
        List<TaskData> tasks = SyntheticTasks.generate(train, test, 7);
        for (TaskData t : tasks) {
            if (a.length > 7 && !t.name().equals(a[7])) continue;
            int heads = Math.max(1, hidden / 16);
            LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), hidden, hidden * 2, layers, heads, heads)
                    .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(64);
            long t0 = System.nanoTime();
            long c0 = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            try (LlamaModel m = LlamaModel.create(cfg, 7)) {
                Path dir = Files.createTempDirectory("tt");
                ContinualOptions o = ContinualOptions.defaults(Method.SEQFT).withTrain(TrainConfig.defaults().withLr(lr).withEpochs(epochs).withBatchSize(batch).withWarmup(0.05f));
                RunRecord r = new ContinualRunner(m, tok, new dev.sculpt.train.RawStore(), o, null).run(List.of(t), dir);
                List<Double> l = r.stepLosses.get(0);
                System.out.printf("%-8s acc %.2f  steps %d  loss %.3f -> %.3f  wall %.1f s  cpu %.1f s%n", t.name(), r.accuracy.get(0).get(0), l.size(), l.get(0), l.get(l.size() - 1),
                        (System.nanoTime() - t0) / 1e9, (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - c0) / 1e9);
            }
        }
    }
}
