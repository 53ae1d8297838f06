// Finite-value check of a batch, one flag per matrix, so the Java side can name the offending matrix.
#include <cuda_runtime.h>
#include "sculpt_cuda.h"

__global__ void nonfinite_kernel(const float* x, long long size, int* flags) {
    const float* m = x + (long long) blockIdx.y * size;
    int bad = 0;
    for (long long i = blockIdx.x * (long long) blockDim.x + threadIdx.x; i < size; i += (long long) gridDim.x * blockDim.x) {
        if (!isfinite(m[i])) bad = 1;
    }
    if (__syncthreads_or(bad) && threadIdx.x == 0) flags[blockIdx.y] = 1;
}

extern "C" int sculpt_nonfinite_flags(const float* x, int count, long long size, int* flags, void* stream) {
    if (count <= 0) return 0;
    cudaStream_t s = (cudaStream_t) stream;
    cudaError_t e = cudaMemsetAsync(flags, 0, sizeof(int) * (size_t) count, s);
    if (e != cudaSuccess || size <= 0) return (int) e;
    long long blocks = (size + 255) / 256;
    if (blocks > 1024) blocks = 1024;
    if (count > 65535) return (int) cudaErrorInvalidValue;
    nonfinite_kernel<<<dim3((unsigned) blocks, (unsigned) count), 256, 0, s>>>(x, size, flags);
    return (int) cudaGetLastError();
}
