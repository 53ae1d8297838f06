#ifndef SCULPT_CUDA_H
#define SCULPT_CUDA_H
/*
 * C API of libsculpt_cuda.so, the hand-written CUDA kernels of Sculpt's GPU backend.
 * Plain C types only, so the JavaCPP JNI glue (dev.sculpt.backend.cuda.CudaKernels) compiles with g++
 * and needs no CUDA headers. Device pointers are raw (float*, double*, int*); a stream is a void*
 * (a cudaStream_t, NULL for the legacy default stream). Every function returns 0 on success or a
 * cudaError_t code; sculpt_cuda_error_string() turns it into text.
 *
 * Storage conventions: a "batch" is `count` matrices packed one after another. Unless a comment says
 * otherwise, matrices are row-major with a leading dimension equal to their column count.
 * Kernels are asynchronous on the stream; the memory-copy helpers are synchronous.
 */
#ifdef __cplusplus
extern "C" {
#endif

/* ---- device and memory ---- */
/** Number of CUDA devices in *count (0 on error); returns the cudaError_t of cudaGetDeviceCount. */
int sculpt_cuda_device_count(int* count);
/** Writes the device's name (NUL-terminated, at most len bytes) and its memory in bytes. */
int sculpt_cuda_device_info(int device, char* name, int len, long long* total_memory);
/** Text of a cudaError_t code (never NULL). */
const char* sculpt_cuda_error_string(int err);
/** CUDART_VERSION this library was built with. */
int sculpt_cuda_runtime_version(void);
/** cudaMalloc of `bytes` (at least 1); *ptr receives the device address. */
int sculpt_cuda_malloc(void** ptr, long long bytes);
int sculpt_cuda_free(void* ptr);
int sculpt_cuda_memset_zero(void* ptr, long long bytes);
/** Synchronous copies (kind: 1 host->device, 2 device->host, 3 device->device). */
int sculpt_cuda_memcpy(void* dst, const void* src, long long bytes, int kind);
int sculpt_cuda_synchronize(void);
/** cudaDriverGetVersion and cudaRuntimeGetVersion (of the libcudart loaded in the process, 1000*major + 10*minor). */
int sculpt_cuda_versions(int* driver, int* runtime);
/** Compute capability of a device. */
int sculpt_cuda_device_capability(int device, int* major, int* minor);
/** cudaMemGetInfo of the current device. */
int sculpt_cuda_mem_info(long long* free_bytes, long long* total_bytes);
/** An explicit stream (cudaStreamNonBlocking) in *stream; destroy it with sculpt_cuda_stream_destroy. */
int sculpt_cuda_stream_create(void** stream);
int sculpt_cuda_stream_destroy(void* stream);
int sculpt_cuda_stream_synchronize(void* stream);
/**
 * cudaMemcpyAsync on a stream (kind as sculpt_cuda_memcpy). From pageable host memory it returns once the source
 * has been staged (the source may then be freed); to pageable host memory it returns when the copy is done.
 */
int sculpt_cuda_memcpy_async(void* dst, const void* src, long long bytes, int kind, void* stream);
/** cudaMemsetAsync(ptr, 0, bytes, stream). */
int sculpt_cuda_memset_zero_async(void* ptr, long long bytes, void* stream);

/* ---- sketch ---- */
/**
 * out[b][r][c] = Philox Gaussian of (seed, b, r*cols + c), bit-identical to dev.sculpt.linalg.Philox.gaussian.
 */
int sculpt_philox_fill(float* out, int count, int rows, int cols, long long seed, void* stream);
/** The same numbers computed on the host by the same source (for checking the build against Java). */
float sculpt_philox_gaussian_host(long long seed, long long b, long long e);

/* ---- validation ---- */
/** flags[b] = 1 when matrix b (of `size` floats) holds a NaN or an infinity, else 0. */
int sculpt_nonfinite_flags(const float* x, int count, long long size, int* flags, void* stream);

/* ---- CholeskyQR2 and the small eigen solver (all batched, one matrix per CUDA block where it is small) ---- */
/** g[b] = y[b]^T y[b] in double (y: rows x cols row-major float, g: cols x cols). */
int sculpt_gram(const float* y, int count, int rows, int cols, double* g, void* stream);
/**
 * Upper Cholesky g = R^T R of each n x n Gram matrix (destroyed), then rinv[b] = R^{-1} (n x n row-major float,
 * upper triangular). Where a pivot falls below rel_tol * max diag(g) (ill-conditioned or rank-deficient),
 * fail[b] = 1 and rinv[b] = identity; else fail[b] = 0.
 */
int sculpt_cholesky_inverse(double* g, int count, int n, double rel_tol, float* rinv, int* fail, void* stream);
/**
 * Finishes the blocked Cholesky of one n x n Gram matrix G for CholeskyQR's large-n path, after cuSOLVER's
 * cusolverDnDpotrf with CUBLAS_FILL_MODE_LOWER on g (column-major, lda n) has written its devInfo to *fail: g then
 * holds L (G = L L^T) in its column-major lower triangle, which read row-major is the upper factor R = L^T.
 * Applies sculpt_cholesky_inverse's pivot test (R_jj^2 > rel_tol * max_j G_jj, G_jj recovered as the squared norm
 * of column j of R; a non-zero devInfo or a non-finite entry fails it) and writes r = R (n x n row-major float,
 * zero strict lower triangle) and *fail = 0, or r = identity and *fail = 1. g is not changed.
 */
int sculpt_cholesky_finish(const double* g, int n, double rel_tol, float* r, int* fail, void* stream);
/**
 * Symmetric eigen-decomposition of each n x n matrix a[b] (double, destroyed) by parallel cyclic Jacobi.
 * Writes the `keep` largest eigenvalues, descending, to values[b] (float, keep), their square roots
 * (clamped at 0) to roots[b] (float, keep; may be NULL), and their eigenvectors as the columns of
 * vectors[b] (n x keep row-major float). work: n*n doubles per matrix.
 */
int sculpt_sym_eigen(double* a, int count, int n, int keep, int max_sweeps, double* work,
                     float* values, float* roots, float* vectors, void* stream);

/**
 * For eigen-decompositions computed elsewhere (cuSOLVER syevd: values ascending in w[b] (n doubles), vectors
 * as the columns of z[b], column-major n x n double): writes the same outputs as sculpt_sym_eigen.
 */
int sculpt_eigen_select(const double* w, const double* z, int count, int n, int keep,
                        float* values, float* roots, float* vectors, void* stream);

/* ---- element-wise helpers ---- */
/** x[b][r][c] *= (s[b][c] > tiny ? 1/s[b][c] : 0) for rows x cols matrices and count x cols scales. */
int sculpt_scale_columns_inverse(float* x, int count, int rows, int cols, const float* s, float tiny, void* stream);
/** out[b] = in[b]^T: in is rows x cols row-major, out cols x rows row-major. */
int sculpt_transpose(const float* in, int count, int rows, int cols, float* out, void* stream);
/** Copies the first `keep` columns: in rows x cols, out rows x keep (both row-major). */
int sculpt_take_columns(const float* in, int count, int rows, int cols, int keep, float* out, void* stream);
/**
 * After a Householder QR of one column-major m x n matrix (geqrf output qr, ld m), records the signs of
 * diag(R) in signs (n floats: +1 or -1); sculpt_scale_columns_by (below) applies them to the explicit Q.
 */
int sculpt_diag_signs(const float* qr, int m, int n, float* signs, void* stream);
/** x (column-major m x n, ld m): column j *= s[j]. */
int sculpt_scale_columns_colmajor(float* x, int m, int n, const float* s, void* stream);

/* ---- projection ---- */
/**
 * The fused update of the subspace projection, one pass over D: d[b] -= a1[b] b1[b] + a2[b] b2t[b]^T for
 * d m x n, a1 m x k1, b1 k1 x n, a2 m x k2, b2t n x k2 (all row-major, batches packed back to back). A term
 * with k = 0 is skipped (its pointers may be null).
 */
int sculpt_project_update(float* d, int count, int m, int n, const float* a1, const float* b1, int k1,
                          const float* a2, const float* b2t, int k2, void* stream);

/* ---- training engine (forward and backward side by side; CPU references in dev.sculpt.nn and dev.sculpt.train) ---- */
/** RMSNorm rows: y = w * x / sqrt(mean(x^2) + eps); rstd[i] = 1/rms of row i (rstd may be null). */
int sculpt_rmsnorm_forward(float* y, float* rstd, const float* x, const float* w, int n, int dim, float eps, void* stream);
/** Its backward: dx (= or += when accumulate_dx; may alias dy) and dw += (dw may be null), from x and the saved rstd. */
int sculpt_rmsnorm_backward(float* dx, float* dw, const float* dy, const float* x, const float* w, const float* rstd, int n,
                            int dim, int accumulate_dx, void* stream);
/** Rotary embedding in place (HF rotate-half), rows of heads * head_dim at positions start_pos + row; backward != 0 turns back. */
int sculpt_rope(float* x, int n, int heads, int head_dim, int start_pos, const float* inv_freq, int backward, void* stream);
/** h = act(a) * b with act = silu (kind 0, SwiGLU) or gelu_new (kind 1, T5 v1.1). */
int sculpt_gated_forward(float* h, const float* a, const float* b, long long count, int kind, void* stream);
/** da = dh * b * act'(a), db = dh * act(a); da may alias a, db may alias b. */
int sculpt_gated_backward(float* da, float* db, const float* dh, const float* a, const float* b, long long count, int kind,
                          void* stream);
/** h = max(a, 0) (T5 v1.0). */
int sculpt_relu_forward(float* h, const float* a, long long count, void* stream);
/** da = dh where a > 0, else 0. */
int sculpt_relu_backward(float* da, const float* dh, const float* a, long long count, void* stream);
/** In place on p [heads, tq, tk]: scaled scores (+ bias, may be null) -> probabilities, causal mask from q_start. */
int sculpt_attention_softmax_forward(float* p, const float* bias, int heads, int tq, int tk, int q_start, int causal,
                                     void* stream);
/** ds = p * (dp - sum_j p dp) for rows of tk; ds may alias dp. */
int sculpt_attention_softmax_backward(float* ds, const float* dp, const float* p, int rows, int tk, void* stream);
/** Per-row loss (0 for target -100) and row_scale * (softmax - onehot) into dlogits (may alias logits, may be null). */
int sculpt_cross_entropy(float* dlogits, float* losses, const float* logits, const int* targets, int n, int vocab,
                         float row_scale, void* stream);
/** lse[i] = logsumexp of row i of x [n, cols] (cross-entropy's saved statistic). */
int sculpt_logsumexp_rows(float* lse, const float* x, int n, int cols, void* stream);
/**
 * Reduction of x (count floats) in double: op 0 sum, 1 sum of squares, 2 number of NaN or infinite elements.
 * Block b of `blocks` (>= 1) writes its partial result to partials[b]; the caller adds the partials.
 */
int sculpt_reduce(const float* x, long long count, int op, double* partials, int blocks, void* stream);
/**
 * *acc += (partials[0] + partials[1] + ... + partials[blocks - 1]) in double, added in that order by one thread
 * (the host's order), on the stream: keeps a sculpt_reduce result on the device. blocks >= 1.
 */
int sculpt_accumulate_partials(const double* partials, int blocks, double* acc, void* stream);
/** out[i] = table[ids[i]]. */
int sculpt_embedding_forward(float* out, const float* table, const int* ids, int n, int dim, void* stream);
/** dtable[ids[i]] += dout[i], deterministic (no atomics). */
int sculpt_embedding_backward(float* dtable, const float* dout, const int* ids, int n, int dim, void* stream);
/** AdamW: advances m and v and writes the update delta (not applied), rounding like dev.sculpt.train.AdamW. */
int sculpt_adamw(float* delta, float* m, float* v, const float* g, const float* w, long long count, float b1, float c1,
                 float b2, float c2, float step_size, float inv_sqrt_bc2, float eps, float wd, void* stream);
/**
 * dst (bfloat16 bit patterns) = src (float32) rounded to nearest even, count elements; NaN stays NaN, overflow
 * rounds to Inf (bit for bit dev.sculpt.ops.Bf16.fromFloat).
 */
int sculpt_convert_f32_to_bf16(unsigned short* dst, const float* src, long long count, void* stream);
/** dst (float32) = src (bfloat16 bit patterns), exact. */
int sculpt_convert_bf16_to_f32(float* dst, const unsigned short* src, long long count, void* stream);

#ifdef __cplusplus
}
#endif
#endif
