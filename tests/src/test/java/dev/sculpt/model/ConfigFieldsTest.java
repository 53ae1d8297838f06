package dev.sculpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.t5.T5Config;
import org.junit.jupiter.api.Test;

/** One set of config.json rules for every family: wrong kinds of value are refused by key, the same in LLaMA and T5. */
class ConfigFieldsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode llama() {
        ObjectNode c = JSON.createObjectNode();
        c.put("hidden_size", 64).put("intermediate_size", 128).put("num_hidden_layers", 2).put("num_attention_heads", 4)
                .put("vocab_size", 300).put("rms_norm_eps", 1e-5);
        c.putArray("eos_token_id").add(2).add(7);
        return c;
    }

    @Test
    void typedFieldsWithDefaultsAndIdLists() {
        ConfigFields f = new ConfigFields(llama(), "c.json");
        assertEquals(64, f.requiredInt("hidden_size"));
        assertEquals(4, f.intOr("num_key_value_heads", 4));
        assertEquals(1e-5, f.doubleOr("rms_norm_eps", 1e-6));
        assertArrayEquals(new int[] {2, 7}, f.ids("eos_token_id"));
        assertEquals(2, f.idOr("eos_token_id", -1));
        assertEquals(-1, f.idOr("bos_token_id", -1));
        LlamaConfig c = LlamaConfig.fromJson(llama());
        assertArrayEquals(new int[] {2, 7}, c.eosTokenIds());
    }

    @Test
    void wrongKindsAreRefusedByKeyInEveryFamily() {
        String[][] llamaBad = {{"rms_norm_eps", "\"1e-5\""}, {"tie_word_embeddings", "\"yes\""}, {"hidden_size", "64.5"},
                {"num_key_value_heads", "\"2\""}, {"hidden_act", "3"}, {"eos_token_id", "[2, \"x\"]"}};
        for (String[] kv : llamaBad) {
            ObjectNode c = llama();
            c.set(kv[0], parse(kv[1]));
            SculptException e = assertThrows(SculptException.class, () -> LlamaConfig.fromJson(c), kv[0]);
            assertTrue(e.getMessage().contains(kv[0]), e.getMessage());
        }
        String[][] t5Bad = {{"layer_norm_epsilon", "\"1e-6\""}, {"tie_word_embeddings", "1"}, {"d_model", "\"wide\""},
                {"feed_forward_proj", "7"}};
        for (String[] kv : t5Bad) {
            ObjectNode c = JSON.createObjectNode().put("model_type", "t5").put("vocab_size", 100);
            c.set(kv[0], parse(kv[1]));
            SculptException e = assertThrows(SculptException.class, () -> T5Config.fromJson(c, "t5.json"), kv[0]);
            assertTrue(e.getMessage().contains(kv[0]) && e.getMessage().contains("t5.json"), e.getMessage());
        }
        assertThrows(SculptException.class, () -> new ConfigFields(JSON.createArrayNode(), "x"));
    }

    static com.fasterxml.jackson.databind.JsonNode parse(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }
}
