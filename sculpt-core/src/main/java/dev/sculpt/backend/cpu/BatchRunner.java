package dev.sculpt.backend.cpu;

import dev.sculpt.SculptException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Runs one kernel over every matrix of a batch without oversubscribing the cores. Either the matrices run
 * one after another with all OpenBLAS threads on each (few large matrices), or min(count, cores) Java
 * workers each take matrices in turn with OpenBLAS set to one thread (many or small matrices; the thread
 * count is restored afterwards). Each worker builds its kernel, with its scratch space, once.
 */
final class BatchRunner {
    /** Parallel efficiency assumed for multithreaded BLAS on one matrix of at least 1024 x 1024 (else half). */
    private static final double LARGE_EFFICIENCY = 0.9;
    private static final double SMALL_EFFICIENCY = 0.5;
    /**
     * Below this many elements a matrix runs on one OpenBLAS thread even alone: its LAPACK steps are too
     * short to gain from a second thread, and when the cores are busy with other processes OpenBLAS's
     * spinning thread handoffs make it up to ten times slower (measured on the project's 2-core machine).
     */
    static final long SINGLE_THREAD_BELOW = 512L * 512;

    private BatchRunner() {}

    /** A kernel for one worker: it processes matrix b and is closed when the worker is done. */
    interface Kernel extends AutoCloseable {
        void run(int b);

        @Override
        void close();
    }

    /**
     * Whether to run matrices concurrently: ceil(count / workers) rounds of single-threaded matrices
     * against count matrices each sped up by cores * efficiency.
     */
    static boolean acrossMatrices(int count, long matrixElements, int cores) {
        int workers = Math.min(count, cores);
        if (workers <= 1) return false;
        double eff = matrixElements >= 1024L * 1024 ? LARGE_EFFICIENCY : SMALL_EFFICIENCY;
        double rounds = Math.ceil((double) count / workers);
        return rounds <= count / (cores * eff);
    }

    /**
     * Runs {@code kernels.apply(parallelInside)} per worker over matrices 0..count-1.
     * {@code parallelInside} tells a kernel whether it may use Java threads of its own (sequential mode).
     */
    static void run(int count, long matrixElements, Function<Boolean, Kernel> kernels) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (!acrossMatrices(count, matrixElements, cores)) {
            boolean small = matrixElements < SINGLE_THREAD_BELOW;
            int blasThreads = small ? BlasThreads.get() : 0;
            if (small) BlasThreads.set(1);
            try (Kernel kernel = kernels.apply(!small)) {
                for (int b = 0; b < count; b++) kernel.run(b);
            } finally {
                if (small) BlasThreads.set(blasThreads);
            }
            return;
        }
        int workers = Math.min(count, cores);
        int blasThreads = BlasThreads.get();
        BlasThreads.set(1);
        ExecutorService pool = Executors.newFixedThreadPool(workers, task -> {
            Thread t = new Thread(task, "sculpt-cpu-batch");
            t.setDaemon(true);
            return t;
        });
        try {
            AtomicInteger next = new AtomicInteger();
            AtomicBoolean failed = new AtomicBoolean();
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < workers; w++) {
                futures.add(pool.submit(() -> {
                    try (Kernel kernel = kernels.apply(Boolean.FALSE)) {
                        for (int b = next.getAndIncrement(); b < count && !failed.get(); b = next.getAndIncrement()) {
                            kernel.run(b);
                        }
                    } catch (RuntimeException | Error e) {
                        failed.set(true);
                        throw e;
                    }
                    return null;
                }));
            }
            RuntimeException first = null;
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (first == null) {
                        first = cause instanceof RuntimeException re ? re
                                : new SculptException("CPU batch worker failed: " + cause, cause);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SculptException("interrupted while running a CPU batch", e);
                }
            }
            if (first != null) throw first;
        } finally {
            pool.shutdownNow();
            BlasThreads.set(blasThreads);
        }
    }
}
