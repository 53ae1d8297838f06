// Block-wide reductions through shared memory (float or double sums, float maxima) (no warp shuffles, so the same code also runs under the CPU
// emulation of native/test). blockDim.x must be a power of two <= 1024; every thread gets the result, and the
// scratch may be reused right after the call.
#ifndef SCULPT_BLOCK_REDUCE_CUH
#define SCULPT_BLOCK_REDUCE_CUH
#include "kernel_common.cuh"

#define SCULPT_MAX_BLOCK 1024

template <class T>
__device__ __forceinline__ T block_sum(T v, T* shm) {
    int t = threadIdx.x;
    shm[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) shm[t] += shm[t + s];
        __syncthreads();
    }
    T r = shm[0];
    __syncthreads();
    return r;
}

__device__ __forceinline__ float block_max(float v, float* shm) {
    int t = threadIdx.x;
    shm[t] = v;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) shm[t] = fmaxf(shm[t], shm[t + s]);
        __syncthreads();
    }
    float r = shm[0];
    __syncthreads();
    return r;
}

#endif
