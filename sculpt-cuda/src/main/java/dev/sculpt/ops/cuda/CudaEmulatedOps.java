package dev.sculpt.ops.cuda;

/**
 * The {@code cuda-emulated} provider: {@link CudaOps} over {@link EmulatedRuntime}, the GPU provider's code paths
 * (Java side, engine kernels and their launch wrappers) run on the host, for CI. It is for checking the device code
 * path on tiny sizes, not for speed: the emulation runs one host thread per CUDA thread, a block at a time.
 */
public final class CudaEmulatedOps extends CudaOps {
    /** The name {@code OpsProviders} selects this provider by. */
    public static final String NAME = CudaOps.EMULATED;

    /** Throws a SculptException saying why when the emulated library does not load here. */
    public CudaEmulatedOps() {
        super(NAME, new EmulatedRuntime());
    }
}
