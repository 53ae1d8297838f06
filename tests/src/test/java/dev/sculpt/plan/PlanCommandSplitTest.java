package dev.sculpt.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.t5.T5Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sculpt plan}'s encoder-decoder flags ({@code --encoder-tokens}, {@code --encoder-seq-len},
 * {@code --decoder-tokens}, {@code --decoder-seq-len}) and its evaluation flags ({@code --eval-prompt-tokens} with
 * {@code --max-new-tokens}): the JSON contract unchanged, the plan the planner's for the split given, the defaults
 * today's, and bad input refused naming the flag.
 */
class PlanCommandSplitTest {
    @TempDir Path tmp;

    static final T5Config T5_SMALL = T5Config.preset("small", 32128, 0, 1);

    Path t5Small() throws Exception {
        Path f = tmp.resolve("t5-config.json");
        Files.writeString(f, T5_SMALL.toJson().toString());
        return f;
    }

    /** PlanCommandTest's LLaMA-2-7B config.json (MemoryPlannerTest.llama2_7b). */
    Path llama2_7b() throws Exception {
        Path f = tmp.resolve("llama-config.json");
        Files.writeString(f, "{\"architectures\":[\"LlamaForCausalLM\"],\"model_type\":\"llama\",\"hidden_size\":4096,"
                + "\"intermediate_size\":11008,\"num_hidden_layers\":32,\"num_attention_heads\":32,\"num_key_value_heads\":32,"
                + "\"vocab_size\":32000,\"max_position_embeddings\":4096,\"rms_norm_eps\":1e-05,\"tie_word_embeddings\":false}");
        return f;
    }

    static JsonNode json(CliRun r) throws Exception {
        assertEquals(0, r.code(), r.out() + r.err());
        return new ObjectMapper().readTree(r.out());
    }

    static long sum(JsonNode j) {
        long s = 0;
        for (Iterator<JsonNode> it = j.get("components").elements(); it.hasNext(); ) s += it.next().asLong();
        return s;
    }

    @Test
    void t5SplitIsPlannedPerStack() throws Exception {
        Path f = t5Small();
        TrainingShape shape = T5PlanShapeTest.shapeOf(T5_SMALL);
        JsonNode split = json(CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--micro-batch-tokens", "2048",
                "--seq-len", "512", "--encoder-tokens", "2048", "--encoder-seq-len", "512", "--decoder-tokens", "256", "--decoder-seq-len", "64",
                "--json"));
        for (String k : List.of("total_bytes", "fits", "components")) assertTrue(split.has(k), k);
        for (String k : List.of("weights", "master_copy", "gradients", "adamw_state", "bases", "activations", "workspace")) {
            assertTrue(split.get("components").has(k), k);
        }
        assertFalse(split.get("components").has("evaluation"), "no evaluation unless asked for");
        assertEquals(sum(split), split.get("total_bytes").asLong());
        PlanOptions o = new PlanOptions(Precision.FP32, Precision.FP32, true, 0.5, 2048, 2048, 512, false, 10,
                new PlanOptions.EncoderDecoderTokens(2048, 512, 256, 64));
        assertEquals(MemoryPlanner.plan(shape, o, 80L << 30).totalBytes(), split.get("total_bytes").asLong());
        assertEquals(256, split.get("settings").get("decoder_tokens").asLong());
        assertEquals(64, split.get("settings").get("decoder_seq_len").asLong());

        // without the flags: today's plan, both sides the whole micro-batch in sequences of --seq-len
        JsonNode upper = json(CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--micro-batch-tokens", "2048",
                "--seq-len", "512", "--json"));
        PlanOptions none = new PlanOptions(Precision.FP32, Precision.FP32, true, 0.5, 2048, 2048, 512, false, 10);
        assertEquals(MemoryPlanner.plan(shape, none, 80L << 30).totalBytes(), upper.get("total_bytes").asLong());
        assertFalse(upper.get("settings").has("encoder_tokens"));
        // a shorter decoder side can only shrink the activations and the workspace
        assertTrue(split.get("components").get("activations").asLong() < upper.get("components").get("activations").asLong());

        // one side given: the other defaults to the whole micro-batch, each sequence to min(--seq-len, that side's tokens)
        JsonNode dec = json(CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--micro-batch-tokens", "2048",
                "--seq-len", "512", "--decoder-tokens", "256", "--json"));
        assertEquals(2048, dec.get("settings").get("encoder_tokens").asLong());
        assertEquals(512, dec.get("settings").get("encoder_seq_len").asLong());
        assertEquals(256, dec.get("settings").get("decoder_seq_len").asLong());
        PlanOptions decOnly = new PlanOptions(Precision.FP32, Precision.FP32, true, 0.5, 2048, 2048, 512, false, 10,
                new PlanOptions.EncoderDecoderTokens(2048, 512, 256, 256));
        assertEquals(MemoryPlanner.plan(shape, decOnly, 80L << 30).totalBytes(), dec.get("total_bytes").asLong());

        CliRun text = CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--decoder-tokens", "256");
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("decoder: 256 tokens"), text.out());
    }

    @Test
    void decoderOnlyModelsRefuseTheSplit() throws Exception {
        Path f = llama2_7b();
        for (String flag : List.of("--encoder-tokens", "--encoder-seq-len", "--decoder-tokens", "--decoder-seq-len")) {
            CliRun r = CliRun.of("plan", "--model", f.toString(), "--device-memory", "141G", flag, "512");
            assertEquals(2, r.code(), r.out());
            assertTrue(r.err().contains(flag) && r.err().contains("decoder-only"), r.err());
        }
    }

    @Test
    void badSplitsAreRefusedNamingTheFlag() throws Exception {
        Path f = t5Small();
        CliRun longer = CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--encoder-tokens", "256", "--encoder-seq-len", "512");
        assertEquals(2, longer.code());
        assertTrue(longer.err().contains("--encoder-seq-len 512") && longer.err().contains("--encoder-tokens"), longer.err());
        CliRun zero = CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--decoder-tokens", "0");
        assertEquals(2, zero.code());
        assertTrue(zero.err().contains("--decoder-tokens must be >= 1"), zero.err());
        CliRun half = CliRun.of("plan", "--model", f.toString(), "--device-memory", "80GiB", "--eval-prompt-tokens", "100");
        assertEquals(2, half.code());
        assertTrue(half.err().contains("--max-new-tokens"), half.err());
    }

    @Test
    void evaluationFlagsAddTheEvaluationComponent() throws Exception {
        Path f = llama2_7b();
        JsonNode j = json(CliRun.of("plan", "--model", f.toString(), "--device-memory", "141G", "--precision", "bf16", "--recompute",
                "--rank-ratio", "0.35", "--micro-batch-tokens", "2048", "--eval-prompt-tokens", "300", "--max-new-tokens", "32", "--json"));
        // EvaluationPlanTest's hand arithmetic for this model, prompt and new tokens
        assertEquals(436_225_792L, j.get("components").get("evaluation").asLong());
        assertEquals(sum(j), j.get("total_bytes").asLong());
        assertEquals(300, j.get("settings").get("eval_prompt_tokens").asLong());
    }
}
