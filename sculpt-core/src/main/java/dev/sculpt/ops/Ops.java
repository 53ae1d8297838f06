package dev.sculpt.ops;

import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.tensor.Device;
import java.util.Optional;

/**
 * The training op set over {@link Tensor}s: one interface, one implementation per device (cpu and cuda-emulated today), one
 * contract test suite ({@code OpsContractTest}) that runs every op of every provider present against float64
 * references. Each forward sits beside its backward, and a forward saves what its backward needs (1/rms rows,
 * attention probabilities, log-sum-exp rows) in tensors the caller owns, so a provider keeps no per-call state.
 *
 * <h2>Conventions</h2>
 * <ul>
 *   <li>Every tensor is row-major float32, except where an op accepts bf16 ({@link #gemm}'s A and B,
 *       {@link #project}'s bases, {@link #convert}); a bf16 tensor anywhere else is refused, naming it.
 *       Shapes below are {@code [dim0, dim1, ...]} and must match exactly
 *       (rank and sizes), except where an op says "any shape, equal sizes" (element-wise ops).</li>
 *   <li>Every tensor must live on this provider's {@link #device()}; a tensor elsewhere, a closed tensor or a
 *       wrong shape is a {@link dev.sculpt.SculptException} naming the tensor, before anything is written.</li>
 *   <li>Gradients of activations ({@code dx}, {@code dq}, ...) are overwritten. Gradients of parameters
 *       ({@code dWeight}, {@code dTable}) are accumulated ({@code +=}) so that micro-batches add up.</li>
 *   <li>Outputs must not alias inputs unless the op says so.</li>
 *   <li>Token ids and targets are host {@code int[]} (a few per token, copied to the device by device
 *       providers); all float data stays on the device.</li>
 *   <li>Ops may run asynchronously on a device; the reductions that return a host value synchronize.</li>
 * </ul>
 *
 * <p>Not thread-safe: a provider may keep scratch memory for its ops. Use one provider per training thread.
 */
public interface Ops extends AutoCloseable {
    /** Identifier used to select the provider ("cpu", "cuda-emulated"); never branched on by callers. */
    String name();

    /** Where tensors of this provider live. */
    Device device();

    /** A short description of the hardware. */
    String describe();

    /**
     * The device memory this provider's tensors live in, with its size and a cap on what the provider takes; empty
     * for a host provider (the default).
     */
    default Optional<DeviceMemory> memory() {
        return Optional.empty();
    }

    // ---------------------------------------------------------------- memory

    /** A zero-filled float32 tensor on this provider's device. */
    Tensor allocate(String name, int... shape);

    /** A zero-filled tensor of {@code dtype} on this provider's device. */
    Tensor allocate(String name, DType dtype, int... shape);

    /**
     * dst = src with a change of element type (any shapes, equal sizes, the dtypes differ): float32 to bf16 rounds to
     * nearest even (NaN stays NaN, overflow gives Inf: {@link Bf16#fromFloat}); bf16 to float32 is exact.
     */
    void convert(Tensor src, Tensor dst);

    /** A copy of a host tensor on this provider's device (a copy even for a host provider). */
    Tensor upload(Tensor host, String name);

    /** A host copy of a tensor of this provider. */
    Tensor download(Tensor t, String name);

    /** dst = src (any shapes, equal sizes). */
    void copy(Tensor src, Tensor dst);

    /** x = 0. */
    void zero(Tensor x);

    /** y += alpha * x (any shapes, equal sizes): residual adds, gradient accumulation, applying an update. */
    void axpy(float alpha, Tensor x, Tensor y);

    // ---------------------------------------------------------------- matrix products

    /**
     * Batched strided sgemm, all row-major: for b in [0, batch):
     * {@code C_b = alpha * op(A_b) op(B_b) + beta * C_b} with C_b the [m, n] matrix at element
     * {@code cOff + b * strideC} of c with row stride ldc (>= n); op(A_b) is [m, k], stored [m, k] with row
     * stride lda (>= k) or, when transA, stored [k, m] (lda >= m); op(B_b) is [k, n], stored [k, n] (ldb >= n) or,
     * when transB, [n, k] (ldb >= k). Tensors are addressed as flat element arrays (their shapes are not
     * consulted); every addressed element must lie inside its tensor. beta = 0 ignores C's old values (NaN
     * included); k = 0 scales C by beta. Strides of 0 broadcast one matrix over the batch (A or B only).
     * A and B may each be float32 or bf16; C is float32. bf16 operands are widened exactly to float32 and the products
     * accumulate in float32 (on a GPU: cuBLAS with bf16 inputs and CUBLAS_COMPUTE_32F), so a bf16 product differs from
     * the float32 product of the widened operands only by the order of the float32 accumulation.
     */
    void gemm(boolean transA, boolean transB, int batch, int m, int n, int k, float alpha,
              Tensor a, long aOff, int lda, long strideA,
              Tensor b, long bOff, int ldb, long strideB,
              float beta, Tensor c, long cOff, int ldc, long strideC);

    /**
     * Rank-2 convenience: {@code c = alpha * op(a) op(b) + beta * c} with shapes taken from the tensors: a is
     * [m, k] (or [k, m] when transA), b is [k, n] (or [n, k] when transB), c is [m, n]. A linear layer
     * {@code y = x W^T} is {@code matmul(false, true, 1, x, W, 0, y)}.
     */
    default void matmul(boolean transA, boolean transB, float alpha, Tensor a, Tensor b, float beta, Tensor c) {
        int[] mm = new OpArguments(device(), name()).matmul(transA, transB, a, b, c);
        gemm(transA, transB, 1, mm[0], mm[1], mm[2], alpha, a, 0, mm[3], 0, b, 0, mm[4], 0, beta, c, 0, mm[5], 0);
    }

    // ---------------------------------------------------------------- normalization

    /**
     * RMS norm of each row, as LLaMA's {@code LlamaRMSNorm} and T5's {@code T5LayerNorm} (the same formula: no
     * mean subtraction, no bias): {@code y[i, :] = w * x[i, :] * rstd[i]} with
     * {@code rstd[i] = 1 / sqrt(mean_j x[i, j]^2 + eps)}. x, y: [n, d]; w: [d]; rstd: [n] (saved for the
     * backward). y may be x (in place).
     */
    void rmsNormForward(Tensor x, Tensor w, float eps, Tensor y, Tensor rstd);

    /**
     * Backward of {@link #rmsNormForward} given its x and saved rstd: {@code dx} [n, d] is overwritten with
     * {@code rstd * (w dy - x rstd^2 mean_j(w_j dy_j x_j))}; {@code dw} [d] accumulates
     * {@code sum_i dy[i, :] * x[i, :] * rstd[i]}. dx may be dy.
     */
    void rmsNormBackward(Tensor x, Tensor w, Tensor rstd, Tensor dy, Tensor dx, Tensor dw);

    // ---------------------------------------------------------------- rotary embedding

    /**
     * Rotary embedding in place, Hugging Face's rotate-half convention. x: [n, heads * headDim] with headDim =
     * 2 * invFreq.length; row r is at position {@code positions[r]} (restarting per packed sequence). Within
     * each head, element i < headDim/2 pairs with i + headDim/2 and the pair rotates by
     * {@code theta = float32(positions[r] * invFreq[i])}: {@code (a, b) -> (a cos - b sin, b cos + a sin)}.
     */
    void ropeForward(Tensor x, int heads, int[] positions, float[] invFreq);

    /** Backward of {@link #ropeForward} in place on dx (the inverse rotation); same arguments. */
    void ropeBackward(Tensor dx, int heads, int[] positions, float[] invFreq);

    // ---------------------------------------------------------------- attention

    /**
     * Multi-head attention over one sequence (call once per packed sequence with {@link Tensor#view}s):
     * {@code out = softmax(scale * q k^T + bias, masked) v} per head.
     * <ul>
     *   <li>q, out: [tq, heads * headDim]; k, v: [tk, kvHeads * headDim] (tk may differ from tq:
     *       cross-attention, or decoding against a cache).</li>
     *   <li>GQA: query head h reads key/value head {@code h / (heads / kvHeads)}; heads % kvHeads == 0.</li>
     *   <li>causal: query row i sits at absolute position {@code qStart + i} and sees keys
     *       {@code j <= qStart + i} (qStart = 0 in training; must satisfy qStart + tq <= tk);
     *       otherwise every key is seen (bidirectional, cross-attention).</li>
     *   <li>bias: null, or [heads, tq, tk] added to the scaled scores (T5's relative-position bias; T5 uses
     *       scale 1).</li>
     *   <li>probs: [heads, tq, tk], written with the probabilities (masked entries 0) for the backward.</li>
     * </ul>
     */
    void attentionForward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, boolean causal,
                          int qStart, Tensor bias, Tensor probs, Tensor out);

    /**
     * Backward of {@link #attentionForward} given its q, k, v and saved probs. dq [tq, heads * headDim], dk and
     * dv [tk, kvHeads * headDim] are overwritten (dk/dv sum over the query heads of a group). dBias: null, or
     * [heads, tq, tk] overwritten with the gradient of the pre-softmax scores (= of the bias; masked entries 0),
     * which the caller folds into T5's bucket table.
     */
    void attentionBackward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, float scale, Tensor probs,
                           Tensor dOut, Tensor dq, Tensor dk, Tensor dv, Tensor dBias);

    // ---------------------------------------------------------------- feed-forward activations (any shape, equal sizes)

    /** LLaMA's SwiGLU: {@code h = silu(gate) * up}, silu(g) = g / (1 + exp(-g)). */
    void swigluForward(Tensor gate, Tensor up, Tensor h);

    /** Backward of {@link #swigluForward}: dGate, dUp overwritten. */
    void swigluBackward(Tensor gate, Tensor up, Tensor dh, Tensor dGate, Tensor dUp);

    /**
     * T5 v1.1's gated GELU: {@code h = gelu_tanh(a) * b}, gelu_tanh(x) =
     * {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))} (HF's gelu_new).
     */
    void gatedGeluForward(Tensor a, Tensor b, Tensor h);

    /** Backward of {@link #gatedGeluForward}: da, db overwritten. */
    void gatedGeluBackward(Tensor a, Tensor b, Tensor dh, Tensor da, Tensor db);

    /** Original T5's ReLU: {@code y = max(x, 0)}. y may be x. */
    void reluForward(Tensor x, Tensor y);

    /** Backward of {@link #reluForward}: {@code dx = x > 0 ? dy : 0} (derivative 0 at 0). dx may be dy. */
    void reluBackward(Tensor x, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- embedding

    /** {@code out[i, :] = table[ids[i], :]}. table: [vocab, d]; out: [ids.length, d]; ids in [0, vocab). */
    void embeddingForward(Tensor table, int[] ids, Tensor out);

    /** Backward of {@link #embeddingForward}: {@code dTable[ids[i], :] += dOut[i, :]} (repeated ids add up). */
    void embeddingBackward(int[] ids, Tensor dOut, Tensor dTable);

    // ---------------------------------------------------------------- loss

    /** The target id whose row carries no loss and no gradient (PyTorch's and Hugging Face's -100). */
    int IGNORE_INDEX = -100;

    /**
     * Token cross-entropy. logits: [n, vocab]; targets: n ids in [0, vocab) or {@link #IGNORE_INDEX}.
     * Writes {@code loss[i] = logsumexp(logits[i, :]) - logits[i, targets[i]]} (0 for ignored rows) and
     * {@code lse[i] = logsumexp(logits[i, :])} (for the backward); loss, lse: [n].
     */
    void crossEntropyForward(Tensor logits, int[] targets, Tensor loss, Tensor lse);

    /**
     * Backward of {@link #crossEntropyForward} for the loss {@code scale * sum_i loss[i]} (scale = 1 / counted rows
     * for a mean): {@code dLogits[i, :] = scale * (softmax(logits[i, :]) - onehot(targets[i]))}, ignored rows 0.
     * dLogits [n, vocab] is overwritten and may be logits itself.
     */
    void crossEntropyBackward(Tensor logits, Tensor lse, int[] targets, float scale, Tensor dLogits);

    // ---------------------------------------------------------------- optimizer and subspace projection

    /**
     * One AdamW step for one tensor, element for element the float32 arithmetic of {@code train.AdamW}:
     * {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
     * delta = -stepSize m / (sqrt(v) invSqrtBc2 + eps) - lr wd w} (see {@link AdamWStep}). m and v are updated in
     * place; delta is overwritten and not applied, so that the OSFT projection can act on exactly what will be
     * added ({@code axpy(1, delta, w)}). w, g, m, v, delta: any shapes, equal sizes.
     */
    void adamwUpdate(Tensor w, Tensor g, Tensor m, Tensor v, Tensor delta, AdamWStep step);

    /**
     * OSFT projection of an update in place: d [rows, cols] with protected bases u [rows, k] and v [cols, k]
     * whose columns are orthonormal; {@code d = P(d)} for the {@link ProjectionMode} (two-sided:
     * {@code (I - u u^T) d (I - v v^T)}, as a left removal {@code d -= u (u^T d)} then a right removal
     * {@code d -= (d v) v^T}). Float32 bases: float32 products (a bf16 basis beside a float32 one is widened exactly).
     * Both bases bf16: every product runs on bf16 operands with float32 accumulation, like the model's bf16 products
     * (tensor cores on a GPU): d, or the intermediate ({@code u^T d}, {@code d v}, {@code u^T d v}) a product reads,
     * is rounded to bf16 (nearest even) just before it, and d takes the float32 results. That adds at most about
     * {@code 4 u_b ||d||} (u_b = 2^-8) to what the result leaks into the protected subspace, the class of the bf16
     * bases' own departure from orthonormality (SubspaceGuard's bound counts it).
     */
    void project(Tensor d, Tensor u, Tensor v, ProjectionMode mode);

    // ---------------------------------------------------------------- reductions (return to the host)

    /** {@code sum_i x_i}, accumulated in double (e.g. a loss sum). */
    double sum(Tensor x);

    /** {@code sum_i x_i^2}, accumulated in double (for the gradient norm; NaN or Inf if any element is). */
    double sumOfSquares(Tensor x);

    /** Number of NaN or infinite elements. */
    long nonFiniteCount(Tensor x);

    /**
     * {@code slots} (>= 1) double accumulators kept where this provider computes (see {@link ScalarSums}); the
     * default keeps them on the heap over {@link #sum} and {@link #sumOfSquares}. Device providers override it so
     * that a training step reads its loss and gradient norm back once, not once per tensor.
     */
    default ScalarSums scalarSums(String name, int slots) {
        return new HostScalarSums(this, slots);
    }

    /** Frees the provider's scratch memory. Tensors it allocated stay valid until closed themselves. */
    @Override
    void close();
}
