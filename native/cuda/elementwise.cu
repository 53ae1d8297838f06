// Small layout and scaling helpers around the cuBLAS/cuSOLVER calls made from Java.
#include <cuda_runtime.h>
#include "sculpt_cuda.h"

static unsigned grid_for(long long n, int threads) {
    long long b = (n + threads - 1) / threads;
    if (b > 65535LL * 8) b = 65535LL * 8;
    return (unsigned) (b > 0 ? b : 1);
}

__global__ void scale_columns_inverse_kernel(float* x, int count, int rows, int cols, const float* s, float tiny) {
    long long total = (long long) count * rows * cols;
    for (long long idx = blockIdx.x * (long long) blockDim.x + threadIdx.x; idx < total; idx += (long long) gridDim.x * blockDim.x) {
        long long b = idx / ((long long) rows * cols);
        int c = (int) (idx % cols);
        float sv = s[b * cols + c];
        x[idx] = sv > tiny ? x[idx] / sv : 0.0f;
    }
}

extern "C" int sculpt_scale_columns_inverse(float* x, int count, int rows, int cols, const float* s, float tiny, void* stream) {
    long long total = (long long) count * rows * cols;
    if (total <= 0) return 0;
    scale_columns_inverse_kernel<<<grid_for(total, 256), 256, 0, (cudaStream_t) stream>>>(x, count, rows, cols, s, tiny);
    return (int) cudaGetLastError();
}

#define TT 32
__global__ void transpose_kernel(const float* in, int rows, int cols, float* out) {
    __shared__ float tile[TT][TT + 1];
    const float* src = in + (long long) blockIdx.z * rows * cols;
    float* dst = out + (long long) blockIdx.z * rows * cols;
    int c0 = blockIdx.x * TT, r0 = blockIdx.y * TT;
    for (int dy = threadIdx.y; dy < TT; dy += blockDim.y) {
        int r = r0 + dy, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[dy][threadIdx.x] = src[(long long) r * cols + c];
    }
    __syncthreads();
    for (int dy = threadIdx.y; dy < TT; dy += blockDim.y) {
        int c = c0 + dy, r = r0 + threadIdx.x;  // out[c][r] = in[r][c]
        if (r < rows && c < cols) dst[(long long) c * rows + r] = tile[threadIdx.x][dy];
    }
}

extern "C" int sculpt_transpose(const float* in, int count, int rows, int cols, float* out, void* stream) {
    if (count <= 0 || rows <= 0 || cols <= 0) return 0;
    unsigned gx = (unsigned) ((cols + TT - 1) / TT), gy = (unsigned) ((rows + TT - 1) / TT);
    if (gy > 65535 || count > 65535) return (int) cudaErrorInvalidValue;
    transpose_kernel<<<dim3(gx, gy, count), dim3(TT, 8), 0, (cudaStream_t) stream>>>(in, rows, cols, out);
    return (int) cudaGetLastError();
}

__global__ void take_columns_kernel(const float* in, int count, int rows, int cols, int keep, float* out) {
    long long total = (long long) count * rows * keep;
    for (long long idx = blockIdx.x * (long long) blockDim.x + threadIdx.x; idx < total; idx += (long long) gridDim.x * blockDim.x) {
        long long row = idx / keep;  // global row over the batch
        int c = (int) (idx % keep);
        out[idx] = in[row * cols + c];
    }
}

extern "C" int sculpt_take_columns(const float* in, int count, int rows, int cols, int keep, float* out, void* stream) {
    long long total = (long long) count * rows * keep;
    if (total <= 0) return 0;
    take_columns_kernel<<<grid_for(total, 256), 256, 0, (cudaStream_t) stream>>>(in, count, rows, cols, keep, out);
    return (int) cudaGetLastError();
}

__global__ void diag_signs_kernel(const float* qr, int m, int n, float* signs) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j < n) signs[j] = (j < m && qr[(long long) j * m + j] < 0.0f) ? -1.0f : 1.0f;
}

extern "C" int sculpt_diag_signs(const float* qr, int m, int n, float* signs, void* stream) {
    if (n <= 0) return 0;
    diag_signs_kernel<<<(n + 255) / 256, 256, 0, (cudaStream_t) stream>>>(qr, m, n, signs);
    return (int) cudaGetLastError();
}

__global__ void scale_columns_colmajor_kernel(float* x, int m, int n, const float* s) {
    long long total = (long long) m * n;
    for (long long idx = blockIdx.x * (long long) blockDim.x + threadIdx.x; idx < total; idx += (long long) gridDim.x * blockDim.x) {
        x[idx] *= s[idx / m];
    }
}

extern "C" int sculpt_scale_columns_colmajor(float* x, int m, int n, const float* s, void* stream) {
    long long total = (long long) m * n;
    if (total <= 0) return 0;
    scale_columns_colmajor_kernel<<<grid_for(total, 256), 256, 0, (cudaStream_t) stream>>>(x, m, n, s);
    return (int) cudaGetLastError();
}
