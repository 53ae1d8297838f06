// CholeskyQR building blocks: the Gram matrix in double and a one-block-per-matrix Cholesky with inverse.
// Java multiplies Y by the returned R^{-1} with cuBLAS and runs the whole thing twice (CholeskyQR2); matrices
// whose Gram is too ill-conditioned are flagged and re-done by Householder QR (cuSOLVER geqrf/orgqr).
#include <cuda_runtime.h>
#include "sculpt_cuda.h"

#define GRAM_TILE 16
#define GRAM_CHUNK 32

// g = y^T y for y rows x cols (row-major float); one 16 x 16 tile of g per block, upper tiles only, mirrored.
__global__ void gram_kernel(const float* y, int rows, int cols, double* g) {
    int ti = blockIdx.x, tj = blockIdx.y;
    if (tj < ti) return;
    const float* m = y + (long long) blockIdx.z * rows * cols;
    double* out = g + (long long) blockIdx.z * cols * cols;
    __shared__ double a[GRAM_CHUNK][GRAM_TILE];
    __shared__ double bt[GRAM_CHUNK][GRAM_TILE];
    int tx = threadIdx.x, ty = threadIdx.y;  // tx: column within tile j, ty: column within tile i
    int i = ti * GRAM_TILE + ty, j = tj * GRAM_TILE + tx;
    double acc = 0.0;
    for (int r0 = 0; r0 < rows; r0 += GRAM_CHUNK) {
        for (int t = ty; t < GRAM_CHUNK; t += GRAM_TILE) {
            int r = r0 + t;
            int ci = ti * GRAM_TILE + tx, cj = tj * GRAM_TILE + tx;
            a[t][tx] = (r < rows && ci < cols) ? (double) m[(long long) r * cols + ci] : 0.0;
            bt[t][tx] = (r < rows && cj < cols) ? (double) m[(long long) r * cols + cj] : 0.0;
        }
        __syncthreads();
        for (int t = 0; t < GRAM_CHUNK; t++) acc += a[t][ty] * bt[t][tx];
        __syncthreads();
    }
    if (i < cols && j < cols) {
        out[(long long) i * cols + j] = acc;
        out[(long long) j * cols + i] = acc;
    }
}

extern "C" int sculpt_gram(const float* y, int count, int rows, int cols, double* g, void* stream) {
    if (count <= 0 || cols <= 0) return 0;
    int nt = (cols + GRAM_TILE - 1) / GRAM_TILE;
    if (count > 65535 || nt > 65535) return (int) cudaErrorInvalidValue;
    gram_kernel<<<dim3(nt, nt, count), dim3(GRAM_TILE, GRAM_TILE), 0, (cudaStream_t) stream>>>(y, rows, cols, g);
    return (int) cudaGetLastError();
}

#define CHOL_THREADS 512

// Upper Cholesky of g (n x n, in place: R in the strict upper triangle, diag(R) in shared memory), then
// back-substitution for R^{-1} column by column (thread c owns column c, kept in the lower triangle of g).
__global__ void cholesky_inverse_kernel(double* gall, int n, double rel_tol, float* rinvall, int* fail) {
    extern __shared__ double dg[];
    __shared__ double maxdiag;
    __shared__ int failed;
    double* g = gall + (long long) blockIdx.x * n * n;
    float* rinv = rinvall + (long long) blockIdx.x * n * n;
    int tid = threadIdx.x;
    if (tid == 0) {
        double mx = 0.0;
        for (int i = 0; i < n; i++) mx = fmax(mx, g[(long long) i * n + i]);
        maxdiag = mx;
        failed = !(mx > 0.0) || !isfinite(mx);
    }
    __syncthreads();
    for (int j = 0; j < n && !failed; j++) {
        double d = g[(long long) j * n + j];
        if (!(d > rel_tol * maxdiag)) {  // also catches NaN
            __syncthreads();
            if (tid == 0) failed = 1;
            __syncthreads();
            break;
        }
        double rjj = sqrt(d);
        for (int c = j + 1 + tid; c < n; c += blockDim.x) g[(long long) j * n + c] /= rjj;
        if (tid == 0) dg[j] = rjj;
        __syncthreads();
        // trailing update of the upper triangle: g[a][c] -= r[j][a] r[j][c], j < a <= c
        int t = n - j - 1;
        long long cells = (long long) t * t;
        for (long long idx = tid; idx < cells; idx += blockDim.x) {
            int a = j + 1 + (int) (idx / t), c = j + 1 + (int) (idx % t);
            if (c >= a) g[(long long) a * n + c] -= g[(long long) j * n + a] * g[(long long) j * n + c];
        }
        __syncthreads();
    }
    __syncthreads();
    if (failed) {
        for (long long idx = tid; idx < (long long) n * n; idx += blockDim.x) {
            int r = (int) (idx / n), c = (int) (idx % n);
            rinv[idx] = r == c ? 1.0f : 0.0f;
        }
        if (tid == 0) fail[blockIdx.x] = 1;
        return;
    }
    // x = R^{-1}: x[i][c] for i <= c stored at g[c][i]
    for (int c = tid; c < n; c += blockDim.x) {
        double* x = g + (long long) c * n;
        x[c] = 1.0 / dg[c];
        for (int i = c - 1; i >= 0; i--) {
            double s = 0.0;
            const double* ri = g + (long long) i * n;
            for (int t = i + 1; t <= c; t++) s += ri[t] * x[t];
            x[i] = -s / dg[i];
        }
    }
    __syncthreads();
    for (long long idx = tid; idx < (long long) n * n; idx += blockDim.x) {
        int r = (int) (idx / n), c = (int) (idx % n);
        rinv[idx] = r <= c ? (float) g[(long long) c * n + r] : 0.0f;
    }
    if (tid == 0) fail[blockIdx.x] = 0;
}

extern "C" int sculpt_cholesky_inverse(double* g, int count, int n, double rel_tol, float* rinv, int* fail, void* stream) {
    if (count <= 0 || n <= 0) return 0;
    size_t shared = sizeof(double) * (size_t) n;
    if (shared > 48 * 1024) return (int) cudaErrorInvalidValue;
    cholesky_inverse_kernel<<<count, CHOL_THREADS, shared, (cudaStream_t) stream>>>(g, n, rel_tol, rinv, fail);
    return (int) cudaGetLastError();
}
