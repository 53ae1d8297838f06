package dev.sculpt.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.plan.ByteSize;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.MemoryPlanner;
import dev.sculpt.plan.PlanOptions;
import dev.sculpt.plan.Precision;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sculpt plan}: the device memory that full fine-tuning of a model needs, by component, and whether it fits.
 * Reads only config.json, so a 7B plan needs no 7B download. The arithmetic is {@link MemoryPlanner}'s.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Print the device memory full fine-tuning needs (weights, master copy, gradients, AdamW state, bases,"
                + " activations, workspace), the total, and whether it fits.")
final class PlanCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Map<String, String> WHAT = Map.of(
            "weights", "model weights",
            "master_copy", "fp32 master weights (bf16 mode)",
            "gradients", "gradients, in the weights' precision",
            "adamw_state", "AdamW first and second moments, fp32",
            "bases", "OSFT U_h, V_h and invariant references U_h^T W0, W0 V_h",
            "activations", "saved activations and fp32 logits",
            "workspace", "step or decomposition scratch, + 1 GiB CUDA runtime");

    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|config.json",
            description = "model directory, or a bare config.json (no weights needed)") Path model;
    @Option(names = "--device-memory", required = true, paramLabel = "SIZE",
            description = "memory of the device: 141G = 141 x 10^9 bytes, 80GiB = 80 x 2^30 bytes, or plain bytes") String deviceMemory;
    @Option(names = "--precision", defaultValue = "fp32",
            description = "weights and activations: fp32, or bf16 with fp32 master weights (default: ${DEFAULT-VALUE})") String precision;
    @Option(names = "--basis-precision",
            description = "OSFT bases: fp32 or bf16 (default: the --precision)") String basisPrecision;
    @Option(names = "--method", defaultValue = "osft", description = "osft (keeps protected bases) or seqft (default: ${DEFAULT-VALUE})") String method;
    @Option(names = "--rank-ratio", defaultValue = "0.5",
            description = "OSFT preserved rank, a share of min(m, n) of every target in [0, 1] (default: ${DEFAULT-VALUE})") double rankRatio;
    @Option(names = "--micro-batch-tokens", defaultValue = "4096",
            description = "tokens per micro-batch, sequences x sequence length (default: ${DEFAULT-VALUE})") long microBatchTokens;
    @Option(names = "--seq-len",
            description = "tokens per sequence (default: the smaller of --micro-batch-tokens and max_position_embeddings)") Long seqLen;
    @Option(names = "--recompute", description = "recompute activations in the backward pass: keep only each layer's input") boolean recompute;
    @Option(names = "--json", description = "print {\"total_bytes\", \"fits\", \"components\"} as JSON") boolean json;

    @Override
    public Integer call() throws Exception {
        long memory = ByteSize.parse("--device-memory", deviceMemory);
        Precision p = Precision.parse("--precision", precision);
        Precision bp = basisPrecision == null ? p : Precision.parse("--basis-precision", basisPrecision);
        boolean osft = switch (method.toLowerCase(Locale.ROOT)) {
            case "osft" -> true;
            case "seqft" -> false;
            default -> throw new SculptException("--method must be osft or seqft for a plan, got '" + method + "'");
        };
        ModelConfig config = ModelConfig.readFileOrDirectory(model);
        TrainingShape shape = Models.familyFor(config).trainingShape(config);
        long maxPositions = config.contextLength().orElse(Integer.MAX_VALUE);
        long seq = seqLen != null ? seqLen : Math.min(microBatchTokens, maxPositions);
        PlanOptions options = new PlanOptions(p, bp, osft, rankRatio, microBatchTokens, seq, recompute, SvdOptions.DEFAULT_OVERSAMPLE);
        MemoryPlan plan = MemoryPlanner.plan(shape, options, memory);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? json(plan) : table(plan));
        out.flush();
        return 0;
    }

    static String json(MemoryPlan plan) throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.put("total_bytes", plan.totalBytes());
        root.put("fits", plan.fits());
        ObjectNode c = root.putObject("components");
        plan.components().forEach(c::put);
        root.put("device_memory_bytes", plan.deviceMemory());
        root.put("parameters", plan.parameters());
        PlanOptions o = plan.options();
        ObjectNode s = root.putObject("settings");
        s.put("precision", o.precision().toString());
        s.put("basis_precision", o.basisPrecision().toString());
        s.put("method", o.osft() ? "osft" : "seqft");
        s.put("rank_ratio", o.rankRatio());
        s.put("micro_batch_tokens", o.microBatchTokens());
        s.put("seq_len", o.sequenceLength());
        s.put("recompute", o.recompute());
        return JSON.writeValueAsString(root) + "\n";
    }

    static String table(MemoryPlan plan) {
        PlanOptions o = plan.options();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%,d parameters; %s weights and activations, %s bases, %s, rank ratio %s,"
                        + " %d tokens per micro-batch (sequences of %d)%s%n",
                plan.parameters(), o.precision(), o.basisPrecision(), o.osft() ? "osft" : "seqft", o.rankRatio(),
                o.microBatchTokens(), o.sequenceLength(), o.recompute() ? ", recomputed activations" : ""));
        sb.append(String.format(Locale.ROOT, "%-12s %20s %12s  %s%n", "component", "bytes", "", "what"));
        plan.components().forEach((k, v) -> sb.append(String.format(Locale.ROOT, "%-12s %,20d %12s  %s%n", k, v, ByteSize.format(v), WHAT.get(k))));
        sb.append(String.format(Locale.ROOT, "%-12s %,20d %12s%n", "total", plan.totalBytes(), ByteSize.format(plan.totalBytes())));
        sb.append(String.format(Locale.ROOT, "%-12s %,20d %12s%n", "device", plan.deviceMemory(), ByteSize.format(plan.deviceMemory())));
        long left = plan.deviceMemory() - plan.totalBytes();
        sb.append(plan.fits()
                ? String.format(Locale.ROOT, "fits: yes, %s to spare%n", ByteSize.format(left))
                : String.format(Locale.ROOT, "fits: no, %s short%n", ByteSize.format(-left)));
        return sb.toString();
    }
}
