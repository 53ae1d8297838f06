// Conversions between float32 and bfloat16 (stored as raw 16-bit patterns, the layout of CUDA's __nv_bfloat16 and
// of cuBLAS's CUDA_R_16BF), bit for bit the Java reference dev.sculpt.ops.Bf16:
//   float32 -> bf16: round to nearest, ties to even, on the bit pattern (x + 0x7fff + lsb) >> 16; Inf stays Inf,
//                    a value past the largest bf16 rounds to Inf, and a NaN stays a NaN (its top 7 mantissa bits are
//                    kept, with the quiet bit set where they are all zero);
//   bf16 -> float32: exact (the pattern shifted left by 16).
// Integer arithmetic only, so nvcc and g++ (the emulation) give the same bits. One thread per element.
#include "kernel_common.cuh"
#include "sculpt_cuda.h"
#include <stdint.h>
#include <string.h>

__device__ __forceinline__ uint32_t float_bits(float f) {
#ifdef SCULPT_EMULATION
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
#else
    return (uint32_t) __float_as_uint(f);
#endif
}

__device__ __forceinline__ float bits_float(uint32_t x) {
#ifdef SCULPT_EMULATION
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
#else
    return __uint_as_float(x);
#endif
}

__device__ __forceinline__ unsigned short to_bf16(float f) {
    uint32_t x = float_bits(f);
    if ((x & 0x7f800000u) == 0x7f800000u && (x & 0x7fffffu) != 0) {   // NaN: truncate, stay a NaN
        uint32_t t = x >> 16;
        return (unsigned short) ((t & 0x7fu) != 0 ? t : (t | 0x40u));
    }
    return (unsigned short) ((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

__global__ void f32_to_bf16_kernel(unsigned short* dst, const float* src, long long count) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) dst[i] = to_bf16(src[i]);
}

__global__ void bf16_to_f32_kernel(float* dst, const unsigned short* src, long long count) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) dst[i] = bits_float(((uint32_t) src[i]) << 16);
}

extern "C" int sculpt_convert_f32_to_bf16(unsigned short* dst, const float* src, long long count, void* stream) {
    if (count <= 0) return 0;
    SCULPT_LAUNCH(f32_to_bf16_kernel, (unsigned) ((count + 255) / 256), 256, 0, (cudaStream_t) stream)(dst, src, count);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_convert_bf16_to_f32(float* dst, const unsigned short* src, long long count, void* stream) {
    if (count <= 0) return 0;
    SCULPT_LAUNCH(bf16_to_f32_kernel, (unsigned) ((count + 255) / 256), 256, 0, (cudaStream_t) stream)(dst, src, count);
    return (int) cudaGetLastError();
}
