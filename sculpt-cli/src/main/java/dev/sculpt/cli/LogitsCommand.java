package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.io.DType;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.ops.RunDevice;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sculpt logits}: runs the model once and writes the tensor {@code logits} [positions, vocab] as F32
 * safetensors (atomically). Causal models score {@code --ids}; encoder-decoder models score
 * {@code --decoder-ids} given encoder input {@code --ids}.
 */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Write the model's logits for given token ids to a safetensors file (tensor 'logits' [seq, vocab], F32).")
final class LogitsCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model directory") Path model;
    @Option(names = "--ids", required = true, description = "comma-separated input token ids") String ids;
    @Option(names = "--decoder-ids", description = "comma-separated decoder token ids, for encoder-decoder models (default: none; T5 then needs them)") String decoderIds;
    @Option(names = "--out", required = true, description = "output .safetensors file") Path out;
    @Option(names = "--device", defaultValue = "cpu", description = "the ops provider the whole run computes on, with the matching SVD backend: cpu; cuda (a GPU, its driver and the CUDA libraries; fails at once without them); cuda-emulated (the CUDA kernels built for the host, for tests; SVD on cpu); auto (cuda where usable, else cpu) (default: ${DEFAULT-VALUE})") String device;

    @Override
    public Integer call() {
        int[] in = CliIds.parse("--ids", ids);
        int[] dec = CliIds.parse("--decoder-ids", decoderIds);
        if (in.length == 0) throw new SculptException("--ids: at least one token id is needed");
        try (RunDevice dev = RunDevice.open("--device", device); LanguageModel m = Models.load(model, dev.ops())) {
            for (int[] list : new int[][]{in, dec}) {
                if (list == null) continue;
                for (int id : list) {
                    if (id >= m.vocabSize()) throw new SculptException((list == in ? "--ids" : "--decoder-ids") + ": token id " + id + " is outside the vocabulary [0, " + m.vocabSize() + ")");
                }
            }
            System.out.println("device: " + dev.describe());
            float[][] logits = m.logits(in, dec);
            int rows = logits.length;
            int vocab = m.vocabSize();
            float[] flat = new float[rows * vocab];
            for (int r = 0; r < rows; r++) System.arraycopy(logits[r], 0, flat, r * vocab, vocab);
            SafeTensors.write(out, Map.of("logits", TensorSource.of(new long[]{rows, vocab}, flat)), DType.F32, Map.of());
            System.out.println("wrote logits [" + rows + ", " + vocab + "] to " + out);
        }
        return 0;
    }
}
