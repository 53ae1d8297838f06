package dev.sculpt.plan;

import dev.sculpt.SculptException;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.model.Models;
import dev.sculpt.model.TrainingShape;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.MemoryLimit;
import dev.sculpt.ops.Ops;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory check at the start of a training run on a device provider ({@code sculpt continual}, {@code sculpt
 * evolve}), before the model is loaded or any file is written: the {@link MemoryPlanner}'s plan for the model and
 * the run's settings, held against the device's memory, then the provider's arena capped by it.
 *
 * <ul>
 *   <li>Device memory: {@code --device-memory} when given; else the provider's ({@link DeviceMemory#totalBytes()}:
 *       cudaMemGetInfo's total on a GPU, unlimited for cuda-emulated).</li>
 *   <li>A plan that does not fit is refused with a SculptException carrying the plan table ({@link PlanTable}) and
 *       naming the largest components. Without {@code --device-memory}, a plan whose components (all but the
 *       runtime reserve, which this process's CUDA context already took) exceed the device's free memory is refused
 *       too, saying how much other processes hold.</li>
 *   <li>The arena's cap: the device memory less the plan's {@link MemoryPlanner#RUNTIME_RESERVE}, the room the plan
 *       gives its components. The plan is an estimate, so a run may use more than its figure where the device has
 *       room; past the cap an allocation fails naming the tensor and its plan component ({@link PlanComponents}).</li>
 *   <li>A host provider (cpu) has no device memory: no plan, one debug line.</li>
 * </ul>
 */
public final class RunMemory {
    private static final Logger LOG = LoggerFactory.getLogger(RunMemory.class);

    private RunMemory() {}

    /**
     * The settings a run is planned with: fp32 ({@link PlanOptions#withPrecision} for another), the method's bases at {@code rankRatio} (the rank policy's largest),
     * micro-batches of {@code batchSize} sequences of {@code longest} tokens (an upper bound of every micro-batch),
     * with at most {@code lossPerSequence} loss rows per sequence (the longest completion; {@code longest} where the
     * run computes logits for every token).
     */
    public static PlanOptions options(boolean osft, double rankRatio, int batchSize, int longest, int lossPerSequence,
                                      boolean recompute, int oversample) {
        if (batchSize < 1) throw new SculptException("--batch-size must be >= 1, got " + batchSize);
        if (longest < 1) throw new SculptException("the longest training example must have >= 1 tokens, got " + longest);
        long loss = (long) batchSize * Math.max(1, Math.min(lossPerSequence, longest));
        return new PlanOptions(Precision.FP32, Precision.FP32, osft, rankRatio, (long) batchSize * longest, loss, longest, recompute, oversample);
    }

    /**
     * As {@link #options(boolean, double, int, int, int, boolean, int)}, with the encoder-decoder split an
     * encoder-decoder model (T5) is planned with: {@code batchSize} encoder inputs of at most {@code longestPrompt}
     * tokens (an empty prompt is read as one token) and as many decoder inputs of at most {@code longestTarget}
     * (a decoder input is as long as its target).
     */
    public static PlanOptions options(boolean osft, double rankRatio, int batchSize, int longest, int lossPerSequence,
                                      boolean recompute, int oversample, int longestPrompt, int longestTarget) {
        PlanOptions o = options(osft, rankRatio, batchSize, longest, lossPerSequence, recompute, oversample);
        long enc = Math.max(1, longestPrompt), dec = Math.max(1, longestTarget);
        return new PlanOptions(o.precision(), o.basisPrecision(), o.osft(), o.rankRatio(), o.microBatchTokens(), o.lossTokens(),
                o.sequenceLength(), o.recompute(), o.oversample(), new PlanOptions.EncoderDecoderTokens(batchSize * enc, enc, batchSize * dec, dec));
    }

    /** The plan of the model at {@code model} (a directory or a config.json) with {@code options} against {@code deviceMemory}. */
    public static MemoryPlan plan(Path model, PlanOptions options, long deviceMemory) {
        ModelConfig config = ModelConfig.readFileOrDirectory(model);
        TrainingShape shape = Models.familyFor(config).trainingShape(config);
        return MemoryPlanner.plan(shape, options, deviceMemory);
    }

    /**
     * Plans the run of {@code model} on {@code ops}, refuses it when it does not fit, and caps the provider's arena;
     * empty for a host provider. {@code stated} is {@code --device-memory} (empty when not given).
     */
    public static Optional<MemoryPlan> check(Path model, Ops ops, PlanOptions options, OptionalLong stated) {
        Optional<DeviceMemory> device = ops.memory();
        if (device.isEmpty()) {
            LOG.debug("no memory plan: the {} provider keeps its tensors in host memory", ops.name());
            return Optional.empty();
        }
        DeviceMemory dm = device.get();
        long memory = stated.isPresent() ? stated.getAsLong() : dm.totalBytes();
        String source = stated.isPresent() ? "--device-memory" : dm.source();
        MemoryPlan plan = plan(model, options, memory);
        if (!plan.fits()) {
            throw new SculptException(String.format(Locale.ROOT, "device memory: the run does not fit on %s: its memory plan needs %,d bytes (%s),"
                            + " the device has %,d (%s); largest: %s.%n%s",
                    ops.name(), plan.totalBytes(), ByteSize.format(plan.totalBytes()), memory, source, largest(plan), PlanTable.text(plan)));
        }
        long components = plan.totalBytes() - MemoryPlanner.RUNTIME_RESERVE;
        if (stated.isEmpty() && memory != Long.MAX_VALUE) {
            long free = dm.freeBytes();
            if (components > free) {
                throw new SculptException(String.format(Locale.ROOT, "device memory: the run does not fit on %s now: its memory plan needs %,d bytes"
                                + " beside the CUDA runtime, but only %,d of the device's %,d are free (other processes hold the rest); largest: %s.%n%s",
                        ops.name(), components, free, memory, largest(plan), PlanTable.text(plan)));
            }
        }
        if (memory != Long.MAX_VALUE) {
            String basis = source + " " + ByteSize.format(memory) + " less the plan's " + ByteSize.format(MemoryPlanner.RUNTIME_RESERVE) + " runtime reserve";
            dm.limit(new MemoryLimit(memory - MemoryPlanner.RUNTIME_RESERVE, basis, PlanComponents::ofTensor));
        }
        LOG.info("memory plan on {}: {} of {} ({}), {} tokens per micro-batch, {} with a loss", ops.name(), ByteSize.format(plan.totalBytes()),
                memory == Long.MAX_VALUE ? "unlimited" : ByteSize.format(memory), source, options.microBatchTokens(), options.lossTokens());
        return Optional.of(plan);
    }

    /** One line for the run's output: the plan's total against the device, and the arena's cap. */
    public static String summary(MemoryPlan plan) {
        long memory = plan.deviceMemory();
        return String.format(Locale.ROOT, "memory plan: %,d bytes (%s) of %s device memory; %d tokens per micro-batch (%d with a loss), rank ratio %s",
                plan.totalBytes(), ByteSize.format(plan.totalBytes()), memory == Long.MAX_VALUE ? "unlimited" : ByteSize.format(memory),
                plan.options().microBatchTokens(), plan.options().lossTokens(), plan.options().rankRatio());
    }

    /**
     * The arena's peak use against what the plan gives the arena ({@link MemoryPlan#arenaBytes()}: its total less the
     * runtime reserve and the task start's own decomposition buffers).
     */
    public static String peak(MemoryPlan plan, Ops ops) {
        long peak = ops.memory().map(DeviceMemory::peakBytesInUse).orElse(0L);
        long components = plan.arenaBytes();
        return String.format(Locale.ROOT, "device memory: peak %,d bytes (%s) in use, against the plan's %,d (%s) without its runtime reserve"
                        + " and the decomposition's own buffers (%.3f of it)",
                peak, ByteSize.format(peak), components, ByteSize.format(components), components == 0 ? 0.0 : (double) peak / components);
    }

    /** The two largest components, "activations 1.20 GiB, adamw_state 0.50 GiB". */
    static String largest(MemoryPlan plan) {
        List<Map.Entry<String, Long>> e = new ArrayList<>(plan.components().entrySet());
        e.sort(Map.Entry.<String, Long>comparingByValue().reversed());
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(2, e.size()); i++) {
            if (i > 0) sb.append(", ");
            sb.append(e.get(i).getKey()).append(' ').append(ByteSize.format(e.get(i).getValue())).append(" (")
                    .append(PlanTable.what(e.get(i).getKey())).append(')');
        }
        return sb.toString();
    }
}
