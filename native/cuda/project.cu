// The fused update of the subspace projection: one read-modify-write pass over D for both rank-k terms,
//   D[b] -= A1[b] B1[b] + A2[b] B2t[b]^T
// with A1 (m x k1) and B1 (k1 x n) the left term U (U^T D)' and A2 (m x k2), B2t (n x k2) the right term
// (D V) V^T. Either term may be absent (k = 0). cuBLAS computes the thin products U^T D and D V (large,
// compute-bound GEMMs); this kernel replaces the two beta = 1 GEMMs that would each read and write all of D.
//
// Tiling: a block owns a 64 x 64 tile of D, 256 threads each accumulate 4 x 4 outputs in registers (rows
// ty + 16 i, columns tx + 16 j: shared-memory reads are broadcasts along A and consecutive along B, and the
// global writes are coalesced). K is walked in chunks of 16, each operand staged through shared memory with
// a coalesced load pattern of its own layout.
#include "kernel_common.cuh"
#include "sculpt_cuda.h"

#define PROJ_TILE 64
#define PROJ_KC 16
#define PROJ_T 16
// Shared rows padded by one float: the transposing loads (k fastest across threads) then hit 16 different banks.
#define PROJ_LD (PROJ_TILE + 1)

// One chunk of K of an operand stored rows x k row-major (A1, A2, and B2t whose rows are D's columns), into
// tile[kk][row] for rows r0..r0+63; each of the 256 threads loads 4 elements.
__device__ __forceinline__ void proj_load_k_fastest(const float* x, int rows, int k, int r0, int k0,
                                                    float (*tile)[PROJ_LD], int t) {
    for (int e = 0; e < 4; e++) {
        int idx = t + 256 * e;           // 64 rows x 16 k, k fastest: consecutive threads read consecutive k
        int row = idx / PROJ_KC, kk = idx % PROJ_KC;
        int gr = r0 + row, gk = k0 + kk;
        tile[kk][row] = (gr < rows && gk < k) ? x[(long long) gr * k + gk] : 0.0f;
    }
}

// B1 is k x n row-major: 16 k x 64 columns, columns fastest, into bs[kk][col].
__device__ __forceinline__ void proj_load_b_rows(const float* b, int n, int k, int c0, int k0,
                                                 float (*bs)[PROJ_LD], int t) {
    for (int e = 0; e < 4; e++) {
        int idx = t + 256 * e;
        int kk = idx / PROJ_TILE, col = idx % PROJ_TILE;
        int gk = k0 + kk, gc = c0 + col;
        bs[kk][col] = (gk < k && gc < n) ? b[(long long) gk * n + gc] : 0.0f;
    }
}

__device__ __forceinline__ void proj_accumulate(float (*as)[PROJ_LD], float (*bs)[PROJ_LD], int tx, int ty,
                                                float acc[4][4]) {
    for (int kk = 0; kk < PROJ_KC; kk++) {
        float av[4], bv[4];
        for (int i = 0; i < 4; i++) av[i] = as[kk][ty + PROJ_T * i];
        for (int j = 0; j < 4; j++) bv[j] = bs[kk][tx + PROJ_T * j];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) acc[i][j] += av[i] * bv[j];
    }
}

// acc += A X over K for one term: A (m x k) always k-fastest; X is B1 (k x n, rows) when B_ROWS, else B2t
// (n x k, k-fastest). A term with k = 0 adds nothing.
template <bool B_ROWS>
__device__ __forceinline__ void proj_add_term(const float* a, const float* x, int m, int n, int k, int r0, int c0,
                                              float (*as)[PROJ_LD], float (*bs)[PROJ_LD], int t, float acc[4][4]) {
    for (int k0 = 0; k0 < k; k0 += PROJ_KC) {
        proj_load_k_fastest(a, m, k, r0, k0, as, t);
        if (B_ROWS) proj_load_b_rows(x, n, k, c0, k0, bs, t);
        else proj_load_k_fastest(x, n, k, c0, k0, bs, t);
        __syncthreads();
        proj_accumulate(as, bs, t % PROJ_T, t / PROJ_T, acc);
        __syncthreads();
    }
}

__global__ void project_update_kernel(float* dall, int m, int n, const float* a1all, const float* b1all, int k1,
                                      const float* a2all, const float* b2tall, int k2) {
    __shared__ float as[PROJ_KC][PROJ_LD];
    __shared__ float bs[PROJ_KC][PROJ_LD];
    long long b = blockIdx.z;
    float* d = dall + b * m * n;
    int tx = threadIdx.x, ty = threadIdx.y, t = ty * PROJ_T + tx;
    int r0 = blockIdx.y * PROJ_TILE, c0 = blockIdx.x * PROJ_TILE;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;
    proj_add_term<true>(a1all + b * m * k1, b1all + b * k1 * n, m, n, k1, r0, c0, as, bs, t, acc);
    proj_add_term<false>(a2all + b * m * k2, b2tall + b * n * k2, m, n, k2, r0, c0, as, bs, t, acc);
    for (int i = 0; i < 4; i++) {
        int r = r0 + ty + PROJ_T * i;
        if (r >= m) continue;
        for (int j = 0; j < 4; j++) {
            int c = c0 + tx + PROJ_T * j;
            if (c < n) d[(long long) r * n + c] -= acc[i][j];
        }
    }
}

#ifndef SCULPT_EMULATION
extern "C" int sculpt_project_update(float* d, int count, int m, int n, const float* a1, const float* b1, int k1,
                                     const float* a2, const float* b2t, int k2, void* stream) {
    if (count <= 0 || m <= 0 || n <= 0 || (k1 <= 0 && k2 <= 0)) return 0;
    if (k1 < 0 || k2 < 0 || (k1 > 0 && (a1 == nullptr || b1 == nullptr)) || (k2 > 0 && (a2 == nullptr || b2t == nullptr)))
        return (int) cudaErrorInvalidValue;
    unsigned gx = (unsigned) ((n + PROJ_TILE - 1) / PROJ_TILE), gy = (unsigned) ((m + PROJ_TILE - 1) / PROJ_TILE);
    if (count > 65535 || gy > 65535) return (int) cudaErrorInvalidValue;
    project_update_kernel<<<dim3(gx, gy, count), dim3(PROJ_T, PROJ_T), 0, (cudaStream_t) stream>>>(
        d, m, n, a1, b1, k1 > 0 ? k1 : 0, a2, b2t, k2 > 0 ? k2 : 0);
    return (int) cudaGetLastError();
}
#endif
