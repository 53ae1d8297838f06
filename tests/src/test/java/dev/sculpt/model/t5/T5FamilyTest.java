package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.cli.Sculpt;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.text.Tokenizers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** T5 through the model registry and the command line: init, load, logits, save. */
class T5FamilyTest {
    @Test
    void initLoadLogitsAndSaveThroughTheRegistryAndCli(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("t5");
        assertEquals(0, Sculpt.execute("init", "--arch", "t5", "--size", "tiny", "--out", model.toString(), "--seed", "4"));
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors")));
        Tokenizer tok = Tokenizers.load(model);
        assertInstanceOf(ByteTokenizer.class, tok);
        try (LanguageModel m = Models.load(model)) {
            T5Model t5 = assertInstanceOf(T5Model.class, m);
            assertEquals(ByteTokenizer.VOCAB_SIZE, t5.vocabSize());
            assertEquals(ByteTokenizer.EOS, t5.config().eosTokenId());
            assertEquals(ByteTokenizer.PAD, t5.config().decoderStartTokenId());
            // HF initialisation scale: shared ~ N(0, 1), q ~ N(0, (d_model d_kv)^-1/2); the sample standard deviation
            // of N values is within sigma / sqrt(2N) per standard error: 0.0055 for the 259 x 64 table, 3.5e-4 for the
            // 64 x 64 q: both tolerances are over 9 standard errors, while a wrong scale is off by a factor
            assertEquals(1.0, std(t5.parameter("shared.weight").toArray()), 0.05);
            assertEquals(Math.pow(64 * 16, -0.5), std(t5.parameter("encoder.block.1.layer.0.SelfAttention.q.weight").toArray()), 0.005);

            int[] ids = tok.encode("hi there");
            Path out = dir.resolve("logits.safetensors");
            assertEquals(0, Sculpt.execute("logits", "--model", model.toString(), "--ids", join(ids),
                    "--decoder-ids", "0,75,80", "--out", out.toString()));
            float[][] want = m.logits(ids, new int[] {0, 75, 80});
            try (SafeTensors st = SafeTensors.open(out)) {
                assertArrayEquals(new long[] {3, ByteTokenizer.VOCAB_SIZE}, st.info("logits").shape());
                float[] got = st.read("logits");
                for (int i = 0; i < 3; i++) for (int j = 0; j < want[i].length; j++) assertEquals(want[i][j], got[i * want[i].length + j]);
            }
            int[] gen = m.generate(ids, GenerationOptions.greedy(5, Set.of()));
            assertTrue(gen.length <= 5);

            // save through the registry with the tokenizer files, and load again: same logits
            Path copy = dir.resolve("copy");
            Models.save(m, copy, model);
            assertInstanceOf(ByteTokenizer.class, Tokenizers.load(copy));
            try (LanguageModel back = Models.load(copy)) {
                assertArrayEquals(want, back.logits(ids, new int[] {0, 75, 80}));
            }
        }
        // another seed gives another model
        Path other = dir.resolve("other");
        assertEquals(0, Sculpt.execute("init", "--arch", "t5", "--size", "tiny", "--out", other.toString(), "--seed", "5"));
        try (T5Model a = T5Model.load(model); T5Model b = T5Model.load(other)) {
            assertNotEquals(a.parameter("shared.weight").data().get(7), b.parameter("shared.weight").data().get(7));
        }
        assertEquals(2, Sculpt.execute("init", "--arch", "t5", "--size", "huge", "--out", dir.resolve("x").toString()));
    }

    private static double std(float[] v) {
        double s = 0, ss = 0;
        for (float x : v) { s += x; ss += (double) x * x; }
        double mean = s / v.length;
        return Math.sqrt(ss / v.length - mean * mean);
    }

    private static String join(int[] ids) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ids.length; i++) b.append(i == 0 ? "" : ",").append(ids[i]);
        return b.toString();
    }
}
