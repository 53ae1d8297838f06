package dev.sculpt.nn;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Splits a loop over [0, n) into contiguous chunks run on the common fork-join pool plus the calling thread.
 * Small loops (fewer than two grains) run inline. Used for the element-wise work between sgemm calls.
 */
public final class Parallel {
    private Parallel() {}

    /** The body of a chunked loop: handles indices [lo, hi). */
    @FunctionalInterface
    public interface Range {
        void run(int lo, int hi);
    }

    /** Runs {@code body} over [0, n) in chunks of at least {@code grain} indices. */
    public static void range(int n, int grain, Range body) {
        if (n <= 0) return;
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        int parts = (int) Math.min(threads, n / (long) Math.max(1, grain));
        if (parts <= 1 || ForkJoinTask.inForkJoinPool()) {
            body.run(0, n);
            return;
        }
        ForkJoinTask<?>[] tasks = new ForkJoinTask<?>[parts - 1];
        for (int p = 1; p < parts; p++) {
            int lo = (int) ((long) n * p / parts);
            int hi = (int) ((long) n * (p + 1) / parts);
            tasks[p - 1] = ForkJoinPool.commonPool().submit(() -> body.run(lo, hi));
        }
        RuntimeException failure = null;
        try {
            body.run(0, (int) ((long) n / parts));
        } catch (RuntimeException e) {
            failure = e;
        }
        for (ForkJoinTask<?> t : tasks) {
            try {
                t.join();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            }
        }
        if (failure != null) throw failure;
    }
}
