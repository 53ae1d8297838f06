package dev.sculpt.plan;

import dev.sculpt.model.TrainingShape;
import dev.sculpt.model.TrainingShape.TargetGroup;
import dev.sculpt.model.TrainingShape.TensorGroup;
import dev.sculpt.ops.Bf16ProjectionScratch;
import dev.sculpt.ops.DeviceBlocks;
import dev.sculpt.osft.DecompositionChunks;
import dev.sculpt.osft.RankPolicy;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Device memory of OSFT (or plain) full fine-tuning, component by component, from a {@link TrainingShape} and the
 * {@link PlanOptions}. Pure arithmetic; every term is stated here so that a test can redo it by hand. T tokens per
 * micro-batch, R loss tokens (the rows the lm_head and the loss run on), S the sequence length, h the width, V the
 * vocabulary; bb bytes per basis element (4 for fp32, 2 for bf16). Weights and gradients are float32 in both
 * precisions: bf16 mode ({@code --precision bf16}) rounds the products' operands (engine.Linear, engine.Bf16Compute)
 * and, without recomputation, saves the attention and feed-forward blocks' activations in bf16 ("bf16 saves",
 * engine.AttentionBlock#saveInBf16): ab = 2 bytes per block-saved element and softmax probability under bf16 saves,
 * 4 otherwise. The residual stream, the norm outputs and 1/rms stay float32 ({@link TrainingShape#streamWidths()}).
 *
 * <ul>
 *   <li>weights: P x 4 in fp32 mode. In bf16 mode, the bf16 operands of the products, the only bf16 tensors a model
 *   holds (engine.Bf16Compute: rounded just before each product, no layer keeps a copy): the largest target's weight
 *   (max m n), T rows of the widest target input (max n) and T rows of the widest target output (max m), 2 bytes
 *   each;</li>
 *   <li>master copy: P x 4 in bf16 mode (the float32 values the optimizer updates and the products round), none in
 *   fp32 mode (the weights are the masters);</li>
 *   <li>gradients: P x 4;</li>
 *   <li>AdamW state: two fp32 moments, P x 8;</li>
 *   <li>bases (osft): per target m x n with k = round(r min(m, n)), U_h (m x k) and V_h (n x k), plus the two
 *   references the W0-free invariant check needs, U_h^T W0 (k x n) and W0 V_h (m x k): (m + n) k x bb for the
 *   bases and (m + n) k x 4 for the references, which stay float32 with bf16 bases (SubspaceGuard: rounding them
 *   would add 2^-8 ||U_h^T W0|| to every check);</li>
 *   <li>activations: per token and layer, the saved activations (the stream's 4 bytes each, the blocks' ab), one
 *   softmax row of S per head (ab each), and one fp32 reciprocal RMS per norm; every layer keeps them, or with recomputation every layer keeps only its
 *   input (h) and one layer at a time the rest; plus the final norm's input (the last layer's output) and output, h
 *   each, and its fp32 reciprocal RMS, per token. That is exactly what LLaMA training keeps for the backward when all
 *   sequences have length S (LlamaRecomputeTest). Plus the lm_head's scratch for the R loss rows: fp32 logits
 *   (R x V, the cross-entropy gradient overwrites them in place), the gathered rows and their gradient (2 R h x 4),
 *   and an fp32 loss and log-sum-exp per row;</li>
 *   <li>workspace: the larger of the training step's and the task start's, plus the arena's block rounding, plus a
 *   fixed 1 GiB for the CUDA context and the cuBLAS/cuSOLVER handles. The step's: one layer's activation gradients
 *   (as large as one layer's saved activations in float32), under bf16 saves the blocks' float32 staging (one
 *   layer's block-saved buffers over T rows and one [heads, S, S] probability plane), one fp32 AdamW update tensor per distinct parameter shape
 *   (DenseAdamWUpdater shares them between parameters of a shape), and for the largest target the projection's
 *   scratch and the guard's invariant scratch, k x n + m x k + k x k fp32 each; with bf16 bases the projection runs on
 *   bf16 operands and its scratch is the update in bf16 (2 m n bytes) and the three intermediates in fp32 and bf16
 *   (6 (k n + m k + k k) bytes), each region 256-byte aligned ({@link Bf16ProjectionScratch}). The task start's: the largest
 *   decomposition batch (same-shape targets, at most {@link DecompositionChunks#MAX_ELEMENTS} input elements per
 *   batch) with every buffer the CUDA backend's batched randomized SVD allocates ({@link #taskStartBytes}: the
 *   batch's copy, its factors, the sketch panels, the small problem, two CholeskyQR2 workspaces). A device run's
 *   protect() first returns the arena's cached blocks to the device (the backend allocates outside the arena), and
 *   the step's optimizer state and activations are not live then, so the larger of the two is what the plan holds. The step also holds its device-side scalar sums: the loss and the gradient's sum of squares, and with osft
 *   the guard's invariant sums (5 per target), each its slots and 64 reduction partials in doubles.</li>
 *   <li>encoder-decoder models ({@link TrainingShape#encoder()}, T5): activations per stack over its own tokens
 *   ({@link PlanOptions#encoderDecoderTokens()}: n encoder tokens in sequences of at most Se, m decoder tokens of at
 *   most Sd): every encoder block its saved buffers, a softmax row of Se per head and fp32 1/rms per norm per encoder
 *   token; every decoder block its saved buffers, a softmax row of Sd per self-attention head and one of Se per
 *   cross-attention head, fp32 1/rms per norm per decoder token, and its cross keys and values per encoder token;
 *   each stack's position bias (a row of its sequence per head and token) and final norm (input, output, 1/rms).
 *   With recomputation every block keeps its input and one block of each stack at a time the rest. The step's
 *   activation gradients are the model's listed backward buffers over the rows they name and one bias-gradient plane
 *   [heads, S, S] of the longer sequence, instead of one layer's saved activations; under bf16 saves the blocks'
 *   saved buffers, softmax rows and cross keys and values take ab bytes, and the step adds the listed staging buffers
 *   and one probability plane [heads, S, S] of the longer sequence in float32.</li>
 *   <li>the arena's block rounding (in workspace): the caching arena serves each buffer with a block of
 *   {@link DeviceBlocks#size} bytes; the plan adds {@link DeviceBlocks#waste} of every buffer it counts, buffer by
 *   buffer (each parameter tensor's value, gradient and moments, each update tensor, each basis tensor, each layer's
 *   activation buffers, the head's scratch, the three bf16 operand buffers; the task start's three batched buffers), so that a
 *   run whose buffers are no larger than the planned ones holds no more than the plan in blocks. Its bound: less
 *   than a quarter of each buffer up to 8 MiB and less than 2 MiB per buffer above (DeviceBlocks).</li>
 *   <li>evaluation ({@link PlanOptions#evaluation()}, only when given: questions answered by KV-cached generation,
 *   one at a time, prompts of at most P model-input tokens, at most N new tokens; {@link TrainingShape#decoding()}:
 *   L cached blocks, query width qw, cached key/value width kw, H heads, at most Pmax positions). First the bounds
 *   are widened to hold the evaluation's forward passes, which run in the training buffers (the arena keeps each
 *   buffer at the larger of its training and its evaluation size): T, S (and, decoder-only, R) become at least P,
 *   since a decoder-only model runs its layers over the whole prompt in one pass (the first-token margin's forward,
 *   whose logits are P x V, and the decoding's prompt step), and an encoder-decoder model's encoder tokens and
 *   encoder sequence length become at least P (the encoder runs on the prompt; the decoder on one row at a time).
 *   Then the evaluation's own buffers, added on top of everything above, since the arena keeps its decoding
 *   scratch through the training that follows and a KV cache lives beside the held training state: decoder-only,
 *   with capacity C = min(P + N, Pmax), per block a key and a value cache of C x kw (2 L buffers), and the decoding
 *   scratch of the prompt step: the stream and its norm output (P x h each), the 1/rms (P), the queries and the
 *   context (P x qw each), the softmax rows (H x max(P P, C)), the final norm's output row (h) and its 1/rms (1);
 *   encoder-decoder, per decoder block a self-attention key and value cache of N x kw and a cross-attention key and
 *   value cache of P x kw (4 L buffers), and the one-row decoding scratch: the stream and its norm output (h each),
 *   the 1/rms (1), the position bias (H x N), the queries and the context (qw each), the softmax rows (H x max(N,
 *   P)); all fp32, each buffer with its block rounding (counted in the plan's rounding too). The logits of a
 *   decoding step (one row of V) are held in the head's scratch, which training sizes for R >= 1 rows.</li>
 * </ul>
 */
public final class MemoryPlanner {
    /** CUDA context, library handles and their default workspaces. */
    public static final long RUNTIME_RESERVE = 1L << 30;
    /** Doubles of reduction partials each device-side scalar sum keeps beside its slots (the CUDA provider's). */
    static final int REDUCE_PARTIALS = 64;

    private MemoryPlanner() {}

    public static MemoryPlan plan(TrainingShape shape, PlanOptions o, long deviceMemory) {
        o = holdingEvaluation(shape, o);
        long p = shape.parameters();
        int wb = 4;   // weights, gradients and saved activations are float32 in both precisions
        int bb = o.basisPrecision().bytes();
        boolean bf16 = o.precision() == Precision.BF16;
        long t = o.microBatchTokens(), r = o.lossTokens(), s = o.sequenceLength(), h = shape.hidden();
        long rounding = 0;
        Map<String, Long> c = new LinkedHashMap<>();
        if (bf16) {
            long weight = 0, in = 0, out = 0;
            for (TargetGroup g : shape.targets()) {
                weight = Math.max(weight, 2L * g.rows() * g.cols());
                in = Math.max(in, 2L * t * g.cols());
                out = Math.max(out, 2L * t * g.rows());
            }
            c.put("weights", weight + in + out);
            c.put("master_copy", p * 4);
            rounding += waste(weight) + waste(in) + waste(out);
        } else {
            c.put("weights", p * 4);
            c.put("master_copy", 0L);
        }
        c.put("gradients", p * 4);
        c.put("adamw_state", p * 8);
        c.put("bases", o.osft() ? basisPairElements(shape, o.rankRatio()) * (bb + 4) : 0L);

        for (TensorGroup g : shape.parameterTensors()) rounding += g.count() * 4 * waste(g.elements() * 4);
        if (o.osft()) {
            for (TargetGroup g : shape.targets()) {
                long m = g.rows(), n = g.cols(), k = rank(g, o.rankRatio());
                rounding += g.count() * (waste(m * k * bb) + waste(n * k * bb) + waste(m * k * 4) + waste(n * k * 4));
            }
        }

        long input = h * wb;
        // bf16 saves: without recomputation, bf16 compute keeps the blocks' saved buffers and probabilities in bf16
        boolean bf16Saves = bf16 && !o.recompute();
        int ab = bf16Saves ? 2 : 4;
        long kept, finalNorm, layerScratch, layerScratchWaste;
        if (shape.encoder() == null) {
            List<Integer> widths = shape.savedWidths();
            int stream = shape.streamWidths();
            long blockWidths = TrainingShape.blockWidthSum(widths, stream);
            long probs = (long) shape.attentionHeads() * s;
            long perTokenLayer = (shape.savedPerTokenPerLayer() - blockWidths) * wb + (blockWidths + probs) * ab + (long) shape.normsPerLayer() * 4;
            long layerWaste = waste(t * probs * ab) + shape.normsPerLayer() * waste(t * 4);
            for (int i = 0; i < widths.size(); i++) layerWaste += waste(t * widths.get(i) * (i < stream ? wb : ab));
            if (o.recompute()) {
                kept = shape.layers() * t * input + t * (perTokenLayer - input);
                rounding += shape.layers() * waste(t * input) + layerWaste - waste(t * input);
            } else {
                kept = shape.layers() * t * perTokenLayer;
                rounding += shape.layers() * layerWaste;
            }
            finalNorm = t * (2 * input + 4);
            rounding += 2 * waste(t * input) + waste(t * 4);
            // the backward's activation gradients: one layer's saved activations in float32
            long fp32Layer = t * (shape.savedPerTokenPerLayer() * wb + probs * 4 + shape.normsPerLayer() * 4L);
            long fp32LayerWaste = waste(t * probs * 4) + shape.normsPerLayer() * waste(t * 4);
            for (int w : widths) fp32LayerWaste += waste(t * w * wb);
            layerScratch = fp32Layer;
            layerScratchWaste = fp32LayerWaste;
            if (bf16Saves) {
                // the blocks' float32 staging: one layer's block buffers over T rows, one [heads, S, S] plane
                long plane = (long) shape.attentionHeads() * s * s * 4;
                layerScratch += t * blockWidths * 4 + plane;
                layerScratchWaste += waste(plane);
                for (int i = stream; i < widths.size(); i++) layerScratchWaste += waste(t * widths.get(i) * 4);
            }
        } else {
            EncoderDecoderTerms e = encoderDecoder(shape, o, wb, ab);
            kept = e.kept;
            finalNorm = e.finalNorms;
            rounding += e.keptWaste;
            layerScratch = e.backward;
            layerScratchWaste = e.backwardWaste;
        }
        long head = r * shape.vocab() * 4L + 2 * r * h * wb + 2 * r * 4;
        rounding += waste(r * shape.vocab() * 4L) + 2 * waste(r * h * wb) + 2 * waste(r * 4);
        c.put("activations", kept + finalNorm + head);

        long updates = 0, updatesWaste = 0;
        Set<List<Integer>> shapes = new HashSet<>();
        for (TensorGroup g : shape.parameterTensors()) {
            if (shapes.add(g.shape())) {
                updates += g.elements() * 4;
                updatesWaste += waste(g.elements() * 4);
            }
        }
        long projection = 0, invariant = 0, decomposition = 0, decompositionWaste = 0;
        if (o.osft()) {
            Map<List<Integer>, Integer> byShape = new LinkedHashMap<>();   // the task start batches same-shape targets
            for (TargetGroup g : shape.targets()) {
                long m = g.rows(), n = g.cols(), k = rank(g, o.rankRatio());
                invariant = Math.max(invariant, 4 * (k * n + m * k + k * k));
                projection = Math.max(projection, bb == 4 ? 4 * (k * n + m * k + k * k) : Bf16ProjectionScratch.bytes(m, n, k));
                byShape.merge(List.of(g.rows(), g.cols()), g.count(), Integer::sum);
            }
            for (Map.Entry<List<Integer>, Integer> e : byShape.entrySet()) {
                int m = e.getKey().get(0), n = e.getKey().get(1);
                long k = RankPolicy.rankFor(o.rankRatio(), m, n);
                long[] start = taskStartBytes(DecompositionChunks.largest(e.getValue(), (long) m * n), m, n, k, o.oversample());
                if (start[0] + start[1] > decomposition + decompositionWaste) {
                    decomposition = start[0];
                    decompositionWaste = start[1];
                }
            }
        }
        // the device-side scalar sums of a step: the loss and the gradient's sum of squares, and with osft the guard's
        // invariant sums (5 per target); each holds its slots and REDUCE_PARTIALS partials, in doubles
        long targets = 0;
        for (TargetGroup g : shape.targets()) targets += g.count();
        long lossSums = 8L * (1 + REDUCE_PARTIALS), guardSums = o.osft() ? 8L * (5 * Math.max(1, targets) + REDUCE_PARTIALS) : 0;
        long step = layerScratch + updates + projection + invariant + 2 * lossSums + guardSums;
        long stepWaste = layerScratchWaste + updatesWaste + waste(projection) + waste(invariant) + 2 * waste(lossSums) + waste(guardSums);
        long work = Math.max(step + stepWaste, decomposition + decompositionWaste);
        c.put("workspace", work + rounding + RUNTIME_RESERVE);
        long evaluationWaste = 0;
        if (o.evaluation() != null) {
            long[] e = evaluation(shape, o.evaluation());
            c.put("evaluation", e[0] + e[1]);
            evaluationWaste = e[1];
        }
        return new MemoryPlan(c, p, deviceMemory, o, rounding + work - Math.max(step, decomposition) + evaluationWaste,
                Math.max(0, decomposition + decompositionWaste - (step + stepWaste)));
    }

    /**
     * {@code o} with bounds that hold its evaluation's forward passes (see the class comment): decoder-only, T, S
     * and R at least the longest prompt P; encoder-decoder, T, S and the encoder side of the split at least P (the
     * decoder side and R as they were). Unchanged without an evaluation.
     */
    static PlanOptions holdingEvaluation(TrainingShape shape, PlanOptions o) {
        PlanOptions.Evaluation e = o.evaluation();
        if (e == null) return o;
        long prompt = e.promptTokens();
        long t = Math.max(o.microBatchTokens(), prompt), s = Math.max(o.sequenceLength(), prompt);
        if (shape.encoder() == null) {
            return new PlanOptions(o.precision(), o.basisPrecision(), o.osft(), o.rankRatio(), t, Math.max(o.lossTokens(), prompt), s,
                    o.recompute(), o.oversample(), o.split(), e);
        }
        PlanOptions.EncoderDecoderTokens split = o.encoderDecoderTokens();
        PlanOptions.EncoderDecoderTokens wide = new PlanOptions.EncoderDecoderTokens(Math.max(split.encoderTokens(), prompt),
                Math.max(split.encoderSequenceLength(), prompt), split.decoderTokens(), split.decoderSequenceLength());
        return new PlanOptions(o.precision(), o.basisPrecision(), o.osft(), o.rankRatio(), t, o.lossTokens(), s, o.recompute(),
                o.oversample(), wide, e);
    }

    /** The evaluation's own buffers (class comment): {bytes, block rounding}. */
    static long[] evaluation(TrainingShape shape, PlanOptions.Evaluation e) {
        TrainingShape.Decoding g = shape.decoding();
        if (g == null) throw new IllegalArgumentException("the training shape states no decoding shape, so evaluation cannot be planned");
        long p = e.promptTokens(), n = e.newTokens(), h = shape.hidden(), qw = g.queryWidth(), kw = g.kvWidth(), heads = g.heads();
        List<Long> buffers = new java.util.ArrayList<>();
        if (shape.encoder() == null) {
            long capacity = Math.min(p + n, g.positions());
            for (int i = 0; i < 2 * g.layers(); i++) buffers.add(4 * capacity * kw);
            buffers.addAll(List.of(4 * p * h, 4 * p * h, 4 * p, 4 * p * qw, 4 * p * qw, 4 * heads * Math.max(p * p, capacity), 4 * h, 4L));
        } else {
            for (int i = 0; i < 2 * g.layers(); i++) buffers.add(4 * n * kw);
            for (int i = 0; i < 2 * g.layers(); i++) buffers.add(4 * p * kw);
            buffers.addAll(List.of(4 * h, 4 * h, 4L, 4 * heads * n, 4 * qw, 4 * qw, 4 * heads * Math.max(n, p)));
        }
        long bytes = 0, rounding = 0;
        for (long b : buffers) {
            bytes += b;
            rounding += waste(b);
        }
        return new long[] {bytes, rounding};
    }

    private record EncoderDecoderTerms(long kept, long finalNorms, long keptWaste, long backward, long backwardWaste) {}

    /**
     * An encoder-decoder model's activations ({@link TrainingShape#encoder()}): encoder blocks over n encoder tokens
     * (sequences of at most Se), decoder blocks over m decoder tokens (at most Sd), from the options' split.
     */
    private static EncoderDecoderTerms encoderDecoder(TrainingShape shape, PlanOptions o, int wb, int ab) {
        TrainingShape.Encoder enc = shape.encoder();
        PlanOptions.EncoderDecoderTokens split = o.encoderDecoderTokens();
        long n = split.encoderTokens(), se = split.encoderSequenceLength(), m = split.decoderTokens(), sd = split.decoderSequenceLength();
        long input = (long) shape.hidden() * wb;
        // one encoder block, per encoder token: saved buffers (the stream's in float32, the blocks' in ab bytes), one
        // softmax row of Se per head (ab bytes), fp32 1/rms per norm
        long encProbs = (long) enc.attentionHeads() * se * ab;
        long encPerToken = bytesPerToken(enc.savedWidths(), enc.streamWidths(), wb, ab) + encProbs + enc.normsPerLayer() * 4L;
        long encWaste = waste(n * encProbs) + enc.normsPerLayer() * waste(n * 4) + buffersWaste(n, enc.savedWidths(), enc.streamWidths(), wb, ab);
        // one decoder block: per decoder token its saved buffers, a softmax row of Sd per self-attention head and
        // one of Se per cross-attention head, fp32 1/rms per norm; per encoder token the cross keys and values
        long selfProbs = (long) shape.attentionHeads() * sd * ab, crossProbs = (long) enc.crossHeads() * se * ab;
        long decPerToken = bytesPerToken(shape.savedWidths(), shape.streamWidths(), wb, ab) + selfProbs + crossProbs + shape.normsPerLayer() * 4L;
        long cross = widthSum(enc.crossWidths()) * ab;
        long decWaste = waste(m * selfProbs) + waste(m * crossProbs) + shape.normsPerLayer() * waste(m * 4)
                + buffersWaste(m, shape.savedWidths(), shape.streamWidths(), wb, ab);
        for (int w : enc.crossWidths()) decWaste += waste(n * w * ab);
        long kept, keptWaste;
        if (o.recompute()) {
            // every block keeps its input; one block of each stack at a time the rest
            kept = enc.layers() * n * input + n * (encPerToken - input) + shape.layers() * m * input + m * (decPerToken - input) + n * cross;
            keptWaste = enc.layers() * waste(n * input) + encWaste - waste(n * input) + shape.layers() * waste(m * input) + decWaste - waste(m * input);
        } else {
            kept = enc.layers() * n * encPerToken + shape.layers() * (m * decPerToken + n * cross);
            keptWaste = enc.layers() * encWaste + shape.layers() * decWaste;
        }
        // each stack's position bias, computed once for all its blocks
        long encBias = n * enc.biasHeads() * se * wb, decBias = m * enc.biasHeads() * sd * wb;
        kept += encBias + decBias;
        keptWaste += waste(encBias) + waste(decBias);
        // each stack's final norm: its input (the last block's output), its output, fp32 1/rms
        long finalNorms = n * (2 * input + 4) + m * (2 * input + 4);
        keptWaste += 2 * waste(n * input) + waste(n * 4) + 2 * waste(m * input) + waste(m * 4);
        // the backward's buffers, and the bias gradient plane of the longer sequence
        long backward = 0, backwardWaste = 0;
        boolean bf16Saves = ab == 2;
        for (TrainingShape.Scratch b : enc.backward()) {
            if (b.held() == TrainingShape.Held.RECOMPUTE && !o.recompute()) continue;
            if (b.held() == TrainingShape.Held.BF16_SAVES && !bf16Saves) continue;
            long rows = switch (b.rows()) {
                case DECODER -> m;
                case ENCODER -> n;
                case LONGER -> Math.max(n, m);
            };
            backward += rows * b.width() * wb;
            backwardWaste += waste(rows * b.width() * wb);
        }
        long plane = enc.biasHeads() * Math.max(se * se, sd * sd) * wb;
        backward += plane;
        backwardWaste += waste(plane);
        if (bf16Saves) {
            // the attention blocks' float32 staging of one sequence's probabilities: the largest [heads, tq, tk] plane
            long probsPlane = Math.max(enc.attentionHeads() * se * se, Math.max(shape.attentionHeads() * sd * sd, enc.crossHeads() * sd * se)) * 4;
            backward += probsPlane;
            backwardWaste += waste(probsPlane);
        }
        return new EncoderDecoderTerms(kept, finalNorms, keptWaste, backward, backwardWaste);
    }

    /** Bytes per token of saved buffers: the first {@code stream} widths at wb bytes, the rest at ab. */
    private static long bytesPerToken(List<Integer> widths, int stream, int wb, int ab) {
        long b = 0;
        for (int i = 0; i < widths.size(); i++) b += (long) widths.get(i) * (i < stream ? wb : ab);
        return b;
    }

    /** Block rounding of the saved buffers over {@code rows} rows, each in its bytes per element. */
    private static long buffersWaste(long rows, List<Integer> widths, int stream, int wb, int ab) {
        long w = 0;
        for (int i = 0; i < widths.size(); i++) w += waste(rows * widths.get(i) * (i < stream ? wb : ab));
        return w;
    }

    private static long widthSum(List<Integer> widths) {
        long s = 0;
        for (int w : widths) s += w;
        return s;
    }

    /**
     * The device memory of one decomposition batch at the start of a task, {@code {bytes, rounding}}: {@code count}
     * m x n targets, top k, sketch width l = min(k + oversample, min(m, n)), on the CUDA backend (CudaBackend's
     * randomized SVD), every buffer as it allocates them, with r = min(m, n) and c = max(m, n):
     * <ul>
     *   <li>the batch's device copy (m n) and the factors it returns, U (m k), S (k) and V (n k), fp32;</li>
     *   <li>CudaRandomizedSvd: the Gaussian test matrix and the two panels (c l, r l, c l), the Gram matrix of B^T
     *   (l^2 doubles), the top k values and the small eigenvectors (k, l k), the small eigensolver's work (Jacobi,
     *   l <= 256: l^2 doubles; else cuSOLVER syevd's eigenvalues, l doubles);</li>
     *   <li>its two CholeskyQr2 workspaces, for the l-column panels and the k-column V: a Gram (cols^2 doubles), R or
     *   its inverse (cols^2), a flag (one int) and a copy of the panel (c cols) each;</li>
     *   <li>per matrix all of the above times count; once per batch, cuSOLVER's own buffers where l > 256 (syevd's
     *   1 + 6 l + 2 l^2 doubles, LAPACK's dsyevd bound, and potrf's, held to the same bound).</li>
     * </ul>
     * The rounding is the arena's size classes over every buffer (cudaMalloc rounds alike: 2 MiB above 8 MiB).
     * Above the sketch limit (l > 6144) the backend takes the exact path instead, which this does not plan.
     */
    public static long[] taskStartBytes(long count, long m, long n, long k, int oversample) {
        long r = Math.min(m, n), c = Math.max(m, n), l = Math.min(k + oversample, r);
        long[] buffers = {
            4 * count * m * n, 4 * count * m * k, 4 * count * k, 4 * count * n * k,   // input copy, U, S, V
            4 * count * c * l, 4 * count * r * l, 4 * count * c * l,                   // Omega, Y, Z
            8 * count * l * l, 4 * count * l * k, 4 * count * k,                       // Gram of B^T, W, values
            l <= 256 ? 8 * count * l * l : 8 * count * l,                              // Jacobi work or syevd values
            8 * count * l * l, 4 * count * l * l, 4 * count, 4 * count * c * l,        // CholeskyQr2 over l columns
            8 * count * k * k, 4 * count * k * k, 4 * count, 4 * count * c * k,        // CholeskyQr2 over k columns
            l > 256 ? 8 * (1 + 6 * l + 2 * l * l) : 0, l > 256 ? 8 * (1 + 6 * l + 2 * l * l) : 0   // syevd, potrf
        };
        long bytes = 0, rounding = 0;
        for (long b : buffers) {
            bytes += b;
            rounding += waste(b);
        }
        return new long[] {bytes, rounding};
    }

    private static long waste(long bytes) {
        return bytes == 0 ? 0 : DeviceBlocks.waste(bytes);
    }

    /** The preserved rank the rank policies give ({@link RankPolicy#rankFor}). */
    static long rank(TargetGroup g, double ratio) {
        return RankPolicy.rankFor(ratio, g.rows(), g.cols());
    }

    /** (m + n) k per target: the elements of U_h and V_h, and as many of the invariant references U_h^T W0, W0 V_h. */
    static long basisPairElements(TrainingShape shape, double ratio) {
        long e = 0;
        for (TargetGroup g : shape.targets()) e += g.count() * ((long) g.rows() + g.cols()) * rank(g, ratio);
        return e;
    }
}
