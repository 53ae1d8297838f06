package dev.sculpt.plan;

import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.TrainingShape.TargetGroup;
import dev.sculpt.osft.RankPolicy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Device memory of OSFT (or plain) full fine-tuning, component by component, from a {@link TrainingShape} and the
 * {@link PlanOptions}. Pure arithmetic; every term is stated here so that a test can redo it by hand.
 *
 * <ul>
 *   <li>weights: P x (4 for fp32, 2 for bf16);</li>
 *   <li>master copy: P x 4 in bf16 mode (the optimizer updates fp32 masters and rounds them to the bf16 weights),
 *   none in fp32 mode;</li>
 *   <li>gradients: P in the weights' precision;</li>
 *   <li>AdamW state: two fp32 moments, P x 8;</li>
 *   <li>bases (osft): per target m x n with k = round(r min(m, n)), U_h (m x k) and V_h (n x k), plus the two
 *   references the W0-free invariant check needs, U_h^T W0 (k x n) and W0 V_h (m x k): 2 (m + n) k elements in the
 *   basis precision;</li>
 *   <li>activations: per token and layer, the saved activations in the activation precision, one softmax row of
 *   the sequence length per head, and one fp32 reciprocal RMS per norm; every layer keeps them, or with
 *   recomputation every layer keeps only its input (h elements) and one layer at a time the rest; plus the final
 *   norm's input (the last layer's output) and output, h elements each, and its fp32 reciprocal RMS; plus fp32
 *   logits over the vocabulary for every token (the cross-entropy gradient overwrites them in place). Apart from
 *   the logits (the model keeps them for the loss rows only, as scratch) this is exactly what LLaMA training holds
 *   for the backward when all sequences have the sequence length (LlamaRecomputeTest);</li>
 *   <li>workspace: the larger of the training step's and the task start's. The step's: one layer's activation
 *   gradients (the same size as one layer's saved activations), and for the largest target an fp32 update
 *   (m x n) and its projection's temporaries U_h^T D (k x n) and D V_h (m x k). The task start's: the batched
 *   randomized decomposition of the largest group of same-shape targets, with sketch width l = k + oversample,
 *   per matrix the sketch (m x l), the projected matrix (l x n) and an l x l Gram block, in fp32. Plus a fixed
 *   1 GiB for the CUDA context and the cuBLAS/cuSOLVER handles.</li>
 * </ul>
 */
public final class MemoryPlanner {
    /** CUDA context, library handles and their default workspaces. */
    public static final long RUNTIME_RESERVE = 1L << 30;

    private MemoryPlanner() {}

    public static MemoryPlan plan(TrainingShape shape, PlanOptions o, long deviceMemory) {
        long p = shape.parameters();
        int wb = o.precision().bytes();
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("weights", p * wb);
        c.put("master_copy", o.precision() == Precision.BF16 ? p * 4 : 0L);
        c.put("gradients", p * wb);
        c.put("adamw_state", p * 8);
        c.put("bases", o.osft() ? basisElements(shape, o.rankRatio()) * o.basisPrecision().bytes() : 0L);

        long tokens = o.microBatchTokens();
        long perTokenLayer = shape.savedPerTokenPerLayer() * wb + (long) shape.attentionHeads() * o.sequenceLength() * wb
                + (long) shape.normsPerLayer() * 4;
        long logits = tokens * shape.vocab() * 4L;
        long input = (long) shape.hidden() * wb;
        long kept = o.recompute()
                ? shape.layers() * tokens * input + tokens * (perTokenLayer - input)
                : shape.layers() * tokens * perTokenLayer;
        long finalNorm = tokens * (2 * input + 4);
        c.put("activations", kept + finalNorm + logits);

        long step = tokens * perTokenLayer;
        long decomposition = 0;
        for (TargetGroup g : shape.targets()) {
            long m = g.rows(), n = g.cols(), k = rank(g, o.rankRatio());
            step = Math.max(step, tokens * perTokenLayer + 4 * (m * n + k * n + m * k));
            if (o.osft()) {
                long l = Math.min(k + o.oversample(), Math.min(m, n));
                decomposition = Math.max(decomposition, 4L * g.count() * (m * l + l * n + l * l));
            }
        }
        c.put("workspace", Math.max(step, decomposition) + RUNTIME_RESERVE);
        return new MemoryPlan(c, p, deviceMemory, o);
    }

    /** The preserved rank the rank policies give ({@link RankPolicy#rankFor}). */
    static long rank(TargetGroup g, double ratio) {
        return RankPolicy.rankFor(ratio, g.rows(), g.cols());
    }

    /** 2 (m + n) k per target: U_h, V_h and the invariant references U_h^T W0, W0 V_h. */
    static long basisElements(TrainingShape shape, double ratio) {
        long e = 0;
        for (TargetGroup g : shape.targets()) e += 2L * g.count() * ((long) g.rows() + g.cols()) * rank(g, ratio);
        return e;
    }
}
