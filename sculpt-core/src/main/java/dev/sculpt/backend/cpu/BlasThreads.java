package dev.sculpt.backend.cpu;

import java.util.function.Supplier;
import org.bytedeco.openblas.global.openblas_full;

/**
 * The one owner of OpenBLAS's thread count, which is process-wide. Every place that changes it goes through here:
 * the CPU backend lowers it to one while it runs several matrices on its own Java threads (so the cores are not
 * oversubscribed), the layers and the ops provider run small products on one thread ({@link #runProduct}), and
 * code that runs its own Java threads around BLAS calls uses {@link #singleThreaded}. Each restores the count it
 * found. Callers must not change it concurrently from several threads (the layers and the backend hold their own
 * locks or run on one thread).
 */
public final class BlasThreads {
    /**
     * Products below this many multiply-adds run on one thread (default 2^27, about 8 ms of one core; the system
     * property {@code sculpt.blas.smallMnk} overrides it): OpenBLAS's thread start-up costs more than it saves there.
     */
    public static final long SMALL_MNK = Long.getLong("sculpt.blas.smallMnk", 1L << 27);

    private BlasThreads() {}

    /** The current thread count (OPENBLAS_NUM_THREADS or the core count unless lowered). */
    public static int get() {
        return openblas_full.openblas_get_num_threads();
    }

    static void set(int threads) {
        openblas_full.openblas_set_num_threads(Math.max(1, threads));
    }

    /** Runs one BLAS product of {@code multiplyAdds} multiply-adds, on one thread when it is below {@link #SMALL_MNK}. */
    public static void runProduct(long multiplyAdds, Runnable product) {
        int before = get();
        if (before <= 1 || multiplyAdds >= SMALL_MNK) {
            product.run();
            return;
        }
        set(1);
        try {
            product.run();
        } finally {
            set(before);
        }
    }

    /** Runs {@code work} with OpenBLAS on one thread (work that runs its own Java threads), then restores the count. */
    public static <T> T singleThreaded(Supplier<T> work) {
        int before = get();
        set(1);
        try {
            return work.get();
        } finally {
            set(before);
        }
    }
}
