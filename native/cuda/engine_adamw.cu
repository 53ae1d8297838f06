// AdamW's update, element for element the float32 arithmetic of dev.sculpt.train.AdamW (built with -fmad=false,
// so no multiply-add is fused and the update rounds exactly like Java's):
//   m = b1 m + c1 g,  v = b2 v + c2 g g,  delta = -step_size m / (sqrt(v) inv_sqrt_bc2 + eps) - wd w
// with c1 = 1 - b1, c2 = 1 - b2, step_size = lr / (1 - b1^t), inv_sqrt_bc2 = 1 / sqrt(1 - b2^t) and wd = lr *
// weight decay (0 for tensors without decay), all computed by the caller as the Java optimizer does. Like the
// CPU optimizer it returns the update instead of applying it, so that the subspace projection can act on
// exactly what will be added to the weights. One thread per element.
#include "kernel_common.cuh"
#include "sculpt_cuda.h"

__global__ void adamw_kernel(float* delta, float* m, float* v, const float* g, const float* w, long long count, float b1,
                             float c1, float b2, float c2, float step_size, float inv_sqrt_bc2, float eps, float wd) {
    long long i = (long long) blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= count) return;
    float gi = g[i];
    float mi = b1 * m[i] + c1 * gi;
    float vi = b2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    float d = -step_size * mi / (sqrtf(vi) * inv_sqrt_bc2 + eps);
    if (wd != 0.0f) d -= wd * w[i];
    delta[i] = d;
}

extern "C" int sculpt_adamw(float* delta, float* m, float* v, const float* g, const float* w, long long count, float b1, float c1,
                            float b2, float c2, float step_size, float inv_sqrt_bc2, float eps, float wd, void* stream) {
    if (count <= 0) return 0;
    if (!(eps > 0.0f)) return (int) cudaErrorInvalidValue;
    SCULPT_LAUNCH(adamw_kernel, (unsigned) ((count + 255) / 256), 256, 0, (cudaStream_t) stream)(delta, m, v, g, w, count, b1, c1, b2, c2,
                                                                                     step_size, inv_sqrt_bc2, eps, wd);
    return (int) cudaGetLastError();
}
