package dev.sculpt.ops.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JNI binding of libsculpt_cuda_emulated.so: the training engine's CUDA sources (native/cuda/engine_*.cu, the
 * kernels and their host launch wrappers with their launch configurations) compiled by g++ under the
 * thread-emulation shim (native/test/cuda_emulation.h). Same C API as the engine section of
 * native/include/sculpt_cuda.h (and the same signatures as {@code backend.cuda.CudaKernels}); "device" pointers
 * are host addresses, streams are ignored, and every launch has finished when the call returns. Every function
 * returns 0 or a cudaError_t code (1 invalid value, 9 invalid launch configuration).
 *
 * <p>Built by cmake/build-native.sh where CMake and g++ exist. Never touch this class before
 * {@link CudaEmulatedLibrary#loaded()} said yes: a failed static initializer sticks for the JVM's life.
 */
@Platform(include = "sculpt_cuda.h", link = "sculpt_cuda_emulated")
public final class CudaEmulatedKernels {
    static {
        Loader.load();
    }

    private CudaEmulatedKernels() {}

    public static native int sculpt_rmsnorm_forward(@Cast("float*") long y, @Cast("float*") long rstd, @Cast("const float*") long x,
                                                    @Cast("const float*") long w, int n, int dim, float eps, @Cast("void*") long stream);
    public static native int sculpt_rmsnorm_backward(@Cast("float*") long dx, @Cast("float*") long dw, @Cast("const float*") long dy,
                                                     @Cast("const float*") long x, @Cast("const float*") long w, @Cast("const float*") long rstd,
                                                     int n, int dim, int accumulateDx, @Cast("void*") long stream);
    public static native int sculpt_rope(@Cast("float*") long x, int n, int heads, int headDim, int startPos, @Cast("const float*") long invFreq,
                                         int backward, @Cast("void*") long stream);
    public static native int sculpt_gated_forward(@Cast("float*") long h, @Cast("const float*") long a, @Cast("const float*") long b, long count,
                                                  int kind, @Cast("void*") long stream);
    public static native int sculpt_gated_backward(@Cast("float*") long da, @Cast("float*") long db, @Cast("const float*") long dh,
                                                   @Cast("const float*") long a, @Cast("const float*") long b, long count, int kind,
                                                   @Cast("void*") long stream);
    public static native int sculpt_relu_forward(@Cast("float*") long h, @Cast("const float*") long a, long count, @Cast("void*") long stream);
    public static native int sculpt_relu_backward(@Cast("float*") long da, @Cast("const float*") long dh, @Cast("const float*") long a, long count,
                                                  @Cast("void*") long stream);
    public static native int sculpt_attention_softmax_forward(@Cast("float*") long p, @Cast("const float*") long bias, int heads, int tq, int tk,
                                                              int qStart, int causal, @Cast("void*") long stream);
    public static native int sculpt_attention_softmax_backward(@Cast("float*") long ds, @Cast("const float*") long dp, @Cast("const float*") long p,
                                                               int rows, int tk, @Cast("void*") long stream);
    public static native int sculpt_cross_entropy(@Cast("float*") long dlogits, @Cast("float*") long losses, @Cast("const float*") long logits,
                                                  @Cast("const int*") long targets, int n, int vocab, float rowScale, @Cast("void*") long stream);
    public static native int sculpt_logsumexp_rows(@Cast("float*") long lse, @Cast("const float*") long x, int n, int cols, @Cast("void*") long stream);
    public static native int sculpt_reduce(@Cast("const float*") long x, long count, int op, @Cast("double*") long partials, int blocks,
                                           @Cast("void*") long stream);
    public static native int sculpt_accumulate_partials(@Cast("const double*") long partials, int blocks, @Cast("double*") long acc,
                                                        @Cast("void*") long stream);
    public static native int sculpt_embedding_forward(@Cast("float*") long out, @Cast("const float*") long table, @Cast("const int*") long ids,
                                                      int n, int dim, @Cast("void*") long stream);
    public static native int sculpt_embedding_backward(@Cast("float*") long dtable, @Cast("const float*") long dout, @Cast("const int*") long ids,
                                                       int n, int dim, @Cast("void*") long stream);
    public static native int sculpt_adamw(@Cast("float*") long delta, @Cast("float*") long m, @Cast("float*") long v, @Cast("const float*") long g,
                                          @Cast("const float*") long w, long count, float b1, float c1, float b2, float c2, float stepSize,
                                          float invSqrtBc2, float eps, float wd, @Cast("void*") long stream);
    public static native int sculpt_convert_f32_to_bf16(@Cast("unsigned short*") long dst, @Cast("const float*") long src, long count,
                                                        @Cast("void*") long stream);
    public static native int sculpt_convert_bf16_to_f32(@Cast("float*") long dst, @Cast("const unsigned short*") long src, long count,
                                                        @Cast("void*") long stream);
}
