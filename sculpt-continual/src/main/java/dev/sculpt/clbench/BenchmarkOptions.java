package dev.sculpt.clbench;

import dev.sculpt.SculptException;

/**
 * How {@link ClBenchmark} forms each task.
 *
 * @param trainPerTask     at most this many training examples per task, sampled with {@code seed}; 0 = all
 * @param testPerTask      at most this many test examples per task, sampled with {@code seed}; 0 = all
 * @param seed             seed of the caps and of the multitask shuffle (hold-outs use their own fixed seed)
 * @param maxSentenceChars sentences longer than this are cut to their first characters (0 = never), so
 *                         that a small model's context is not spent on a few very long passages
 */
public record BenchmarkOptions(int trainPerTask, int testPerTask, long seed, int maxSentenceChars) {
    public BenchmarkOptions {
        if (trainPerTask < 0) throw new SculptException("--train-per-task must be >= 0 (0 = all), got " + trainPerTask);
        if (testPerTask < 0) throw new SculptException("--test-per-task must be >= 0 (0 = all), got " + testPerTask);
        if (maxSentenceChars < 0) throw new SculptException("max sentence characters must be >= 0 (0 = no limit), got " + maxSentenceChars);
    }

    /** Every example of every split, seed 0. */
    public static BenchmarkOptions all() {
        return new BenchmarkOptions(0, 0, 0L, 0);
    }
}
