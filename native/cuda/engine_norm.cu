// RMSNorm (LLaMA's LlamaRMSNorm, T5's T5LayerNorm): y = w * x / sqrt(mean(x^2) + eps) per row, forward and
// backward side by side as in dev.sculpt.nn.RmsNorm (the CPU reference). One block per row for the forward and
// the input gradient; one thread per column, looping over the rows in order, for the weight gradient (no
// atomics, so it is deterministic).
#include "block_reduce.cuh"
#include "sculpt_cuda.h"

// y[i] = w * x[i] * rstd[i], rstd[i] = 1 / sqrt(mean(x[i]^2) + eps); rstd may be null.
__global__ void rmsnorm_forward_kernel(float* y, float* rstd, const float* x, const float* w, int dim, float eps) {
    __shared__ float shm[SCULPT_MAX_BLOCK];
    long long row = blockIdx.x;
    const float* xr = x + row * dim;
    float* yr = y + row * dim;
    float ss = 0.0f;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) ss += xr[j] * xr[j];
    ss = block_sum(ss, shm);
    float r = 1.0f / sqrtf(ss / dim + eps);
    for (int j = threadIdx.x; j < dim; j += blockDim.x) yr[j] = w[j] * (xr[j] * r);
    if (rstd != nullptr && threadIdx.x == 0) rstd[row] = r;
}

// dx[i] (= or +=) r w dy - (sum_j w dy x) r^3 / dim * x, with r the saved rstd of row i.
__global__ void rmsnorm_backward_dx_kernel(float* dx, const float* dy, const float* x, const float* w, const float* rstd,
                                           int dim, int accumulate) {
    __shared__ float shm[SCULPT_MAX_BLOCK];
    long long row = blockIdx.x;
    const float* xr = x + row * dim;
    const float* gr = dy + row * dim;
    float* dr = dx + row * dim;
    float r = rstd[row];
    float dot = 0.0f;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) dot += w[j] * gr[j] * xr[j];
    dot = block_sum(dot, shm);
    float c = dot * r * r * r / dim;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) {
        float v = r * w[j] * gr[j] - c * xr[j];
        dr[j] = accumulate ? dr[j] + v : v;
    }
}

// dw[j] += sum_i dy[i][j] x[i][j] rstd[i].
__global__ void rmsnorm_backward_dw_kernel(float* dw, const float* dy, const float* x, const float* rstd, int n, int dim) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= dim) return;
    float acc = 0.0f;
    for (int i = 0; i < n; i++) acc += dy[(long long) i * dim + j] * x[(long long) i * dim + j] * rstd[i];
    dw[j] += acc;
}

#define NORM_THREADS 256

extern "C" int sculpt_rmsnorm_forward(float* y, float* rstd, const float* x, const float* w, int n, int dim, float eps,
                                      void* stream) {
    if (n <= 0) return 0;
    if (dim <= 0 || !(eps > 0.0f)) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(rmsnorm_forward_kernel, n, NORM_THREADS, 0, (cudaStream_t) stream)(y, rstd, x, w, dim, eps);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_rmsnorm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w,
                                       const float* rstd, int n, int dim, int accumulate_dx, void* stream) {
    if (n <= 0) return 0;
    if (dim <= 0) return (int) cudaErrorInvalidValue;
    // dw first: it reads dy, which the dx kernel overwrites when dx aliases dy (in place)
    if (dw != nullptr)
        SCULPT_LAUNCH(rmsnorm_backward_dw_kernel, (dim + NORM_THREADS - 1) / NORM_THREADS, NORM_THREADS, 0, (cudaStream_t) stream)(
            dw, dy, x, rstd, n, dim);
    SCULPT_LAUNCH(rmsnorm_backward_dx_kernel, n, NORM_THREADS, 0, (cudaStream_t) stream)(dx, dy, x, w, rstd, dim, accumulate_dx);
    return (int) cudaGetLastError();
}
