// Batched symmetric eigen-decomposition of small Gram matrices (the projected problem of the randomized SVD):
// parallel cyclic Jacobi in double, one CUDA block per matrix, round-robin pairing so that n/2 disjoint
// rotations run at once. The Java side sends larger matrices to cuSOLVER syevd and uses sculpt_eigen_select.
#include "block_reduce.cuh"
#include "sculpt_cuda.h"

#define EIG_THREADS 512

// Round-robin ("circle") pairing of L (even) indices: over rounds 0..L-2 every unordered pair meets once.
__device__ __forceinline__ void rr_pair(int i, int round, int L, int* p, int* q) {
    int a = i == 0 ? 0 : 1 + (i - 1 + round) % (L - 1);
    int j = L - 1 - i;
    int b = 1 + (j - 1 + round) % (L - 1);
    *p = min(a, b);
    *q = max(a, b);
}

// Writes the keep largest (value, vector) pairs given values at val[i * vstride] and vector i's element j at
// vec[i * ci + j * cj].
__device__ void select_top(const double* val, int vstride, const double* vec, long long ci, long long cj, int n, int keep,
                           int* rank, float* values, float* roots, float* vectors) {
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        double vi = val[(long long) i * vstride];
        int r = 0;
        for (int j = 0; j < n; j++) {
            double vj = val[(long long) j * vstride];
            if (vj > vi || (vj == vi && j < i)) r++;
        }
        rank[i] = r;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        int r = rank[i];
        if (r < keep) {
            double v = val[(long long) i * vstride];
            values[r] = (float) v;
            if (roots != NULL) roots[r] = (float) sqrt(fmax(v, 0.0));
        }
    }
    for (long long idx = threadIdx.x; idx < (long long) n * n; idx += blockDim.x) {
        int i = (int) (idx / n), j = (int) (idx % n);  // vector i, element j
        int r = rank[i];
        if (r < keep) vectors[(long long) j * keep + r] = (float) vec[i * ci + j * cj];
    }
}

__global__ void jacobi_kernel(double* aall, int n, int keep, int max_sweeps, double* vall,
                              float* valall, float* rootall, float* vecall) {
    SCULPT_DYNAMIC_SHARED(double, sh);          // cs: L/2 (c, s) pairs; later reused as the rank array
    __shared__ double scratch[EIG_THREADS];
    __shared__ int stop;
    int b = blockIdx.x, tid = threadIdx.x;
    double* a = aall + (long long) b * n * n;
    double* v = vall + (long long) b * n * n;
    int L = n + (n & 1), half = L / 2;
    double* cs = sh;
    for (long long idx = tid; idx < (long long) n * n; idx += blockDim.x) v[idx] = (idx / n == idx % n) ? 1.0 : 0.0;
    __syncthreads();
    for (int sweep = 0; sweep < max_sweeps; sweep++) {
        double off = 0.0, all = 0.0;
        for (long long idx = tid; idx < (long long) n * n; idx += blockDim.x) {
            double x = a[idx] * a[idx];
            all += x;
            if (idx / n != idx % n) off += x;
        }
        off = block_sum(off, scratch);
        all = block_sum(all, scratch);
        if (tid == 0) stop = !(off > 1e-28 * all);  // relative off-diagonal norm below 1e-14 (or NaN)
        __syncthreads();
        if (stop) break;
        for (int round = 0; round < L - 1; round++) {
            for (int i = tid; i < half; i += blockDim.x) {
                int p, q;
                rr_pair(i, round, L, &p, &q);
                double c = 1.0, s = 0.0;
                if (q < n) {
                    double apq = a[(long long) p * n + q];
                    if (apq != 0.0) {
                        double app = a[(long long) p * n + p], aqq = a[(long long) q * n + q];
                        double theta = (aqq - app) / (2.0 * apq);
                        double t = fabs(theta) > 1e150 ? 0.5 / theta
                                 : (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1.0));
                        c = 1.0 / sqrt(t * t + 1.0);
                        s = t * c;
                    }
                }
                cs[2 * i] = c;
                cs[2 * i + 1] = s;
            }
            __syncthreads();
            // rows: a <- J^T a
            for (long long idx = tid; idx < (long long) half * n; idx += blockDim.x) {
                int i = (int) (idx / n), j = (int) (idx % n);
                double s = cs[2 * i + 1];
                if (s == 0.0) continue;
                double c = cs[2 * i];
                int p, q;
                rr_pair(i, round, L, &p, &q);
                double x = a[(long long) p * n + j], y = a[(long long) q * n + j];
                a[(long long) p * n + j] = c * x - s * y;
                a[(long long) q * n + j] = s * x + c * y;
            }
            __syncthreads();
            // columns: a <- a J, v <- v J
            for (long long idx = tid; idx < (long long) half * n; idx += blockDim.x) {
                int i = (int) (idx / n), j = (int) (idx % n);
                double s = cs[2 * i + 1];
                if (s == 0.0) continue;
                double c = cs[2 * i];
                int p, q;
                rr_pair(i, round, L, &p, &q);
                double x = a[(long long) j * n + p], y = a[(long long) j * n + q];
                a[(long long) j * n + p] = c * x - s * y;
                a[(long long) j * n + q] = s * x + c * y;
                x = v[(long long) j * n + p];
                y = v[(long long) j * n + q];
                v[(long long) j * n + p] = c * x - s * y;
                v[(long long) j * n + q] = s * x + c * y;
            }
            __syncthreads();
        }
    }
    __syncthreads();
    // eigenvalue i is a[i][i]; its vector is column i of v: element j at v[j * n + i]
    select_top(a, n + 1, v, 1, n, n, keep, (int*) sh, valall + (long long) b * keep,
               rootall == NULL ? NULL : rootall + (long long) b * keep, vecall + (long long) b * n * keep);
}

#ifndef SCULPT_EMULATION
extern "C" int sculpt_sym_eigen(double* a, int count, int n, int keep, int max_sweeps, double* work,
                                float* values, float* roots, float* vectors, void* stream) {
    if (count <= 0 || n <= 0) return 0;
    if (keep < 1 || keep > n) return (int) cudaErrorInvalidValue;
    int L = n + (n & 1);
    size_t shared = sizeof(double) * (size_t) L;  // L/2 (c, s) pairs; >= n ints for the ranks
    if (shared > 48 * 1024) return (int) cudaErrorInvalidValue;
    jacobi_kernel<<<count, EIG_THREADS, shared, (cudaStream_t) stream>>>(a, n, keep, max_sweeps, work, values, roots, vectors);
    return (int) cudaGetLastError();
}
#endif

__global__ void eigen_select_kernel(const double* w, const double* z, int n, int keep, float* values, float* roots, float* vectors) {
    SCULPT_DYNAMIC_SHARED(int, rank);
    int b = blockIdx.x;
    // column-major z: vector i's element j at z[i * n + j]
    select_top(w + (long long) b * n, 1, z + (long long) b * n * n, n, 1, n, keep, rank, values + (long long) b * keep,
               roots == NULL ? NULL : roots + (long long) b * keep, vectors + (long long) b * n * keep);
}

#ifndef SCULPT_EMULATION
extern "C" int sculpt_eigen_select(const double* w, const double* z, int count, int n, int keep,
                                   float* values, float* roots, float* vectors, void* stream) {
    if (count <= 0 || n <= 0) return 0;
    if (keep < 1 || keep > n) return (int) cudaErrorInvalidValue;
    size_t shared = sizeof(int) * (size_t) n;
    if (shared > 48 * 1024) return (int) cudaErrorInvalidValue;
    eigen_select_kernel<<<count, 256, shared, (cudaStream_t) stream>>>(w, z, n, keep, values, roots, vectors);
    return (int) cudaGetLastError();
}
#endif
