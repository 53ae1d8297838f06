// Token embedding lookup and its backward (CPU reference: dev.sculpt.nn.Embedding). Ids are checked against the
// vocabulary on the host before a launch. The backward gives each thread one column of the table and walks the
// tokens in order, so repeated ids accumulate without atomics and the result is deterministic.
#include "kernel_common.cuh"
#include "sculpt_cuda.h"

// out[i] = table[ids[i]] (rows of dim).
__global__ void embedding_forward_kernel(float* out, const float* table, const int* ids, int n, int dim) {
    long long e = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (long long) n * dim) return;
    long long i = e / dim;
    int j = (int) (e % dim);
    out[e] = table[(long long) ids[i] * dim + j];
}

// dtable[ids[i]] += dout[i] for i = 0 .. n-1, in order.
__global__ void embedding_backward_kernel(float* dtable, const float* dout, const int* ids, int n, int dim) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= dim) return;
    for (int i = 0; i < n; i++) dtable[(long long) ids[i] * dim + j] += dout[(long long) i * dim + j];
}

extern "C" int sculpt_embedding_forward(float* out, const float* table, const int* ids, int n, int dim, void* stream) {
    if (n <= 0) return 0;
    if (dim <= 0) return (int) cudaErrorInvalidValue;
    long long count = (long long) n * dim;
    SCULPT_LAUNCH(embedding_forward_kernel, (unsigned) ((count + 255) / 256), 256, 0, (cudaStream_t) stream)(out, table, ids, n, dim);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_embedding_backward(float* dtable, const float* dout, const int* ids, int n, int dim, void* stream) {
    if (n <= 0) return 0;
    if (dim <= 0) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(embedding_backward_kernel, (dim + 127) / 128, 128, 0, (cudaStream_t) stream)(dtable, dout, ids, n, dim);
    return (int) cudaGetLastError();
}
