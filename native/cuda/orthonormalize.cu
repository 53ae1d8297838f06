// CholeskyQR building blocks: the Gram matrix in double, a one-block-per-matrix Cholesky with inverse for small
// matrices, and the pivot test and float copy that finish cuSOLVER's blocked Cholesky (Dpotrf) for large ones.
// Java multiplies Y by the returned R^{-1} (or solves Y R^{-1} by cuBLAS trsm on the blocked path) and runs the
// whole thing twice (CholeskyQR2); matrices whose Gram is too ill-conditioned are flagged and re-done by
// Householder QR (cuSOLVER geqrf/orgqr).
#include "kernel_common.cuh"
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

#ifndef SCULPT_EMULATION
extern "C" int sculpt_gram(const float* y, int count, int rows, int cols, double* g, void* stream) {
    if (count <= 0 || cols <= 0) return 0;
    int nt = (cols + GRAM_TILE - 1) / GRAM_TILE;
    if (count > 65535 || nt > 65535) return (int) cudaErrorInvalidValue;
    gram_kernel<<<dim3(nt, nt, count), dim3(GRAM_TILE, GRAM_TILE), 0, (cudaStream_t) stream>>>(y, rows, cols, g);
    return (int) cudaGetLastError();
}
#endif

#define CHOL_THREADS 512

// Upper Cholesky of g (n x n, in place: R in the strict upper triangle, diag(R) in shared memory), then
// back-substitution for R^{-1} column by column (thread c owns column c, kept in the lower triangle of g).
__global__ void cholesky_inverse_kernel(double* gall, int n, double rel_tol, float* rinvall, int* fail) {
    SCULPT_DYNAMIC_SHARED(double, dg);
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

#ifndef SCULPT_EMULATION
extern "C" int sculpt_cholesky_inverse(double* g, int count, int n, double rel_tol, float* rinv, int* fail, void* stream) {
    if (count <= 0 || n <= 0) return 0;
    size_t shared = sizeof(double) * (size_t) n;
    if (shared > 48 * 1024) return (int) cudaErrorInvalidValue;
    cholesky_inverse_kernel<<<count, CHOL_THREADS, shared, (cudaStream_t) stream>>>(g, n, rel_tol, rinv, fail);
    return (int) cudaGetLastError();
}
#endif

// The blocked path: cuSOLVER's Dpotrf (lower fill, column-major) has left L, G = L L^T, in the column-major lower
// triangle of g; element i * n + j of that memory (i <= j) is L(j, i) = R[i][j], i.e. read row-major it is the upper
// factor R = L^T. The check applies cholesky_inverse_kernel's pivot test, d_j = R_jj^2 > rel_tol * max_j G_jj, with
// G_jj recovered as ||R e_j||^2 (equal to G_jj up to double rounding, which is far below rel_tol); potrf's info
// (non-zero: a pivot was not positive, the factor is incomplete) arrives in *fail, which is then overwritten by
// 0/1. A NaN or infinity anywhere in R reaches some pivot or column norm and fails the test too.
__global__ void cholesky_check_kernel(const double* g, int n, double rel_tol, int* fail) {
    __shared__ double colmax[CHOL_THREADS];
    __shared__ int failed;
    int tid = threadIdx.x;
    if (tid == 0) failed = *fail != 0;
    double mx = 0.0;
    for (int j = tid; j < n; j += blockDim.x) {
        double s = 0.0;
        for (int i = 0; i <= j; i++) {
            double x = g[(long long) i * n + j];
            s += x * x;
        }
        mx = (s > mx || s != s) ? s : mx;   // a NaN sticks
    }
    colmax[tid] = mx;
    __syncthreads();
    for (int step = blockDim.x / 2; step > 0; step >>= 1) {
        if (tid < step) {
            double o = colmax[tid + step];
            if (o > colmax[tid] || o != o) colmax[tid] = o;
        }
        __syncthreads();
    }
    double maxdiag = colmax[0];
    if (!(maxdiag > 0.0) || !isfinite(maxdiag)) {
        if (tid == 0) failed = 1;
    } else {
        for (int j = tid; j < n; j += blockDim.x) {
            double rjj = g[(long long) j * n + j];
            if (!(rjj * rjj > rel_tol * maxdiag) || !(rjj > 0.0)) failed = 1;   // also catches NaN
        }
    }
    __syncthreads();
    if (tid == 0) *fail = failed;
}

// r = R as float (row-major, zero strict lower triangle), or the identity where the check failed.
__global__ void cholesky_factor_out_kernel(const double* g, int n, const int* fail, float* r) {
    long long total = (long long) n * n;
    int failed = *fail;
    for (long long idx = (long long) blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += (long long) gridDim.x * blockDim.x) {
        int i = (int) (idx / n), j = (int) (idx % n);
        r[idx] = failed ? (i == j ? 1.0f : 0.0f) : (j >= i ? (float) g[idx] : 0.0f);
    }
}

#ifndef SCULPT_EMULATION
extern "C" int sculpt_cholesky_finish(const double* g, int n, double rel_tol, float* r, int* fail, void* stream) {
    if (n <= 0) return 0;
    cholesky_check_kernel<<<1, CHOL_THREADS, 0, (cudaStream_t) stream>>>(g, n, rel_tol, fail);
    int err = (int) cudaGetLastError();
    if (err != 0) return err;
    long long total = (long long) n * n;
    int blocks = (int) ((total + 255) / 256 < 4096 ? (total + 255) / 256 : 4096);
    cholesky_factor_out_kernel<<<blocks, 256, 0, (cudaStream_t) stream>>>(g, n, fail, r);
    return (int) cudaGetLastError();
}
#endif
