package dev.sculpt.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sculpt plan} from outside: a bare config.json, a model directory, the JSON contract, bad input. */
class PlanCommandTest {
    @TempDir Path tmp;

    static CliRun sculpt(String... args) {
        return CliRun.of(args);
    }

    Path config7b() throws Exception {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":4096,"
                + "\"intermediate_size\":11008,\"num_hidden_layers\":32,\"num_attention_heads\":32,\"num_key_value_heads\":32,"
                + "\"vocab_size\":32000,\"max_position_embeddings\":4096,\"rms_norm_eps\":1e-05,\"tie_word_embeddings\":false}");
        return f;
    }

    @Test
    void bareConfigJsonGivesTheJsonContract() throws Exception {
        Path f = config7b();
        byte[] before = Files.readAllBytes(f);
        CliRun r = sculpt("plan", "--model", f.toString(), "--device-memory", "141G", "--precision", "bf16", "--basis-precision", "bf16",
                "--method", "osft", "--rank-ratio", "0.35", "--micro-batch-tokens", "2048", "--recompute", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("fits").asBoolean());
        long sum = 0;
        for (String k : List.of("weights", "master_copy", "gradients", "adamw_state", "bases", "activations", "workspace")) {
            assertTrue(j.get("components").has(k), k);
            sum += j.get("components").get(k).asLong();
        }
        assertEquals(sum, j.get("total_bytes").asLong());
        assertEquals(MemoryPlanner.plan(MemoryPlannerTest.llama2_7b(),
                MemoryPlannerTest.options(Precision.BF16, Precision.BF16, true), 141_000_000_000L).totalBytes(), sum);
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(f)), "the input is never modified");

        CliRun fp32 = sculpt("plan", "--model", f.toString(), "--device-memory", "141G", "--json");
        assertEquals(0, fp32.code(), fp32.err());
        assertFalse(new ObjectMapper().readTree(fp32.out()).get("fits").asBoolean());
        CliRun text = sculpt("plan", "--model", f.toString(), "--device-memory", "141G", "--precision", "bf16", "--recompute",
                "--rank-ratio", "0.35", "--micro-batch-tokens", "2048");
        assertTrue(text.out().contains("fits: yes") && text.out().contains("adamw_state") && text.out().contains("total"), text.out());
    }

    @Test
    void lossTokensSizeTheLogitsAndDefaultToTheWholeMicroBatch() throws Exception {
        Path f = config7b();
        String[] common = {"plan", "--model", f.toString(), "--device-memory", "141G", "--precision", "bf16", "--recompute", "--json"};
        JsonNode all = json(sculpt(common));
        assertEquals(4096, all.get("settings").get("loss_tokens").asLong(), "the default is every token of the micro-batch");
        String[] some = java.util.Arrays.copyOf(common, common.length + 2);
        some[common.length] = "--loss-tokens";
        some[common.length + 1] = "512";
        JsonNode fewer = json(sculpt(some));
        // per loss row: fp32 logits over 32000 words, the gathered row and its gradient (2 x 4096 fp32), fp32 loss and lse
        long perRow = 32000 * 4 + 2 * 4096 * 4 + 2 * 4;
        assertEquals((4096 - 512) * perRow, all.get("components").get("activations").asLong() - fewer.get("components").get("activations").asLong());
        some[common.length + 1] = "5000";
        CliRun r = sculpt(some);
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--loss-tokens") && r.err().contains("5000"), r.err());
    }

    private static JsonNode json(CliRun r) throws Exception {
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void aModelDirectoryPlansToo() throws Exception {
        Path model = tmp.resolve("tiny");
        assertEquals(0, sculpt("init", "--arch", "llama", "--size", "tiny", "--out", model.toString()).code());
        CliRun r = sculpt("plan", "--model", model.toString(), "--device-memory", "24GiB", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("fits").asBoolean());
        assertEquals(4 * j.get("parameters").asLong(), j.get("components").get("weights").asLong());
    }

    @Test
    void badInputIsRefusedNamingTheCulprit() throws Exception {
        Path f = config7b();
        CliRun r = sculpt("plan", "--model", f.toString(), "--device-memory", "lots");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--device-memory") && r.err().contains("lots"), r.err());
        r = sculpt("plan", "--model", f.toString(), "--device-memory", "141G", "--precision", "fp16");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--precision") && r.err().contains("fp16"), r.err());
        r = sculpt("plan", "--model", tmp.resolve("nowhere").toString(), "--device-memory", "141G");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nowhere"), r.err());
        Path gpt = tmp.resolve("gpt2.json");
        Files.writeString(gpt, "{\"architectures\":[\"GPT2LMHeadModel\"],\"model_type\":\"gpt2\"}");
        r = sculpt("plan", "--model", gpt.toString(), "--device-memory", "141G");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("gpt2"), r.err());
        r = sculpt("plan", "--model", f.toString(), "--device-memory", "141G", "--rank-ratio", "2");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--rank-ratio"), r.err());
    }
}
