// Element-wise feed-forward activations, forward and backward side by side (CPU references: dev.sculpt.nn.SwiGlu,
// GatedGelu and the ReLU of T5 v1.0's feed-forward):
//   kind 0, SwiGLU (LLaMA):       h = silu(a) * b,      silu(a) = a sigmoid(a)
//   kind 1, gated gelu_new (T5 v1.1 / flan): h = gelu_new(a) * b, gelu_new(a) = 0.5 a (1 + tanh(sqrt(2/pi)(a + 0.044715 a^3)))
//   ReLU (T5 v1.0):               h = max(a, 0)
// Backward: da = dh * b * act'(a), db = dh * act(a); da may alias a and db may alias b (each element is read
// before it is written, by the same thread). One thread per element.
#include "kernel_common.cuh"
#include "sculpt_cuda.h"

#define GELU_C 0.7978845608028654f   // sqrt(2 / pi)
#define GELU_K 0.044715f

__device__ __forceinline__ float act_value(float a, int kind) {
    if (kind == 0) return a / (1.0f + expf(-a));
    float t = tanhf(GELU_C * (a + GELU_K * a * a * a));
    return 0.5f * a * (1.0f + t);
}

__device__ __forceinline__ float act_grad(float a, int kind) {
    if (kind == 0) {
        float s = 1.0f / (1.0f + expf(-a));
        return s * (1.0f + a * (1.0f - s));
    }
    float t = tanhf(GELU_C * (a + GELU_K * a * a * a));
    return 0.5f * (1.0f + t) + 0.5f * a * (1.0f - t * t) * GELU_C * (1.0f + 3.0f * GELU_K * a * a);
}

__global__ void gated_forward_kernel(float* h, const float* a, const float* b, long long count, int kind) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) h[i] = act_value(a[i], kind) * b[i];
}

__global__ void gated_backward_kernel(float* da, float* db, const float* dh, const float* a, const float* b, long long count,
                                      int kind) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    float av = a[i], bv = b[i], g = dh[i];
    da[i] = g * bv * act_grad(av, kind);
    db[i] = g * act_value(av, kind);
}

__global__ void relu_forward_kernel(float* h, const float* a, long long count) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) h[i] = a[i] > 0.0f ? a[i] : 0.0f;
}

// da = dh where a > 0 (a is the forward's input).
__global__ void relu_backward_kernel(float* da, const float* dh, const float* a, long long count) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) da[i] = a[i] > 0.0f ? dh[i] : 0.0f;
}

static unsigned act_blocks(long long count) { return (unsigned) ((count + 255) / 256); }

extern "C" int sculpt_gated_forward(float* h, const float* a, const float* b, long long count, int kind, void* stream) {
    if (count <= 0) return 0;
    if (kind != 0 && kind != 1) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(gated_forward_kernel, act_blocks(count), 256, 0, (cudaStream_t) stream)(h, a, b, count, kind);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_gated_backward(float* da, float* db, const float* dh, const float* a, const float* b, long long count,
                                     int kind, void* stream) {
    if (count <= 0) return 0;
    if (kind != 0 && kind != 1) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(gated_backward_kernel, act_blocks(count), 256, 0, (cudaStream_t) stream)(da, db, dh, a, b, count, kind);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_relu_forward(float* h, const float* a, long long count, void* stream) {
    if (count <= 0) return 0;
    SCULPT_LAUNCH(relu_forward_kernel, act_blocks(count), 256, 0, (cudaStream_t) stream)(h, a, count);
    return (int) cudaGetLastError();
}

extern "C" int sculpt_relu_backward(float* da, const float* dh, const float* a, long long count, void* stream) {
    if (count <= 0) return 0;
    SCULPT_LAUNCH(relu_backward_kernel, act_blocks(count), 256, 0, (cudaStream_t) stream)(da, dh, a, count);
    return (int) cudaGetLastError();
}
