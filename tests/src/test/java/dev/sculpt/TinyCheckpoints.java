package dev.sculpt;

import dev.sculpt.model.Models;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import dev.sculpt.text.ByteTokenizer;
import java.nio.file.Path;

/**
 * The smallest checkpoints the training tests use, written in HF layout with the byte tokenizer: hidden 16, one
 * layer (LLaMA: 2 heads, 2 kv heads; T5: one encoder and one decoder block, gated-GELU), seed 3. Small because the
 * emulated CUDA provider runs one fiber per CUDA thread, and these tests run on it too.
 */
public final class TinyCheckpoints {
    private TinyCheckpoints() {}

    /** A 1-layer LLaMA (hidden 16, intermediate 32) with room for {@code maxPositions} positions, saved to {@code dir}. */
    public static Path llama(Path dir, int maxPositions) {
        ByteTokenizer tok = new ByteTokenizer();
        LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), 16, 32, 1, 2, 2)
                .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(maxPositions);
        try (LlamaModel model = LlamaModel.create(cfg, 3)) {
            Models.save(model, dir, tok.files());
        }
        return dir;
    }

    /** A 1+1-block T5 (d 16, 2 heads of 8, ff 32, 8 buckets up to distance 20, gated-GELU, untied), saved to {@code dir}. */
    public static Path t5(Path dir) {
        ByteTokenizer tok = new ByteTokenizer();
        T5Config cfg = new T5Config(tok.vocabSize(), 16, 8, 32, 1, 1, 2, 8, 20, "gated-gelu", 1e-6f, false,
                tok.padId(), tok.eosId(), tok.padId());
        try (T5Model model = T5Model.init(cfg, 3)) {
            Models.save(model, dir, tok.files());
        }
        return dir;
    }

    /** {@code root/arch}: {@link #llama} with 64 positions for "llama", else {@link #t5}. */
    public static Path of(Path root, String arch) {
        Path dir = root.resolve(arch);
        return arch.equals("llama") ? llama(dir, 64) : t5(dir);
    }
}
