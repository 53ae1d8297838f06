package dev.sculpt.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link MemoryPlan} as {@code sculpt plan} prints it: a table of the components with the total and whether it
 * fits, or JSON {@code {"total_bytes", "fits", "components", ...}}. A run that does not fit prints the same table.
 */
public final class PlanTable {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<String, String> WHAT = Map.of(
            "weights", "fp32 weights; in bf16 mode the bf16 operand buffers of the products",
            "master_copy", "fp32 master weights (bf16 mode)",
            "gradients", "gradients, fp32",
            "adamw_state", "AdamW first and second moments, fp32",
            "bases", "OSFT U_h, V_h and fp32 invariant references U_h^T W0, W0 V_h",
            "activations", "saved activations, fp32 logits of the loss rows",
            "workspace", "step or decomposition scratch, arena block rounding, + 1 GiB CUDA runtime",
            "evaluation", "evaluation by generation: KV caches and decoding scratch of the longest prompt");

    private PlanTable() {}

    /** What a component holds, for tables and messages. */
    public static String what(String component) {
        return WHAT.getOrDefault(component, component);
    }

    public static String json(MemoryPlan plan) {
        ObjectNode root = JSON.createObjectNode();
        root.put("total_bytes", plan.totalBytes());
        root.put("fits", plan.fits());
        ObjectNode c = root.putObject("components");
        plan.components().forEach(c::put);
        root.put("rounding_bytes", plan.rounding());
        root.put("device_memory_bytes", plan.deviceMemory());
        root.put("parameters", plan.parameters());
        PlanOptions o = plan.options();
        ObjectNode s = root.putObject("settings");
        s.put("precision", o.precision().toString());
        s.put("basis_precision", o.basisPrecision().toString());
        s.put("method", o.osft() ? "osft" : "seqft");
        s.put("rank_ratio", o.rankRatio());
        s.put("micro_batch_tokens", o.microBatchTokens());
        s.put("loss_tokens", o.lossTokens());
        s.put("seq_len", o.sequenceLength());
        s.put("recompute", o.recompute());
        if (o.split() != null) {
            s.put("encoder_tokens", o.split().encoderTokens());
            s.put("encoder_seq_len", o.split().encoderSequenceLength());
            s.put("decoder_tokens", o.split().decoderTokens());
            s.put("decoder_seq_len", o.split().decoderSequenceLength());
        }
        if (o.evaluation() != null) {
            s.put("eval_prompt_tokens", o.evaluation().promptTokens());
            s.put("max_new_tokens", o.evaluation().newTokens());
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new SculptException("cannot write the plan as JSON: " + e.getMessage(), e);
        }
    }

    public static String text(MemoryPlan plan) {
        PlanOptions o = plan.options();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%,d parameters; %s products, %s bases, %s, rank ratio %s,"
                        + " %d tokens per micro-batch (sequences of %d), %d of them with a loss%s%n",
                plan.parameters(), o.precision(), o.basisPrecision(), o.osft() ? "osft" : "seqft", o.rankRatio(),
                o.microBatchTokens(), o.sequenceLength(), o.lossTokens(), o.recompute() ? ", recomputed activations" : ""));
        if (o.split() != null) {
            sb.append(String.format(Locale.ROOT, "encoder: %d tokens per micro-batch (sequences of %d); decoder: %d tokens (sequences of %d)%n",
                    o.split().encoderTokens(), o.split().encoderSequenceLength(), o.split().decoderTokens(), o.split().decoderSequenceLength()));
        }
        if (o.evaluation() != null) {
            sb.append(String.format(Locale.ROOT, "evaluation: prompts of at most %d tokens, %d new tokens%n",
                    o.evaluation().promptTokens(), o.evaluation().newTokens()));
        }
        sb.append(String.format(Locale.ROOT, "%-12s %20s %12s  %s%n", "component", "bytes", "", "what"));
        plan.components().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-12s %,20d %12s  %s%n", k, v, ByteSize.format(v), what(k))));
        sb.append(String.format(Locale.ROOT, "%-12s %20s %12s  (of which the arena's block rounding: %,d bytes)%n", "", "", "", plan.rounding()));
        sb.append(String.format(Locale.ROOT, "%-12s %,20d %12s%n", "total", plan.totalBytes(), ByteSize.format(plan.totalBytes())));
        sb.append(String.format(Locale.ROOT, "%-12s %,20d %12s%n", "device", plan.deviceMemory(), ByteSize.format(plan.deviceMemory())));
        long left = plan.deviceMemory() - plan.totalBytes();
        sb.append(plan.fits()
                ? String.format(Locale.ROOT, "fits: yes, %s to spare%n", ByteSize.format(left))
                : String.format(Locale.ROOT, "fits: no, %s short%n", ByteSize.format(-left)));
        return sb.toString();
    }
}
