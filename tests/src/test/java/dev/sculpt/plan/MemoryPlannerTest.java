package dev.sculpt.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.model.TrainingShape;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The planner against hand arithmetic for LLaMA-2-7B (hidden 4096, intermediate 11008, 32 layers, 32 heads, vocab
 * 32000, untied head, 4096 positions). Every expected figure below is written out from the architecture, not
 * from the planner's code.
 *
 * <p>What makes OSFT full fine-tuning of it fit one 141 GB H200 without offload: bf16 weights and gradients with
 * fp32 master weights and AdamW state, bf16 protected bases at rank ratio 0.5, and recomputed activations at 4096
 * tokens per micro-batch, all of them loss tokens (127.96 GiB of 131.32). fp32 throughout, keeping every
 * activation, or fp32 bases each break it.
 */
class MemoryPlannerTest {
    static final long H = 4096, I = 11008, L = 32, V = 32000, HEADS = 32, TOKENS = 4096, SEQ = 4096;
    static final long H200 = 141_000_000_000L;

    static TrainingShape llama2_7b() {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", H).put("intermediate_size", I).put("num_hidden_layers", L).put("num_attention_heads", HEADS)
                .put("num_key_value_heads", HEADS).put("vocab_size", V).put("max_position_embeddings", 4096)
                .put("rms_norm_eps", 1e-5).put("tie_word_embeddings", false);
        ModelConfig config = ModelConfig.of(c, "llama-2-7b config");
        return Models.familyFor(config).trainingShape(config);
    }

    static PlanOptions options(Precision p, Precision bases, boolean recompute) {
        return new PlanOptions(p, bases, true, 0.5, TOKENS, TOKENS, SEQ, recompute, 10);
    }

    @Test
    void llama2_7bMatchesHandArithmetic() {
        // parameters: embeddings and untied head 2 V H, final norm H, per layer 2 norms, q k v o (4 H^2), MLP 3 H I
        long params = 2 * V * H + H + L * (2 * H + 4 * H * H + 3 * H * I);
        assertEquals(6_738_415_616L, params);
        MemoryPlan plan = MemoryPlanner.plan(llama2_7b(), options(Precision.BF16, Precision.BF16, true), H200);
        assertEquals(params, plan.parameters());
        Map<String, Long> c = plan.components();
        assertEquals(2 * params, c.get("weights"));
        assertEquals(4 * params, c.get("master_copy"));
        assertEquals(2 * params, c.get("gradients"));
        assertEquals(8 * params, c.get("adamw_state"));
        // k = 2048 everywhere (min(m, n) = 4096); per layer (m + n): q k v o 4 x 8192, gate up down 3 x 15104;
        // U, V and the two references: 2 (m + n) k elements, 2 bytes each
        long k = 2048;
        long basisElements = 2 * L * (4 * (H + H) + 3 * (I + H)) * k;
        assertEquals(20_468_203_520L, 2 * basisElements);
        assertEquals(2 * basisElements, c.get("bases"));
        // recompute: every layer's input (H bf16 per token), one layer's saved activations other than its input
        // (3H + 2H + 2H + 3I bf16, 32 softmax rows of 4096 bf16, 2 fp32 rstd) per token, the final norm's input and
        // output (2H bf16) and rstd (fp32); the lm_head's scratch for the loss rows (here every token): fp32 logits,
        // the gathered rows and their gradient (2H bf16), fp32 loss and lse
        long perTokenLayer = 2 * (4 * H + 2 * H + 2 * H + 3 * I) + 2 * HEADS * SEQ + 2 * 4;
        long head = TOKENS * V * 4 + TOKENS * 2 * H * 2 + TOKENS * 2 * 4;
        long activations = L * TOKENS * H * 2 + TOKENS * (perTokenLayer - 2 * H) + TOKENS * (2 * 2 * H + 4) + head;
        assertEquals(3_311_484_928L, activations);
        assertEquals(activations, c.get("activations"));
        // workspace: the task start's batched decomposition of the 32 gate_proj (or up_proj) matrices, l = 2058,
        // sketch (I x l), projected (l x H), Gram (l x l), fp32; larger than the step's: one layer's activation
        // gradients, one fp32 update per distinct parameter shape ([V, H], [H], [H, H], [I, H], [H, I]), the
        // projection's and the invariant check's scratch (k H + I k + k k fp32 each)
        long l = k + 10;
        long sketch = 4 * L * I * l, projected = 4 * L * l * H, gram = 4 * L * l * l;
        long decomposition = sketch + projected + gram;
        long updates = 4 * (V * H + H + H * H + I * H + H * I);
        long step = TOKENS * perTokenLayer + updates + 2 * 4 * (k * H + I * k + k * k);
        assertEquals(2_845_884_416L, step);
        assertTrue(decomposition > step);
        // block rounding (DeviceBlocks: 2 MiB multiples above 8 MiB): every weight, gradient, moment, master copy,
        // update and activation buffer here is a multiple of 2 MiB or a power of two (e.g. [I, H] bf16 = 86 MiB,
        // a layer's softmax rows 1 GiB, an rstd 16 KiB). Not so: the bases' I x k bf16 tensors, 43 MiB, take 44
        // (U_h and W0 V_h of gate and up, V_h and U_h^T W0 of down: 2 per matrix, 96 matrices); and the three
        // batched decomposition buffers, all above 8 MiB, rounded up to 2 MiB multiples
        long mib = 1L << 20;
        assertEquals(43 * mib, I * k * 2);
        long basesRounding = 3 * L * 2 * mib;
        long decompositionRounding = toTwoMib(sketch) + toTwoMib(projected) + toTwoMib(gram);
        assertEquals(2674176, decompositionRounding);
        assertEquals(decomposition + decompositionRounding + basesRounding + (1L << 30), c.get("workspace"));
        assertEquals(basesRounding + decompositionRounding, plan.rounding());
        long total = 16 * params + 2 * basisElements + activations + decomposition + decompositionRounding + basesRounding + (1L << 30);
        assertEquals(total, plan.totalBytes());
        assertEquals(137_392_963_584L, total);   // 127.96 GiB
        assertTrue(plan.fits(), "bf16 + bf16 bases + recompute must fit a 141 GB H200: " + total);
        assertTrue(total < 0.98 * H200, "with 2% to spare");
    }

    /** What rounding {@code bytes} (above 8 MiB) up to a multiple of 2 MiB adds. */
    static long toTwoMib(long bytes) {
        long step = 2L << 20;
        assertTrue(bytes > 8L << 20);
        return (bytes + step - 1) / step * step - bytes;
    }

    @Test
    void theChoicesThatMakeItFitAreEachNeeded() {
        TrainingShape s = llama2_7b();
        assertFalse(MemoryPlanner.plan(s, options(Precision.FP32, Precision.FP32, true), H200).fits(), "fp32 throughout");
        assertFalse(MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, false), H200).fits(), "every activation kept");
        assertFalse(MemoryPlanner.plan(s, options(Precision.BF16, Precision.FP32, true), H200).fits(), "fp32 bases");
        assertTrue(MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, true), H200).fits());
    }

    @Test
    void seqftKeepsNoBasesAndNoDecompositionWorkspace() {
        TrainingShape s = llama2_7b();
        PlanOptions o = new PlanOptions(Precision.BF16, Precision.BF16, false, 0.5, TOKENS, TOKENS, SEQ, true, 10);
        MemoryPlan plan = MemoryPlanner.plan(s, o, H200);
        assertEquals(0L, plan.components().get("bases"));
        // the step's workspace alone: one layer's activation gradients and an fp32 update per distinct parameter
        // shape; no projection, and nothing to round (see above) but the scalar sums
        long perTokenLayer = 2 * (8 * H + 3 * I) + 2 * HEADS * SEQ + 8;
        // plus the step's two device-side scalar sums (loss, gradient sum of squares): 1 slot and 64 partials, doubles,
        // 520 bytes each in a 640-byte block (DeviceBlocks)
        long step = TOKENS * perTokenLayer + 4 * (V * H + H + H * H + I * H + H * I) + 2 * 520;
        assertEquals(step + 2 * 120 + (1L << 30), plan.components().get("workspace"));
        assertEquals(2 * 120L, plan.rounding());
    }

    @Test
    void sizesParseInDecimalAndBinaryUnitsAndBadOnesAreRefused() {
        assertEquals(141_000_000_000L, ByteSize.parse("--device-memory", "141G"));
        assertEquals(141_000_000_000L, ByteSize.parse("--device-memory", "141GB"));
        assertEquals(80L << 30, ByteSize.parse("--device-memory", "80GiB"));
        assertEquals(80L << 30, ByteSize.parse("--device-memory", "80Gi"));
        assertEquals(1_500_000_000_000L, ByteSize.parse("--device-memory", "1.5T"));
        assertEquals(24_000L, ByteSize.parse("--device-memory", "24000"));
        for (String bad : new String[] {"", "abc", "-5G", "12X", "1iB", "0"}) {
            SculptException e = assertThrows(SculptException.class, () -> ByteSize.parse("--device-memory", bad), bad);
            assertTrue(e.getMessage().contains("--device-memory"), e.getMessage());
        }
        assertThrows(SculptException.class, () -> Precision.parse("--precision", "fp16"));
        assertThrows(SculptException.class, () -> new PlanOptions(Precision.BF16, Precision.BF16, true, 1.5, 10, 10, 10, false, 10));
        assertThrows(SculptException.class, () -> new PlanOptions(Precision.BF16, Precision.BF16, true, 0.5, 10, 10, 20, false, 10));
    }
}
