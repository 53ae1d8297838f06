// The softmax of attention, between the two cuBLAS products (scores = scale q k^T and out = p v), forward and
// backward side by side (CPU reference: dev.sculpt.nn.Attention). Scores and probabilities are [heads, tq, tk];
// one block per row (head h, query i). With the causal mask query i sits at absolute position q_start + i and
// sees keys j <= q_start + i; masked entries get probability 0. bias (same layout, may be null) is added to the
// scores first: T5's relative-position bias.
#include "block_reduce.cuh"
#include "sculpt_cuda.h"

// p holds the scaled scores on entry and the probabilities on return.
__global__ void attention_softmax_forward_kernel(float* p, const float* bias, int tq, int tk, int q_start, int causal) {
    __shared__ float shm[SCULPT_MAX_BLOCK];
    long long row = blockIdx.x;                 // h * tq + i
    int i = (int) (row % tq);
    int limit = causal ? min(tk, q_start + i + 1) : tk;
    float* pr = p + row * tk;
    const float* br = bias == nullptr ? nullptr : bias + row * tk;
    float mx = -INFINITY;
    for (int j = threadIdx.x; j < limit; j += blockDim.x) {
        float s = pr[j] + (br ? br[j] : 0.0f);
        pr[j] = s;
        mx = fmaxf(mx, s);
    }
    mx = block_max(mx, shm);
    float sum = 0.0f;
    for (int j = threadIdx.x; j < limit; j += blockDim.x) {
        float e = expf(pr[j] - mx);
        pr[j] = e;
        sum += e;
    }
    sum = block_sum(sum, shm);
    float inv = limit > 0 ? 1.0f / sum : 0.0f;
    for (int j = threadIdx.x; j < tk; j += blockDim.x) pr[j] = j < limit ? pr[j] * inv : 0.0f;
}

// ds = p * (dp - sum_j p dp) per row; ds may alias dp.
__global__ void attention_softmax_backward_kernel(float* ds, const float* dp, const float* p, int tk) {
    __shared__ float shm[SCULPT_MAX_BLOCK];
    long long row = blockIdx.x;
    const float* pr = p + row * tk;
    const float* gr = dp + row * tk;
    float* dr = ds + row * tk;
    float dot = 0.0f;
    for (int j = threadIdx.x; j < tk; j += blockDim.x) dot += pr[j] * gr[j];
    dot = block_sum(dot, shm);
    for (int j = threadIdx.x; j < tk; j += blockDim.x) dr[j] = pr[j] * (gr[j] - dot);
}

#define SOFTMAX_THREADS 128

extern "C" int sculpt_attention_softmax_forward(float* p, const float* bias, int heads, int tq, int tk, int q_start, int causal,
                                                void* stream) {
    if (heads <= 0 || tq <= 0 || tk <= 0) return 0;
    if (q_start < 0) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(attention_softmax_forward_kernel, heads * tq, SOFTMAX_THREADS, 0, (cudaStream_t) stream)(p, bias, tq, tk, q_start, causal);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_attention_softmax_backward(float* ds, const float* dp, const float* p, int rows, int tk, void* stream) {
    if (rows <= 0 || tk <= 0) return 0;
    SCULPT_LAUNCH(attention_softmax_backward_kernel, rows, SOFTMAX_THREADS, 0, (cudaStream_t) stream)(ds, dp, p, tk);
    return (int) cudaGetLastError();
}
