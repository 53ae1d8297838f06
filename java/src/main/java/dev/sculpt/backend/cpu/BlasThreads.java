package dev.sculpt.backend.cpu;

import org.bytedeco.openblas.global.openblas_full;

/**
 * OpenBLAS's thread count, which is process-wide: the CPU backend lowers it to one while it runs several
 * matrices on its own Java threads (so the cores are not oversubscribed) and restores it afterwards.
 * Callers hold {@link CpuBackend}'s lock while they change it.
 */
final class BlasThreads {
    private BlasThreads() {}

    /** The thread count OpenBLAS was configured with (OPENBLAS_NUM_THREADS or the core count). */
    static int get() {
        return openblas_full.openblas_get_num_threads();
    }

    static void set(int threads) {
        openblas_full.openblas_set_num_threads(Math.max(1, threads));
    }
}
