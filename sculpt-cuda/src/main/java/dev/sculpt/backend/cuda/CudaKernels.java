package dev.sculpt.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of libsculpt_cuda.so (native/include/sculpt_cuda.h), the hand-written CUDA kernels. Device
 * pointers and streams travel as raw addresses ({@code long}); every function returns 0 or a cudaError_t code.
 *
 * <p>The JNI library is built by cmake/build-native.sh only where nvcc exists. libsculpt_cuda.so links the shared
 * CUDA runtime (libcudart.so.13); {@link CudaProbe} loads the org.bytedeco preset's cudart first, so that both bind
 * to one runtime. Never touch this class before {@link CudaProbe} has loaded it successfully: a failed static
 * initializer sticks for the JVM's life.
 */
@Platform(include = "sculpt_cuda.h", link = "sculpt_cuda")
public final class CudaKernels {
    static {
        Loader.load();
    }

    private CudaKernels() {}

    public static final int H2D = 1;
    public static final int D2H = 2;
    public static final int D2D = 3;

    public static native int sculpt_cuda_device_count(int[] count);
    public static native int sculpt_cuda_device_info(int device, @Cast("char*") BytePointer name, int len, @Cast("long long*") long[] totalMemory);
    public static native @Cast("const char*") BytePointer sculpt_cuda_error_string(int err);
    public static native int sculpt_cuda_runtime_version();
    public static native int sculpt_cuda_malloc(@Cast("void**") long[] ptr, long bytes);
    public static native int sculpt_cuda_free(@Cast("void*") long ptr);
    public static native int sculpt_cuda_memset_zero(@Cast("void*") long ptr, long bytes);
    public static native int sculpt_cuda_memcpy(@Cast("void*") long dst, @Cast("const void*") long src, long bytes, int kind);
    public static native int sculpt_cuda_synchronize();
    public static native int sculpt_cuda_versions(int[] driver, int[] runtime);
    public static native int sculpt_cuda_device_capability(int device, int[] major, int[] minor);
    public static native int sculpt_cuda_mem_info(@Cast("long long*") long[] free, @Cast("long long*") long[] total);
    public static native int sculpt_cuda_stream_create(@Cast("void**") long[] stream);
    public static native int sculpt_cuda_stream_destroy(@Cast("void*") long stream);
    public static native int sculpt_cuda_stream_synchronize(@Cast("void*") long stream);
    public static native int sculpt_cuda_memcpy_async(@Cast("void*") long dst, @Cast("const void*") long src, long bytes, int kind, @Cast("void*") long stream);
    public static native int sculpt_cuda_memset_zero_async(@Cast("void*") long ptr, long bytes, @Cast("void*") long stream);

    public static native int sculpt_philox_fill(@Cast("float*") long out, int count, int rows, int cols, long seed, @Cast("void*") long stream);
    public static native float sculpt_philox_gaussian_host(long seed, long b, long e);

    public static native int sculpt_nonfinite_flags(@Cast("const float*") long x, int count, long size, @Cast("int*") long flags, @Cast("void*") long stream);

    public static native int sculpt_gram(@Cast("const float*") long y, int count, int rows, int cols, @Cast("double*") long g, @Cast("void*") long stream);
    public static native int sculpt_cholesky_inverse(@Cast("double*") long g, int count, int n, double relTol, @Cast("float*") long rinv,
                                                     @Cast("int*") long fail, @Cast("void*") long stream);
    public static native int sculpt_cholesky_finish(@Cast("const double*") long g, int n, double relTol, @Cast("float*") long r,
                                                    @Cast("int*") long fail, @Cast("void*") long stream);
    public static native int sculpt_sym_eigen(@Cast("double*") long a, int count, int n, int keep, int maxSweeps, @Cast("double*") long work,
                                              @Cast("float*") long values, @Cast("float*") long roots, @Cast("float*") long vectors,
                                              @Cast("void*") long stream);
    public static native int sculpt_eigen_select(@Cast("const double*") long w, @Cast("const double*") long z, int count, int n, int keep,
                                                 @Cast("float*") long values, @Cast("float*") long roots, @Cast("float*") long vectors,
                                                 @Cast("void*") long stream);

    public static native int sculpt_scale_columns_inverse(@Cast("float*") long x, int count, int rows, int cols, @Cast("const float*") long s,
                                                          float tiny, @Cast("void*") long stream);
    public static native int sculpt_transpose(@Cast("const float*") long in, int count, int rows, int cols, @Cast("float*") long out,
                                              @Cast("void*") long stream);
    public static native int sculpt_take_columns(@Cast("const float*") long in, int count, int rows, int cols, int keep, @Cast("float*") long out,
                                                 @Cast("void*") long stream);
    public static native int sculpt_diag_signs(@Cast("const float*") long qr, int m, int n, @Cast("float*") long signs, @Cast("void*") long stream);
    public static native int sculpt_scale_columns_colmajor(@Cast("float*") long x, int m, int n, @Cast("const float*") long s, @Cast("void*") long stream);

    public static native int sculpt_project_update(@Cast("float*") long d, int count, int m, int n, @Cast("const float*") long a1,
                                                   @Cast("const float*") long b1, int k1, @Cast("const float*") long a2,
                                                   @Cast("const float*") long b2t, int k2, @Cast("void*") long stream);

    // training engine kernels (native/cuda/engine_*.cu)
    public static native int sculpt_rmsnorm_forward(@Cast("float*") long y, @Cast("float*") long rstd, @Cast("const float*") long x, @Cast("const float*") long w, int n, int dim, float eps, @Cast("void*") long stream);
    public static native int sculpt_rmsnorm_backward(@Cast("float*") long dx, @Cast("float*") long dw, @Cast("const float*") long dy, @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long rstd, int n, int dim,
                                                     int accumulateDx, @Cast("void*") long stream);
    public static native int sculpt_rope(@Cast("float*") long x, int n, int heads, int headDim, int startPos, @Cast("const float*") long invFreq, int backward, @Cast("void*") long stream);
    public static native int sculpt_gated_forward(@Cast("float*") long h, @Cast("const float*") long a, @Cast("const float*") long b, long count, int kind, @Cast("void*") long stream);
    public static native int sculpt_gated_backward(@Cast("float*") long da, @Cast("float*") long db, @Cast("const float*") long dh, @Cast("const float*") long a, @Cast("const float*") long b, long count, int kind, @Cast("void*") long stream);
    public static native int sculpt_relu_forward(@Cast("float*") long h, @Cast("const float*") long a, long count, @Cast("void*") long stream);
    public static native int sculpt_relu_backward(@Cast("float*") long da, @Cast("const float*") long dh, @Cast("const float*") long a, long count, @Cast("void*") long stream);
    public static native int sculpt_attention_softmax_forward(@Cast("float*") long p, @Cast("const float*") long bias, int heads, int tq, int tk, int qStart, int causal,
                                                              @Cast("void*") long stream);
    public static native int sculpt_attention_softmax_backward(@Cast("float*") long ds, @Cast("const float*") long dp, @Cast("const float*") long p, int rows, int tk, @Cast("void*") long stream);
    public static native int sculpt_cross_entropy(@Cast("float*") long dlogits, @Cast("float*") long losses, @Cast("const float*") long logits, @Cast("const int*") long targets, int n, int vocab,
                                                  float rowScale, @Cast("void*") long stream);
    public static native int sculpt_logsumexp_rows(@Cast("float*") long lse, @Cast("const float*") long x, int n, int cols, @Cast("void*") long stream);
    public static native int sculpt_reduce(@Cast("const float*") long x, long count, int op, @Cast("double*") long partials, int blocks, @Cast("void*") long stream);
    public static native int sculpt_accumulate_partials(@Cast("const double*") long partials, int blocks, @Cast("double*") long acc, @Cast("void*") long stream);
    public static native int sculpt_embedding_forward(@Cast("float*") long out, @Cast("const float*") long table, @Cast("const int*") long ids, int n, int dim, @Cast("void*") long stream);
    public static native int sculpt_embedding_backward(@Cast("float*") long dtable, @Cast("const float*") long dout, @Cast("const int*") long ids, int n, int dim, @Cast("void*") long stream);
    public static native int sculpt_adamw(@Cast("float*") long delta, @Cast("float*") long m, @Cast("float*") long v, @Cast("const float*") long g, @Cast("const float*") long w, long count, float b1, float c1, float b2,
                                          float c2, float stepSize, float invSqrtBc2, float eps, float wd, @Cast("void*") long stream);
    public static native int sculpt_convert_f32_to_bf16(@Cast("unsigned short*") long dst, @Cast("const float*") long src, long count, @Cast("void*") long stream);
    public static native int sculpt_convert_bf16_to_f32(@Cast("float*") long dst, @Cast("const unsigned short*") long src, long count, @Cast("void*") long stream);
}
