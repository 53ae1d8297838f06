package dev.sculpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.io.DType;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.io.TensorInfo;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.opentest4j.AssertionFailedError;

/**
 * Forward parity with Hugging Face transformers: each fixture under tests/fixtures/hf/ (made by
 * tests/fixtures/make_hf_fixtures.py with torch and transformers) holds a tiny random checkpoint, input ids and the
 * logits transformers computed for them. Our model loads the checkpoint and must reproduce the logits. A fixture
 * that has not been generated is skipped with a message saying how to make it.
 */
class HfParityTest {
    static Path fixture(String name) {
        return Path.of(System.getProperty("sculpt.repo.root", "..")).resolve("tests/fixtures/hf").resolve(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-untied", "llama-tied", "t5-relu-tied", "t5-gated-gelu-untied"})
    void logitsMatchTransformers(String name) throws Exception {
        Path dir = fixture(name);
        assumeTrue(Files.isRegularFile(dir.resolve("expected.safetensors")),
                "HF parity fixture " + dir + " is absent: run `python3 tests/fixtures/make_hf_fixtures.py` on a machine "
                        + "with torch and transformers, then commit tests/fixtures/hf");
        checkFixture(name, dir);
    }

    /** Loads the fixture's model and compares its logits with the expected ones (relative tolerance 1e-4). */
    static void checkFixture(String name, Path dir) throws Exception {
        JsonNode inputs = new ObjectMapper().readTree(dir.resolve("inputs.json").toFile());
        int[] ids = ints(inputs.path("input_ids"));
        int[] decoderIds = inputs.has("decoder_input_ids") ? ints(inputs.path("decoder_input_ids")) : null;
        float[] expected;
        long[] shape;
        try (SafeTensors st = SafeTensors.open(dir.resolve("expected.safetensors"))) {
            TensorInfo info = st.info("logits");
            shape = info.shape();
            expected = st.read("logits");
        }
        try (LanguageModel model = load(dir)) {
            float[][] got = model.logits(ids, decoderIds);
            assertEquals(shape[0], got.length, "positions");
            assertEquals(shape[1], got[0].length, "vocabulary");
            int vocab = (int) shape[1];
            double scale = 0;
            for (float v : expected) scale = Math.max(scale, Math.abs(v));
            double tol = 1e-4 * Math.max(1, scale);
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                for (int j = 0; j < vocab; j++) {
                    double err = Math.abs(got[i][j] - expected[i * vocab + j]);
                    worst = Math.max(worst, err);
                    assertTrue(err <= tol, name + ": logits[" + i + "][" + j + "] = " + got[i][j] + ", transformers "
                            + expected[i * vocab + j] + " (tolerance " + tol + ")");
                }
            }
            System.out.printf("%s: max |logit difference| %.3g over %d x %d (largest logit %.3g)%n", name, worst, got.length, vocab, scale);
        }
    }

    /**
     * The harness itself, on a fixture made here from our own tiny T5 (so it runs without torch): it passes, and a
     * single perturbed expected logit makes it fail.
     */
    @Test
    void harnessDetectsAMismatch(@TempDir Path tmp) throws Exception {
        T5Config c = new T5Config(40, 16, 4, 24, 2, 2, 4, 8, 12, "gated-gelu", 1e-6f, false, 0, 1, 0);
        int[] enc = {5, 9, 13, 2, 30, 1};
        int[] dec = {0, 7, 21, 3};
        Path dir = tmp.resolve("self");
        float[] flat;
        try (T5Model m = T5Model.init(c, 12)) {
            m.save(dir, DType.F32);
            float[][] logits = m.logits(enc, dec);
            flat = new float[dec.length * c.vocabSize()];
            for (int i = 0; i < dec.length; i++) System.arraycopy(logits[i], 0, flat, i * c.vocabSize(), c.vocabSize());
        }
        Files.writeString(dir.resolve("inputs.json"), "{\"input_ids\": " + Arrays.toString(enc)
                + ", \"decoder_input_ids\": " + Arrays.toString(dec) + "}");
        long[] shape = {dec.length, c.vocabSize()};
        SafeTensors.write(dir.resolve("expected.safetensors"), Map.of("logits", TensorSource.of(shape, flat)), DType.F32, Map.of());
        checkFixture("self", dir);
        flat[2 * c.vocabSize() + 11] += 0.01f;
        SafeTensors.write(dir.resolve("expected.safetensors"), Map.of("logits", TensorSource.of(shape, flat)), DType.F32, Map.of());
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> checkFixture("self", dir));
        assertTrue(e.getMessage().contains("logits[2][11]"), e.getMessage());
    }

    /** Through the registry, as users load models: LlamaModel or T5Model by config.json. */
    private static LanguageModel load(Path dir) {
        return Models.load(dir);
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
