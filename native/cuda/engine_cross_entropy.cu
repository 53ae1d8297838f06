// Token cross-entropy over logits rows [n, vocab], fused with its gradient (CPU reference:
// dev.sculpt.nn.CrossEntropy). Rows whose target is -100 (Hugging Face's ignore index) get loss 0 and a zero
// gradient. losses[i] = logsumexp(row) - row[target]; dlogits = row_scale * (softmax(row) - onehot(target)),
// where the caller folds the reduction into row_scale (MEAN: grad_scale / counted rows; SUM: grad_scale).
// One block per row; dlogits may alias logits (every thread reads its elements before writing them, and the
// row's maximum and sum are complete before the first write). dlogits may be null (loss only).
#include "block_reduce.cuh"
#include "sculpt_cuda.h"

#define IGNORE_INDEX (-100)

__global__ void cross_entropy_kernel(float* dlogits, float* losses, const float* logits, const int* targets, int vocab,
                                     float row_scale) {
    __shared__ float shm[SCULPT_MAX_BLOCK];
    long long row = blockIdx.x;
    int t = targets[row];
    const float* lr = logits + row * vocab;
    float* dr = dlogits == nullptr ? nullptr : dlogits + row * vocab;
    if (t == IGNORE_INDEX || t < 0 || t >= vocab) {   // out-of-range targets are rejected on the host first
        if (dr) for (int j = threadIdx.x; j < vocab; j += blockDim.x) dr[j] = 0.0f;
        if (threadIdx.x == 0) losses[row] = 0.0f;
        return;
    }
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) mx = fmaxf(mx, lr[j]);
    mx = block_max(mx, shm);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < vocab; j += blockDim.x) sum += expf(lr[j] - mx);
    sum = block_sum(sum, shm);
    float log_z = mx + logf(sum);
    float target_logit = lr[t];
    __syncthreads();   // everyone has read lr[t] before its owner may overwrite it (dlogits may alias logits)
    if (threadIdx.x == 0) losses[row] = log_z - target_logit;
    if (dr) {
        for (int j = threadIdx.x; j < vocab; j += blockDim.x) {
            float g = expf(lr[j] - log_z) * row_scale;
            dr[j] = j == t ? g - row_scale : g;
        }
    }
}

#define CE_THREADS 256

// lse[row] = logsumexp(x[row, :]) for rows of `cols` (the forward's saved statistic). One block per row.
__global__ void logsumexp_rows_kernel(float* lse, const float* x, int cols) {
    __shared__ float shm[SCULPT_MAX_BLOCK];
    long long row = blockIdx.x;
    const float* xr = x + row * cols;
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) mx = fmaxf(mx, xr[j]);
    mx = block_max(mx, shm);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < cols; j += blockDim.x) sum += expf(xr[j] - mx);
    sum = block_sum(sum, shm);
    if (threadIdx.x == 0) lse[row] = mx + logf(sum);
}

extern "C" int sculpt_logsumexp_rows(float* lse, const float* x, int n, int cols, void* stream) {
    if (n <= 0) return 0;
    if (cols <= 0) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(logsumexp_rows_kernel, n, CE_THREADS, 0, (cudaStream_t) stream)(lse, x, cols);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_cross_entropy(float* dlogits, float* losses, const float* logits, const int* targets, int n, int vocab,
                                    float row_scale, void* stream) {
    if (n <= 0) return 0;
    if (vocab <= 0) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(cross_entropy_kernel, n, CE_THREADS, 0, (cudaStream_t) stream)(dlogits, losses, logits, targets, vocab, row_scale);
    return (int) cudaGetLastError();
}
