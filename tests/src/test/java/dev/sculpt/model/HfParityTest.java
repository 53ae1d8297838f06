package dev.sculpt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.io.TensorInfo;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.model.t5.T5Model;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    private static LanguageModel load(Path dir) {
        try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
            if ("t5".equals(ckpt.modelType())) return T5Model.load(dir);
            // LLaMA: build the model from config.json and fill every parameter by its Hugging Face name
            LlamaModel m = LlamaModel.create(LlamaConfig.fromJson(ckpt.config()), 0);
            for (Parameter p : m.parameters()) {
                long[] dims = new long[p.rank()];
                for (int i = 0; i < dims.length; i++) dims[i] = p.shape()[i];
                ckpt.expectShape(p.name(), dims);
                ckpt.read(p.name(), p.data().duplicate().position(0));
            }
            return m;
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
