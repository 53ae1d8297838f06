// The trainer's reductions over one tensor: the sum (a loss total), the sum of squares (the gradient norm) and the
// number of NaN or infinite elements (the non-finite check), each accumulated in double. Each of `blocks` blocks
// strides over the tensor and writes its partial result to partials[block]; the caller adds the `blocks` partials,
// either on the host (a few hundred doubles copied back) or on the device with sculpt_accumulate_partials into a
// double that stays there (the training step's loss and gradient norm: one scalar read per step), both in block
// order, so the result is deterministic for a given launch configuration and the same either way. A NaN or
// infinity propagates into the sum and the sum of squares.
#include "block_reduce.cuh"
#include "sculpt_cuda.h"

#define REDUCE_THREADS 256

__global__ void reduce_kernel(const float* x, long long count, int op, double* partials) {
    __shared__ double shm[REDUCE_THREADS];
    double acc = 0.0;
    for (long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x; i < count; i += (long long) gridDim.x * blockDim.x) {
        float v = x[i];
        if (op == 0) acc += (double) v;
        else if (op == 1) acc += (double) v * (double) v;
        else acc += isfinite(v) ? 0.0 : 1.0;
    }
    acc = block_sum(acc, shm);
    if (threadIdx.x == 0) partials[blockIdx.x] = acc;
}

extern "C" int sculpt_reduce(const float* x, long long count, int op, double* partials, int blocks, void* stream) {
    if (op < 0 || op > 2 || blocks <= 0) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(reduce_kernel, blocks, REDUCE_THREADS, 0, (cudaStream_t) stream)(x, count < 0 ? 0 : count, op, partials);
    return (int) cudaGetLastError();
}

// One thread adds partials[0..blocks) in block order into s = 0, then *acc += s: the very double additions, in the
// same order, of a host that copies the partials back, adds them and adds the result to its running total.
__global__ void accumulate_partials_kernel(const double* partials, int blocks, double* acc) {
    double s = 0.0;
    for (int b = 0; b < blocks; b++) s += partials[b];
    *acc += s;
}

extern "C" int sculpt_accumulate_partials(const double* partials, int blocks, double* acc, void* stream) {
    if (blocks <= 0) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(accumulate_partials_kernel, 1, 1, 0, (cudaStream_t) stream)(partials, blocks, acc);
    return (int) cudaGetLastError();
}
