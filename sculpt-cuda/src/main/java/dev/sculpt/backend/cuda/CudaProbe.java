package dev.sculpt.backend.cuda;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;

/**
 * Whether CUDA is usable in this JVM, probed once and cached (a failed first load of a JavaCPP class sticks for the
 * JVM's life, so nothing touches {@link CudaKernels} or the cuda preset before this probe said yes). Not itself a
 * JavaCPP class, so a failed probe leaves it usable. Used by the CUDA backend and the {@code cuda} ops provider.
 *
 * <p>Load order, which makes one CUDA runtime in the process: the org.bytedeco preset's cudart binding first
 * (it needs the driver's libcuda.so.1 and libcudart.so.13 from the CUDA 13 toolkit or its redistributable
 * libraries), then libsculpt_cuda.so, whose {@code DT_NEEDED libcudart.so.13} the dynamic loader resolves to the
 * runtime already loaded (same soname), then cuBLAS and cuSOLVER. Each step that fails gives the reason.
 *
 * <p>Requirements checked: an NVIDIA driver supporting CUDA 13.0 or newer (the 580 series; CUDA 13.x runtimes run
 * on it by minor-version compatibility), a device of compute capability 8.0 or higher (the library carries sm_80
 * and sm_90 code and compute_90 PTX).
 */
public final class CudaProbe {
    /** cudaDriverGetVersion of the oldest driver this build supports: CUDA 13.0 (driver 580). */
    public static final int MIN_DRIVER_CUDA_VERSION = 13000;
    /** Oldest compute capability the library carries code for (sm_80). */
    public static final int MIN_COMPUTE_CAPABILITY = 80;

    private CudaProbe() {}

    private static final class Result {
        static final String REASON;
        static final String DESCRIPTION;

        static {
            String[] r = probe();
            REASON = r[0];
            DESCRIPTION = r[1];
        }
    }

    /** Whether a device, a recent enough driver, the CUDA libraries and libsculpt_cuda.so are all usable here. */
    public static boolean usable() {
        return Result.REASON == null;
    }

    /** What is missing (null when {@link #usable()}). */
    public static String unavailableReason() {
        return Result.REASON;
    }

    /** "CUDA device 0 of 1: NVIDIA H200, 139 GiB, compute 9.0, driver CUDA 13.0, runtime 13.0" (null when unusable). */
    public static String description() {
        return Result.DESCRIPTION;
    }

    private static String version(int v) {
        return (v / 1000) + "." + (v % 1000) / 10;
    }

    /** {reason or null, description or null}. */
    private static String[] probe() {
        if (Boolean.getBoolean("sculpt.cuda.disable") || "0".equals(System.getenv("SCULPT_CUDA"))) {
            return new String[] {"CUDA disabled by -Dsculpt.cuda.disable=true or SCULPT_CUDA=0", null};
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cudart.class);
        } catch (Throwable t) {
            return new String[] {presetFailure(t), null};
        }
        try {
            Loader.load(CudaKernels.class);
        } catch (Throwable t) {
            return new String[] {"the CUDA kernel library (libjniCudaKernels.so + libsculpt_cuda.so, built only where nvcc, "
                    + "cmake and g++ exist) is missing from this build or does not load: " + t, null};
        }
        int[] driver = new int[1], runtime = new int[1];
        int err = CudaKernels.sculpt_cuda_versions(driver, runtime);
        if (err != 0) return new String[] {"cannot query the CUDA driver and runtime versions: " + Cuda.errorString(err) + " (cudaError " + err + ")", null};
        if (driver[0] == 0) return new String[] {"no NVIDIA driver on this machine (CUDA runtime " + version(runtime[0]) + " found)", null};
        if (driver[0] < MIN_DRIVER_CUDA_VERSION || driver[0] / 1000 < runtime[0] / 1000) {
            return new String[] {"the NVIDIA driver supports CUDA " + version(driver[0]) + ", older than the CUDA "
                    + version(Math.max(runtime[0], MIN_DRIVER_CUDA_VERSION)) + " runtime this build needs: install driver 580 or newer", null};
        }
        int[] n = new int[1];
        err = CudaKernels.sculpt_cuda_device_count(n);
        if (err != 0) {
            return new String[] {"no usable CUDA device: " + Cuda.errorString(err) + " (cudaError " + err + ", driver CUDA "
                    + version(driver[0]) + ")", null};
        }
        if (n[0] < 1) return new String[] {"no CUDA device found (driver CUDA " + version(driver[0]) + ")", null};
        String name;
        long[] mem = new long[1];
        try (BytePointer p = new BytePointer(256)) {
            err = CudaKernels.sculpt_cuda_device_info(0, p, 256, mem);
            if (err != 0) return new String[] {"cudaGetDeviceProperties of device 0 failed: " + Cuda.errorString(err), null};
            name = p.getString();
        }
        int[] major = new int[1], minor = new int[1];
        err = CudaKernels.sculpt_cuda_device_capability(0, major, minor);
        if (err != 0) return new String[] {"cannot read the compute capability of device 0 (" + name + "): " + Cuda.errorString(err), null};
        if (major[0] * 10 + minor[0] < MIN_COMPUTE_CAPABILITY) {
            return new String[] {"CUDA device 0 (" + name + ") has compute capability " + major[0] + "." + minor[0]
                    + "; libsculpt_cuda.so carries code for 8.0 and newer only", null};
        }
        try {
            Loader.load(org.bytedeco.cuda.global.cublas.class);
            Loader.load(org.bytedeco.cuda.global.cusolver.class);
        } catch (Throwable t) {
            return new String[] {"cuBLAS/cuSOLVER are not loadable (the org.bytedeco cuda preset needs libcublas.so.13, "
                    + "libcublasLt.so.13, libcusolver.so.12 and libcusolverMg.so.12 on the library path, e.g. "
                    + "LD_LIBRARY_PATH=/usr/local/cuda/lib64): " + t, null};
        }
        return new String[] {null, "CUDA device 0 of " + n[0] + ": " + name + ", " + (mem[0] >> 30) + " GiB, compute "
                + major[0] + "." + minor[0] + ", driver CUDA " + version(driver[0]) + ", runtime " + version(runtime[0])};
    }

    /** Says which library the preset's cudart binding missed. */
    private static String presetFailure(Throwable t) {
        String all = String.valueOf(t);
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) all += " / " + c;
        if (all.contains("libcuda.so")) {
            return "no NVIDIA driver: libcuda.so.1 (installed by the driver) is not on this machine (" + t + ")";
        }
        if (all.contains("libcudart")) {
            return "the CUDA 13 runtime libcudart.so.13 is not on the library path (a CUDA 13 toolkit, e.g. "
                    + "LD_LIBRARY_PATH=/usr/local/cuda/lib64) (" + t + ")";
        }
        return "the org.bytedeco cuda preset's cudart does not load: " + all;
    }
}
