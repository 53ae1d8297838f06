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
import dev.sculpt.ops.Bf16ProjectionScratch;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The planner against hand arithmetic for LLaMA-2-7B (hidden 4096, intermediate 11008, 32 layers, 32 heads, vocab
 * 32000, untied head, 4096 positions). Every expected figure below is written out from the architecture and from what
 * the runtime stores, not from the planner's code.
 *
 * <p>What the runtime stores, in either precision: fp32 weights (in bf16 mode they are the master weights, and the
 * products read bf16 operand buffers rounded just before each product), fp32 gradients, fp32 AdamW moments (16 bytes
 * per parameter in all: 107.8 GB of the 141), fp32 saved activations, and per OSFT target U_h and V_h in the basis
 * precision beside the fp32 invariant references U_h^T W0 and W0 V_h.
 *
 * <p>What makes OSFT full fine-tuning of it fit one 141 GB H200 without offload: bf16 protected bases, recomputed
 * activations, micro-batches of one 2048-token sequence, and a preserved rank ratio of 0.35 (k = 1434 of 4096):
 * 137.40 GB, 97.4% of the device. Each of these is needed: fp32 bases, keeping every activation, a ratio of 0.5
 * (146.9 GB: the bases alone take 30.7 GB there, two thirds of it the fp32 references) or 4096-token micro-batches at
 * 0.35 (142.4 GB) do not fit. bf16 products are not among the choices: they change what the products read, not what is
 * stored, and cost 0.18 GB more than fp32 products here (the three bf16 operand buffers).
 */
class MemoryPlannerTest {
    static final long H = 4096, I = 11008, L = 32, V = 32000, HEADS = 32, TOKENS = 2048, SEQ = 2048;
    static final double RATIO = 0.35;
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
        return options(p, bases, recompute, RATIO, TOKENS);
    }

    static PlanOptions options(Precision p, Precision bases, boolean recompute, double ratio, long tokens) {
        return new PlanOptions(p, bases, true, ratio, tokens, tokens, tokens, recompute, 10);
    }

    @Test
    void llama2_7bMatchesHandArithmetic() {
        // parameters: embeddings and untied head 2 V H, final norm H, per layer 2 norms, q k v o (4 H^2), MLP 3 H I
        long params = 2 * V * H + H + L * (2 * H + 4 * H * H + 3 * H * I);
        assertEquals(6_738_415_616L, params);
        TrainingShape shape = llama2_7b();
        MemoryPlan plan = MemoryPlanner.plan(shape, options(Precision.BF16, Precision.BF16, true), H200);
        assertEquals(params, plan.parameters());
        Map<String, Long> c = plan.components();
        // bf16 operand buffers: the largest target weight (I x H), T rows of the widest input (I, down_proj) and of
        // the widest output (I, gate and up), 2 bytes each
        assertEquals(2 * I * H + 2 * TOKENS * I + 2 * TOKENS * I, c.get("weights"));
        assertEquals(4 * params, c.get("master_copy"));
        assertEquals(4 * params, c.get("gradients"));
        assertEquals(8 * params, c.get("adamw_state"));
        // k = round(0.35 x 4096) = 1434 everywhere (min(m, n) = 4096); per layer (m + n): q k v o 4 x 8192, gate up
        // down 3 x 15104; U_h and V_h (m + n) k elements of 2 bytes, the references U_h^T W0 and W0 V_h as many of 4
        long k = 1434;
        long perBasis = L * (4 * (H + H) + 3 * (I + H)) * k;
        assertEquals(3_582_935_040L, perBasis);
        assertEquals(6 * perBasis, c.get("bases"));
        // recompute: every layer's input (H fp32 per token), one layer's saved activations other than its input
        // (3H + 2H + 2H + 3I fp32, 32 softmax rows of 2048 fp32, 2 fp32 rstd) per token, the final norm's input and
        // output (2H fp32) and rstd (fp32); the lm_head's scratch for the loss rows (here every token): fp32 logits,
        // the gathered rows and their gradient (2H fp32), fp32 loss and lse
        long perTokenLayer = 4 * (4 * H + 2 * H + 2 * H + 3 * I) + 4 * HEADS * SEQ + 2 * 4;
        long head = TOKENS * V * 4 + TOKENS * 2 * H * 4 + TOKENS * 2 * 4;
        long activations = L * TOKENS * H * 4 + TOKENS * (perTokenLayer - 4 * H) + TOKENS * (2 * 4 * H + 4) + head;
        assertEquals(2_512_429_056L, activations);
        assertEquals(activations, c.get("activations"));
        // workspace: the task start's largest decomposition batch, larger than the step's (one layer's activation
        // gradients, one fp32 update per distinct parameter shape ([V, H], [H], [H, H], [I, H], [H, I]), the
        // invariant check's scratch (k H + I k + k k fp32), the projection's on bf16 operands for the largest target
        // (the update in bf16, 2 I H bytes, and u^T d, d v, u^T d v in fp32 and bf16, 6 (k H + I k + k k) bytes, each
        // of the seven regions rounded up to 256 bytes: only the two k x k ones are not multiples already). The batch: 8 of the 128 H x H q/k/v/o matrices (2^27 input elements,
        // DecompositionChunks; 2 of the I x H ones would be 1.3 GB), l = k + 10 = 1444, r = c = H, per matrix in fp32
        // the batch copy H^2, U, V and the second CholeskyQR2's panel copy H k each, S and the top values k each,
        // Omega, Y, Z and the first CholeskyQR2's panel copy 4 H l, the small eigenvectors l k, R's l^2 and k^2; in
        // doubles the Gram of B^T and the first CholeskyQR2's Gram l^2 each, syevd's values l, the second Gram k^2;
        // two flags; once, cuSOLVER syevd's and potrf's buffers, 1 + 6 l + 2 l^2 doubles each
        long l = k + 10, batch = 8;
        long decomposition = batch * (4 * (H * H + 3 * H * k + 2 * k + 4 * H * l + l * k + l * l + k * k) + 8 * (2 * l * l + l + k * k) + 2 * 4)
                + 2 * 8 * (1 + 6 * l + 2 * l * l);
        assertEquals(2_522_155_984L, decomposition);
        assertEquals(decomposition, MemoryPlanner.taskStartBytes(batch, H, H, k, 10)[0]);
        long updates = 4 * (V * H + H + H * H + I * H + H * I);
        long bf16Projection = 2 * I * H + 6 * (k * H + I * k) + (4 * k * k + 255) / 256 * 256 + (2 * k * k + 255) / 256 * 256;
        assertEquals(232_470_784L, bf16Projection);
        assertEquals(bf16Projection, Bf16ProjectionScratch.bytes(I, H, k));
        long step = TOKENS * perTokenLayer + updates + 4 * (k * H + I * k + k * k) + bf16Projection;
        assertEquals(2_355_311_504L, step);
        assertTrue(decomposition > step);
        assertEquals(decomposition + plan.rounding() + (1L << 30), c.get("workspace"));
        // block rounding (DeviceBlocks): under 2 MiB for each buffer above 8 MiB and under a quarter of each smaller
        // one. Above 8 MiB: per layer 9 parameter tensors x 4 (value, gradient, two moments), 7 targets x 4 basis
        // tensors, 7 saved-activation widths, the softmax rows; outside the layers 2 x 4 for the embedding and head,
        // the bf16 buffers (3), the final norm (2) and the head's scratch (3), the recomputed layers' inputs (32), the
        // 21 decomposition batch buffers (an upper count: some are small). Below 8 MiB: the rstd buffers (2 per layer and 1 final, 8 KiB, a power of two:
        // no rounding) and the norm weights' 16 KiB tensors (a power of two too)
        long large = L * (9 * 4 + 7 * 4 + 7 + 1) + 2 * 4 + 3 + 2 + 3 + L + 21;
        assertTrue(plan.rounding() >= 0 && plan.rounding() < large * (2L << 20), "rounding " + plan.rounding());
        long total = 16 * params + 6 * perBasis + activations + c.get("weights") + decomposition + plan.rounding() + (1L << 30);
        assertEquals(total, plan.totalBytes());
        assertTrue(plan.fits(), "bf16 bases + recompute + ratio 0.35 + 2048-token micro-batches must fit a 141 GB H200: " + total);
        assertTrue(total < 0.98 * H200, "with 2% to spare: " + total);
    }

    @Test
    void theChoicesThatMakeItFitAreEachNeeded() {
        TrainingShape s = llama2_7b();
        assertTrue(MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, true), H200).fits());
        assertTrue(MemoryPlanner.plan(s, options(Precision.FP32, Precision.BF16, true), H200).fits(), "fp32 products fit too");
        assertFalse(MemoryPlanner.plan(s, options(Precision.BF16, Precision.FP32, true), H200).fits(), "fp32 bases");
        assertFalse(MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, false), H200).fits(), "every activation kept");
        assertFalse(MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, true, 0.5, TOKENS), H200).fits(), "ratio 0.5");
        assertFalse(MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, true, RATIO, 4096), H200).fits(), "4096 tokens");
        long bf16 = MemoryPlanner.plan(s, options(Precision.BF16, Precision.BF16, true), H200).totalBytes();
        long fp32 = MemoryPlanner.plan(s, options(Precision.FP32, Precision.BF16, true), H200).totalBytes();
        // bf16 products: the operand buffers (2 I H + 4 T I bytes) in place of nothing, weights P x 4 either way
        assertTrue(bf16 > fp32 && bf16 - fp32 < 2 * I * H + 4 * TOKENS * I + 3 * (2L << 20), bf16 + " vs " + fp32);
    }

    @Test
    void seqftKeepsNoBasesAndNoDecompositionWorkspace() {
        TrainingShape s = llama2_7b();
        PlanOptions o = new PlanOptions(Precision.FP32, Precision.BF16, false, 0.5, 4096, 4096, 4096, true, 10);
        MemoryPlan plan = MemoryPlanner.plan(s, o, H200);
        assertEquals(0L, plan.components().get("bases"));
        // the step's workspace alone: one layer's activation gradients and an fp32 update per distinct parameter
        // shape; no projection, and nothing to round but the scalar sums: at 4096 tokens every other buffer is a
        // multiple of 2 MiB (e.g. a layer's softmax rows 2 GiB, [I, H] fp32 172 MiB) or a power of two (an rstd 16 KiB)
        long perTokenLayer = 4 * (8 * H + 3 * I) + 4 * HEADS * 4096 + 8;
        // plus the step's two device-side scalar sums (loss, gradient sum of squares): 1 slot and 64 partials, doubles,
        // 520 bytes each in a 640-byte block (DeviceBlocks)
        long step = 4096 * perTokenLayer + 4 * (V * H + H + H * H + I * H + H * I) + 2 * 520;
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
