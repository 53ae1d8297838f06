package dev.sculpt.ops.cuda;

import dev.sculpt.backend.cuda.CudaKernels;

/**
 * The training engine's kernels (native/cuda/engine_*.cu, C API in native/include/sculpt_cuda.h) as seen by
 * {@link CudaOps}: one method per host launch wrapper {@code sculpt_*}, same arguments (device addresses as longs, the
 * stream last); each returns 0 or a cudaError_t code. Two bindings: the GPU build (libsculpt_cuda.so through
 * {@code backend.cuda.CudaKernels}) and the host-emulated build (libsculpt_cuda_emulated.so through
 * {@link CudaEmulatedKernels}).
 */
interface EngineKernels {
    /** sculpt_rmsnorm_forward */
    int rmsnormForward(long y, long rstd, long x, long w, int n, int dim, float eps, long stream);

    /** sculpt_rmsnorm_backward */
    int rmsnormBackward(long dx, long dw, long dy, long x, long w, long rstd, int n, int dim, int accumulateDx, long stream);

    /** sculpt_rope */
    int rope(long x, int n, int heads, int headDim, int startPos, long invFreq, int backward, long stream);

    /** sculpt_gated_forward */
    int gatedForward(long h, long a, long b, long count, int kind, long stream);

    /** sculpt_gated_backward */
    int gatedBackward(long da, long db, long dh, long a, long b, long count, int kind, long stream);

    /** sculpt_relu_forward */
    int reluForward(long h, long a, long count, long stream);

    /** sculpt_relu_backward */
    int reluBackward(long da, long dh, long a, long count, long stream);

    /** sculpt_attention_softmax_forward */
    int attentionSoftmaxForward(long p, long bias, int heads, int tq, int tk, int qStart, int causal, long stream);

    /** sculpt_attention_softmax_backward */
    int attentionSoftmaxBackward(long ds, long dp, long p, int rows, int tk, long stream);

    /** sculpt_cross_entropy */
    int crossEntropy(long dlogits, long losses, long logits, long targets, int n, int vocab, float rowScale, long stream);

    /** sculpt_logsumexp_rows */
    int logsumexpRows(long lse, long x, int n, int cols, long stream);

    /** sculpt_reduce */
    int reduce(long x, long count, int op, long partials, int blocks, long stream);

    /** sculpt_accumulate_partials */
    int accumulatePartials(long partials, int blocks, long acc, long stream);

    /** sculpt_embedding_forward */
    int embeddingForward(long out, long table, long ids, int n, int dim, long stream);

    /** sculpt_embedding_backward */
    int embeddingBackward(long dtable, long dout, long ids, int n, int dim, long stream);

    /** sculpt_adamw */
    int adamw(long delta, long m, long v, long g, long w, long count, float b1, float c1, float b2, float c2, float stepSize, float invSqrtBc2, float eps, float wd, long stream);

    /** sculpt_convert_f32_to_bf16 */
    int convertToBf16(long dst, long src, long count, long stream);

    /** sculpt_convert_bf16_to_f32 */
    int convertToFloat(long dst, long src, long count, long stream);

    /** The kernels of libsculpt_cuda.so (load it through {@code backend.cuda.CudaProbe} first). */
    EngineKernels GPU = new EngineKernels() {
        @Override public int rmsnormForward(long y, long rstd, long x, long w, int n, int dim, float eps, long stream) {
            return CudaKernels.sculpt_rmsnorm_forward(y, rstd, x, w, n, dim, eps, stream);
        }

        @Override public int rmsnormBackward(long dx, long dw, long dy, long x, long w, long rstd, int n, int dim, int accumulateDx, long stream) {
            return CudaKernels.sculpt_rmsnorm_backward(dx, dw, dy, x, w, rstd, n, dim, accumulateDx, stream);
        }

        @Override public int rope(long x, int n, int heads, int headDim, int startPos, long invFreq, int backward, long stream) {
            return CudaKernels.sculpt_rope(x, n, heads, headDim, startPos, invFreq, backward, stream);
        }

        @Override public int gatedForward(long h, long a, long b, long count, int kind, long stream) {
            return CudaKernels.sculpt_gated_forward(h, a, b, count, kind, stream);
        }

        @Override public int gatedBackward(long da, long db, long dh, long a, long b, long count, int kind, long stream) {
            return CudaKernels.sculpt_gated_backward(da, db, dh, a, b, count, kind, stream);
        }

        @Override public int reluForward(long h, long a, long count, long stream) {
            return CudaKernels.sculpt_relu_forward(h, a, count, stream);
        }

        @Override public int reluBackward(long da, long dh, long a, long count, long stream) {
            return CudaKernels.sculpt_relu_backward(da, dh, a, count, stream);
        }

        @Override public int attentionSoftmaxForward(long p, long bias, int heads, int tq, int tk, int qStart, int causal, long stream) {
            return CudaKernels.sculpt_attention_softmax_forward(p, bias, heads, tq, tk, qStart, causal, stream);
        }

        @Override public int attentionSoftmaxBackward(long ds, long dp, long p, int rows, int tk, long stream) {
            return CudaKernels.sculpt_attention_softmax_backward(ds, dp, p, rows, tk, stream);
        }

        @Override public int crossEntropy(long dlogits, long losses, long logits, long targets, int n, int vocab, float rowScale, long stream) {
            return CudaKernels.sculpt_cross_entropy(dlogits, losses, logits, targets, n, vocab, rowScale, stream);
        }

        @Override public int logsumexpRows(long lse, long x, int n, int cols, long stream) {
            return CudaKernels.sculpt_logsumexp_rows(lse, x, n, cols, stream);
        }

        @Override public int reduce(long x, long count, int op, long partials, int blocks, long stream) {
            return CudaKernels.sculpt_reduce(x, count, op, partials, blocks, stream);
        }

        @Override public int accumulatePartials(long partials, int blocks, long acc, long stream) {
            return CudaKernels.sculpt_accumulate_partials(partials, blocks, acc, stream);
        }

        @Override public int embeddingForward(long out, long table, long ids, int n, int dim, long stream) {
            return CudaKernels.sculpt_embedding_forward(out, table, ids, n, dim, stream);
        }

        @Override public int embeddingBackward(long dtable, long dout, long ids, int n, int dim, long stream) {
            return CudaKernels.sculpt_embedding_backward(dtable, dout, ids, n, dim, stream);
        }

        @Override public int adamw(long delta, long m, long v, long g, long w, long count, float b1, float c1, float b2, float c2, float stepSize, float invSqrtBc2, float eps, float wd, long stream) {
            return CudaKernels.sculpt_adamw(delta, m, v, g, w, count, b1, c1, b2, c2, stepSize, invSqrtBc2, eps, wd, stream);
        }

        @Override public int convertToBf16(long dst, long src, long count, long stream) {
            return CudaKernels.sculpt_convert_f32_to_bf16(dst, src, count, stream);
        }

        @Override public int convertToFloat(long dst, long src, long count, long stream) {
            return CudaKernels.sculpt_convert_bf16_to_f32(dst, src, count, stream);
        }
    };

    /** The kernels of libsculpt_cuda_emulated.so (load it through {@link CudaEmulatedLibrary} first). */
    EngineKernels EMULATED = new EngineKernels() {
        @Override public int rmsnormForward(long y, long rstd, long x, long w, int n, int dim, float eps, long stream) {
            return CudaEmulatedKernels.sculpt_rmsnorm_forward(y, rstd, x, w, n, dim, eps, stream);
        }

        @Override public int rmsnormBackward(long dx, long dw, long dy, long x, long w, long rstd, int n, int dim, int accumulateDx, long stream) {
            return CudaEmulatedKernels.sculpt_rmsnorm_backward(dx, dw, dy, x, w, rstd, n, dim, accumulateDx, stream);
        }

        @Override public int rope(long x, int n, int heads, int headDim, int startPos, long invFreq, int backward, long stream) {
            return CudaEmulatedKernels.sculpt_rope(x, n, heads, headDim, startPos, invFreq, backward, stream);
        }

        @Override public int gatedForward(long h, long a, long b, long count, int kind, long stream) {
            return CudaEmulatedKernels.sculpt_gated_forward(h, a, b, count, kind, stream);
        }

        @Override public int gatedBackward(long da, long db, long dh, long a, long b, long count, int kind, long stream) {
            return CudaEmulatedKernels.sculpt_gated_backward(da, db, dh, a, b, count, kind, stream);
        }

        @Override public int reluForward(long h, long a, long count, long stream) {
            return CudaEmulatedKernels.sculpt_relu_forward(h, a, count, stream);
        }

        @Override public int reluBackward(long da, long dh, long a, long count, long stream) {
            return CudaEmulatedKernels.sculpt_relu_backward(da, dh, a, count, stream);
        }

        @Override public int attentionSoftmaxForward(long p, long bias, int heads, int tq, int tk, int qStart, int causal, long stream) {
            return CudaEmulatedKernels.sculpt_attention_softmax_forward(p, bias, heads, tq, tk, qStart, causal, stream);
        }

        @Override public int attentionSoftmaxBackward(long ds, long dp, long p, int rows, int tk, long stream) {
            return CudaEmulatedKernels.sculpt_attention_softmax_backward(ds, dp, p, rows, tk, stream);
        }

        @Override public int crossEntropy(long dlogits, long losses, long logits, long targets, int n, int vocab, float rowScale, long stream) {
            return CudaEmulatedKernels.sculpt_cross_entropy(dlogits, losses, logits, targets, n, vocab, rowScale, stream);
        }

        @Override public int logsumexpRows(long lse, long x, int n, int cols, long stream) {
            return CudaEmulatedKernels.sculpt_logsumexp_rows(lse, x, n, cols, stream);
        }

        @Override public int reduce(long x, long count, int op, long partials, int blocks, long stream) {
            return CudaEmulatedKernels.sculpt_reduce(x, count, op, partials, blocks, stream);
        }

        @Override public int accumulatePartials(long partials, int blocks, long acc, long stream) {
            return CudaEmulatedKernels.sculpt_accumulate_partials(partials, blocks, acc, stream);
        }

        @Override public int embeddingForward(long out, long table, long ids, int n, int dim, long stream) {
            return CudaEmulatedKernels.sculpt_embedding_forward(out, table, ids, n, dim, stream);
        }

        @Override public int embeddingBackward(long dtable, long dout, long ids, int n, int dim, long stream) {
            return CudaEmulatedKernels.sculpt_embedding_backward(dtable, dout, ids, n, dim, stream);
        }

        @Override public int adamw(long delta, long m, long v, long g, long w, long count, float b1, float c1, float b2, float c2, float stepSize, float invSqrtBc2, float eps, float wd, long stream) {
            return CudaEmulatedKernels.sculpt_adamw(delta, m, v, g, w, count, b1, c1, b2, c2, stepSize, invSqrtBc2, eps, wd, stream);
        }

        @Override public int convertToBf16(long dst, long src, long count, long stream) {
            return CudaEmulatedKernels.sculpt_convert_f32_to_bf16(dst, src, count, stream);
        }

        @Override public int convertToFloat(long dst, long src, long count, long stream) {
            return CudaEmulatedKernels.sculpt_convert_bf16_to_f32(dst, src, count, stream);
        }
    };
}
