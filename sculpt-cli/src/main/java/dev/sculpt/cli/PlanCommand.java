package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.plan.ByteSize;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.MemoryPlanner;
import dev.sculpt.plan.PlanOptions;
import dev.sculpt.plan.PlanTable;
import dev.sculpt.plan.Precision;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code sculpt plan}: the device memory that full fine-tuning of a model needs, by component, and whether it fits.
 * Reads only config.json, so a 7B plan needs no 7B download. The arithmetic is {@link MemoryPlanner}'s. An
 * encoder-decoder model (T5) can be given its encoder and decoder sides ({@code --encoder-tokens}, {@code
 * --encoder-seq-len}, {@code --decoder-tokens}, {@code --decoder-seq-len}); without them both sides are planned as
 * the whole micro-batch (an upper bound). {@code --eval-prompt-tokens} with {@code --max-new-tokens} adds the
 * evaluation component that {@code sculpt evolve} plans.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Print the device memory full fine-tuning needs (weights, master copy, gradients, AdamW state, bases,"
                + " activations, workspace), the total, and whether it fits.")
final class PlanCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|config.json",
            description = "model directory, or a bare config.json (no weights needed)") Path model;
    @Option(names = "--device-memory", required = true, paramLabel = "SIZE",
            description = "memory of the device: 141G = 141 x 10^9 bytes, 80GiB = 80 x 2^30 bytes, or plain bytes") String deviceMemory;
    @Option(names = "--precision", defaultValue = "fp32",
            description = "the products' operands, as continual and evolve take it: fp32, or bf16 (operand buffers rounded from the fp32"
                    + " master weights; weights, gradients and activations are stored in fp32 either way) (default: ${DEFAULT-VALUE})") String precision;
    @Option(names = "--basis-precision",
            description = "OSFT bases: fp32 or bf16 (default: the --precision)") String basisPrecision;
    @Option(names = "--method", defaultValue = "osft", description = "osft (keeps protected bases) or seqft (default: ${DEFAULT-VALUE})") String method;
    @Option(names = "--rank-ratio", defaultValue = "0.5",
            description = "OSFT preserved rank, a share of min(m, n) of every target in [0, 1] (default: ${DEFAULT-VALUE})") double rankRatio;
    @Option(names = "--micro-batch-tokens", defaultValue = "4096",
            description = "tokens per micro-batch, sequences x sequence length (default: ${DEFAULT-VALUE})") long microBatchTokens;
    @Option(names = "--loss-tokens", paramLabel = "N",
            description = "tokens per micro-batch that carry a loss: the lm_head and the loss run on these rows only"
                    + " (default: all --micro-batch-tokens, the upper bound)") Long lossTokens;
    @Option(names = "--seq-len",
            description = "tokens per sequence (default: the smaller of --micro-batch-tokens and max_position_embeddings)") Long seqLen;
    @Option(names = "--recompute", description = "recompute activations in the backward pass: keep only each layer's input") boolean recompute;
    @Option(names = "--encoder-tokens", paramLabel = "N",
            description = "encoder-decoder models (t5) only: encoder tokens per micro-batch, what the encoder blocks run on"
                    + " (default: --micro-batch-tokens)") Long encoderTokens;
    @Option(names = "--encoder-seq-len", paramLabel = "S",
            description = "encoder-decoder models only: tokens of the longest encoder sequence (default: the smaller of --seq-len's value"
                    + " and the encoder tokens)") Long encoderSeqLen;
    @Option(names = "--decoder-tokens", paramLabel = "N",
            description = "encoder-decoder models only: decoder tokens per micro-batch, what the decoder blocks run on"
                    + " (default: --micro-batch-tokens)") Long decoderTokens;
    @Option(names = "--decoder-seq-len", paramLabel = "S",
            description = "encoder-decoder models only: tokens of the longest decoder sequence (default: the smaller of --seq-len's value"
                    + " and the decoder tokens)") Long decoderSeqLen;
    @Option(names = "--eval-prompt-tokens", paramLabel = "P",
            description = "add evaluation by generation (component \"evaluation\"): prompts of at most P tokens; needs --max-new-tokens"
                    + " (default: no evaluation planned)") Long evalPromptTokens;
    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "with --eval-prompt-tokens: tokens generated after each prompt (default: none, no evaluation planned)") Long maxNewTokens;
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
        long loss = lossTokens != null ? lossTokens : microBatchTokens;
        PlanOptions options = new PlanOptions(p, bp, osft, rankRatio, microBatchTokens, loss, seq, recompute, SvdOptions.DEFAULT_OVERSAMPLE,
                split(shape, config, seq), evaluation());
        MemoryPlan plan = MemoryPlanner.plan(shape, options, memory);
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? PlanTable.json(plan) : PlanTable.text(plan));
        out.flush();
        return 0;
    }

    /**
     * The encoder-decoder split of the flags: null when none is given (the planner then takes both sides as
     * --micro-batch-tokens in sequences of --seq-len, as before the flags); each side's tokens default to
     * --micro-batch-tokens and its longest sequence to the smaller of the sequence length and that side's tokens.
     * Refused for a decoder-only model, which has no encoder.
     */
    private PlanOptions.EncoderDecoderTokens split(TrainingShape shape, ModelConfig config, long seq) {
        if (encoderTokens == null && encoderSeqLen == null && decoderTokens == null && decoderSeqLen == null) return null;
        if (shape.encoder() == null) {
            String flag = encoderTokens != null ? "--encoder-tokens" : encoderSeqLen != null ? "--encoder-seq-len"
                    : decoderTokens != null ? "--decoder-tokens" : "--decoder-seq-len";
            throw new SculptException(flag + " applies to encoder-decoder models (t5) only; " + model + " is a decoder-only model ("
                    + config.describe() + "): plan it with --micro-batch-tokens, --seq-len and --loss-tokens");
        }
        long en = side("--encoder-tokens", encoderTokens, microBatchTokens);
        long es = sequence("--encoder-seq-len", encoderSeqLen, Math.min(seq, en), "--encoder-tokens", en);
        long dn = side("--decoder-tokens", decoderTokens, microBatchTokens);
        long ds = sequence("--decoder-seq-len", decoderSeqLen, Math.min(seq, dn), "--decoder-tokens", dn);
        return new PlanOptions.EncoderDecoderTokens(en, es, dn, ds);
    }

    private static long side(String flag, Long given, long fallback) {
        if (given == null) return fallback;
        if (given < 1) throw new SculptException(flag + " must be >= 1, got " + given);
        return given;
    }

    private static long sequence(String flag, Long given, long fallback, String tokensFlag, long tokens) {
        if (given == null) return fallback;
        if (given < 1) throw new SculptException(flag + " must be >= 1, got " + given);
        if (given > tokens) throw new SculptException(flag + " " + given + " is longer than the micro-batch's " + tokens + " tokens (" + tokensFlag + ")");
        return given;
    }

    /** The evaluation of --eval-prompt-tokens and --max-new-tokens, which go together; null without them. */
    private PlanOptions.Evaluation evaluation() {
        if (evalPromptTokens == null && maxNewTokens == null) return null;
        if (evalPromptTokens == null) throw new SculptException("--max-new-tokens needs --eval-prompt-tokens (the longest evaluation prompt)");
        if (maxNewTokens == null) throw new SculptException("--eval-prompt-tokens needs --max-new-tokens (the tokens generated after each prompt)");
        if (evalPromptTokens < 1) throw new SculptException("--eval-prompt-tokens must be >= 1, got " + evalPromptTokens);
        if (maxNewTokens < 1) throw new SculptException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        return new PlanOptions.Evaluation(evalPromptTokens, maxNewTokens);
    }
}
