// Rotary position embedding, Hugging Face's rotate-half convention (dev.sculpt.nn.Rope is the CPU reference):
// within each head of head_dim, element i < head_dim/2 pairs with i + head_dim/2 and the pair turns by
// pos * inv_freq[i]: (a, b) -> (a cos - b sin, b cos + a sin). sign = -1 turns back, which is the backward.
// In place on rows of heads * head_dim floats; row r sits at position start_pos + r. One thread per pair.
#include "kernel_common.cuh"
#include "sculpt_cuda.h"

__global__ void rope_kernel(float* x, int n, int heads, int head_dim, int start_pos, const float* inv_freq, float sign) {
    int half = head_dim / 2;
    long long pairs = (long long) n * heads * half;
    long long p = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= pairs) return;
    int i = (int) (p % half);
    long long rh = p / half;            // row * heads + head
    int row = (int) (rh / heads);
    float angle = (float) (start_pos + row) * inv_freq[i];
    float c = cosf(angle), s = sign * sinf(angle);
    float* h = x + rh * head_dim;
    float a = h[i], b = h[i + half];
    h[i] = a * c - b * s;
    h[i + half] = b * c + a * s;
}

extern "C" int sculpt_rope(float* x, int n, int heads, int head_dim, int start_pos, const float* inv_freq, int backward,
                           void* stream) {
    if (n <= 0 || heads <= 0) return 0;
    if (head_dim <= 0 || head_dim % 2 != 0 || start_pos < 0) return (int) cudaErrorInvalidValue;
    long long pairs = (long long) n * heads * (head_dim / 2);
    SCULPT_LAUNCH(rope_kernel, (unsigned) ((pairs + 255) / 256), 256, 0, (cudaStream_t) stream)(x, n, heads, head_dim, start_pos, inv_freq,
                                                                                     backward ? -1.0f : 1.0f);
    return (int) cudaGetLastError();
}
