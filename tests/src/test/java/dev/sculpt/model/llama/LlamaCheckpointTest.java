package dev.sculpt.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.DType;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.model.Parameter;
import dev.sculpt.text.ByteTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaCheckpointTest {
    @TempDir Path tmp;

    @Test
    void roundTripIsBitExactTiedAndUntied() throws Exception {
        for (boolean tied : new boolean[]{false, true}) {
            Path dir = tmp.resolve("m" + tied);
            try (LlamaModel m = LlamaModelTest.randomModel(LlamaModelTest.tiny(tied), 21)) {
                m.save(dir, new ByteTokenizer().files());
                try (LanguageModel back = Models.load(dir)) {
                    assertEquals("llama", back.architecture());
                    assertEquals(m.parameters().size(), back.parameters().size());
                    for (int i = 0; i < m.parameters().size(); i++) {
                        Parameter a = m.parameters().get(i), b = back.parameters().get(i);
                        assertEquals(a.name(), b.name());
                        assertArrayEquals(a.shape(), b.shape());
                        float[] x = a.toArray(), y = b.toArray();
                        for (int j = 0; j < x.length; j++) {
                            assertEquals(Float.floatToRawIntBits(x[j]), Float.floatToRawIntBits(y[j]), a.name() + "[" + j + "]");
                        }
                    }
                    assertEquals(m.config(), ((LlamaModel) back).config());
                }
                try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
                    assertEquals(!tied, ck.has("lm_head.weight"));
                    assertEquals("LlamaForCausalLM", ck.architectures().get(0));
                }
                assertTrue(ByteTokenizer.isSavedIn(dir));
            }
        }
    }

    @Test
    void tiedCheckpointWithStoredHeadAndHalfPrecisionLoads() {
        // transformers sometimes stores lm_head.weight even when tied; bf16 weights convert on load
        LlamaConfig cfg = LlamaModelTest.tiny(true);
        Path dir = tmp.resolve("bf16");
        try (LlamaModel m = LlamaModel.create(cfg, 3)) {
            Map<String, TensorSource> t = tensors(m);
            t.put("lm_head.weight", t.get("model.embed_tokens.weight"));
            HfCheckpoint.write(dir, cfg.toJson(), t, DType.BF16);
            try (LanguageModel back = Models.load(dir)) {
                float[] a = m.parameter("model.layers.0.mlp.up_proj.weight").toArray();
                float[] b = ((LlamaModel) back).parameter("model.layers.0.mlp.up_proj.weight").toArray();
                // bf16 keeps 8 significant bits: rounding to nearest is within 2^-9 |a| (truncation 2^-8); |a| / 128
                // allows either and catches a wrong byte order or exponent (off by 2x or more)
                for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], Math.abs(a[i]) / 128 + 1e-30);
            }
        }
    }

    private static Map<String, TensorSource> tensors(LlamaModel m) {
        Map<String, TensorSource> t = new LinkedHashMap<>();
        for (Parameter p : m.parameters()) {
            long[] s = new long[p.rank()];
            for (int i = 0; i < s.length; i++) s[i] = p.shape()[i];
            t.put(p.name(), TensorSource.of(s, p.toArray()));
        }
        return t;
    }

    @Test
    void missingAndMisShapedTensorsAndUnknownArchitecturesAreNamed() {
        LlamaConfig cfg = LlamaModelTest.tiny(false);
        try (LlamaModel m = LlamaModel.create(cfg, 4)) {
            Map<String, TensorSource> t = tensors(m);
            t.remove("model.layers.1.self_attn.v_proj.weight");
            Path missing = tmp.resolve("missing");
            HfCheckpoint.write(missing, cfg.toJson(), t, DType.F32);
            SculptException e = assertThrows(SculptException.class, () -> Models.load(missing));
            assertTrue(e.getMessage().contains("model.layers.1.self_attn.v_proj.weight"), e.getMessage());

            t = tensors(m);
            t.put("model.layers.0.mlp.down_proj.weight", TensorSource.of(new long[]{24, 16}, new float[24 * 16]));
            Path shaped = tmp.resolve("shaped");
            HfCheckpoint.write(shaped, cfg.toJson(), t, DType.F32);
            e = assertThrows(SculptException.class, () -> Models.load(shaped));
            assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj.weight") && e.getMessage().contains("[16, 24]"), e.getMessage());

            ObjectNode gpt = cfg.toJson();
            gpt.putArray("architectures").add("GPT2LMHeadModel");
            gpt.put("model_type", "gpt2");
            Path unknown = tmp.resolve("unknown");
            HfCheckpoint.write(unknown, gpt, tensors(m), DType.F32);
            e = assertThrows(SculptException.class, () -> Models.load(unknown));
            assertTrue(e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());

            ObjectNode bias = cfg.toJson();
            bias.put("attention_bias", true);
            Path biased = tmp.resolve("bias");
            HfCheckpoint.write(biased, bias, tensors(m), DType.F32);
            e = assertThrows(SculptException.class, () -> Models.load(biased));
            assertTrue(e.getMessage().contains("attention_bias"), e.getMessage());
        }
        assertThrows(SculptException.class, () -> Models.load(tmp.resolve("nowhere")));
    }

    @Test
    void configReadsHfFieldsAndDefaults() throws Exception {
        String json = "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":64,"
                + "\"intermediate_size\":128,\"num_hidden_layers\":2,\"num_attention_heads\":8,\"num_key_value_heads\":2,"
                + "\"rms_norm_eps\":1e-6,\"rope_theta\":500000.0,\"vocab_size\":100,\"tie_word_embeddings\":true,"
                + "\"max_position_embeddings\":4096,\"bos_token_id\":5,\"eos_token_id\":[6,7],"
                + "\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}}";
        LlamaConfig c = LlamaConfig.fromJson(new ObjectMapper().readTree(json));
        assertEquals(8, c.headDim());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(1e-6, c.rmsNormEps());
        assertTrue(c.tieWordEmbeddings());
        assertArrayEquals(new int[]{6, 7}, c.eosTokenIds());
        float[] plain = dev.sculpt.engine.RopeFrequencies.standard(8, 500000.0);
        float[] scaled = c.inverseFrequencies();
        assertEquals(plain[0], scaled[0]);                 // high frequency: unchanged
        assertEquals(plain[3] / 8, scaled[3], 1e-12);      // lowest frequency: divided by the factor
        assertEquals(c, LlamaConfig.fromJson(c.toJson()));
        assertThrows(SculptException.class, () -> LlamaConfig.fromJson(new ObjectMapper().readTree("{\"hidden_size\":64}")));
    }

    @Test
    void saveReplacesAtomicallyAndLeavesNoTemporaries() throws Exception {
        Path dir = tmp.resolve("atomic");
        try (LlamaModel m = LlamaModel.create(LlamaModelTest.tiny(false), 5)) {
            m.save(dir, Map.of());
            m.save(dir, Map.of("note.txt", "x".getBytes()));
        }
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.count(), "only the model directory remains");
        }
        assertTrue(Files.isRegularFile(dir.resolve("note.txt")));
    }
}
