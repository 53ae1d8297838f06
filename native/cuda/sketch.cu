// The Gaussian sketch. Compiled with -fmad=false (see cmake/CMakeLists.txt): philox.cuh must round like Java.
#include <cuda_runtime.h>
#include "philox.cuh"
#include "sculpt_cuda.h"

// One thread per Philox block, i.e. per pair of consecutive elements of one matrix.
__global__ void philox_fill_kernel(float* out, int count, long long size, long long pairs, long long seed) {
    long long total = pairs * (long long) count;
    for (long long t = blockIdx.x * (long long) blockDim.x + threadIdx.x; t < total;
         t += (long long) gridDim.x * blockDim.x) {
        long long b = t / pairs;
        long long pair = t - b * pairs;
        uint32_t w[4];
        sculpt_philox::pair_block(seed, b, (unsigned long long) pair, w);
        float g0, g1;
        sculpt_philox::box_muller2(w, &g0, &g1);
        long long e = 2 * pair;
        float* m = out + b * size;
        m[e] = g0;
        if (e + 1 < size) m[e + 1] = g1;
    }
}

extern "C" int sculpt_philox_fill(float* out, int count, int rows, int cols, long long seed, void* stream) {
    long long size = (long long) rows * cols;
    if (count <= 0 || size <= 0) return 0;
    long long pairs = (size + 1) / 2;
    long long total = pairs * count;
    long long blocks = (total + 255) / 256;
    if (blocks > 65535LL * 16) blocks = 65535LL * 16;
    philox_fill_kernel<<<(unsigned) blocks, 256, 0, (cudaStream_t) stream>>>(out, count, size, pairs, seed);
    return (int) cudaGetLastError();
}

extern "C" float sculpt_philox_gaussian_host(long long seed, long long b, long long e) {
    return sculpt_philox::gaussian(seed, b, e);
}
