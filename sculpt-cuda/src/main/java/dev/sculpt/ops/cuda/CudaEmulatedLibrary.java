package dev.sculpt.ops.cuda;

import org.bytedeco.javacpp.Loader;

/**
 * Whether libsculpt_cuda_emulated.so (and its JNI glue) loads here, probed once per JVM and cached: a failed
 * first load of a JavaCPP class sticks for the JVM's life, so nothing touches {@link CudaEmulatedKernels} before
 * this probe said yes. Not itself a JavaCPP class, so a failed probe leaves it usable.
 */
public final class CudaEmulatedLibrary {
    private CudaEmulatedLibrary() {}

    /** Initialized on first use: null when the library loaded, else why it did not. */
    private static final class Probe {
        static final String FAILURE = probe();

        private static String probe() {
            try {
                Loader.load(CudaEmulatedKernels.class);
                return null;
            } catch (Throwable t) {
                return "the emulated CUDA library (libjniCudaEmulatedKernels.so + libsculpt_cuda_emulated.so, built by "
                        + "cmake/build-native.sh where CMake and g++ exist) is missing from this build or does not load: " + t;
            }
        }
    }

    /** Whether the library loaded. */
    public static boolean loaded() {
        return Probe.FAILURE == null;
    }

    /** Why it did not load, or null when it did. */
    public static String unavailableReason() {
        return Probe.FAILURE;
    }
}
