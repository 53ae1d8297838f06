package dev.sculpt.clbench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded sampling that does not depend on the task order or the JVM: each (seed, task, purpose) triple gets
 * its own {@link java.util.Random} (whose algorithm the Java specification fixes), and a sample of N is the
 * first N entries of a Fisher-Yates permutation, so a smaller cap is always a prefix of a larger one.
 */
final class Sampling {
    private Sampling() {}

    /** A seed for one task and one purpose ("train", "test", "holdout", ...), derived from a base seed. */
    static long seedFor(long base, String taskId, String purpose) {
        return mix(mix(base) ^ mix(taskId.hashCode() * 31L + purpose.hashCode()));
    }

    /** A new list holding the entries in a seeded random order. */
    static <T> List<T> permuted(List<T> items, long seed) {
        List<T> out = new ArrayList<>(items);
        Random r = new Random(seed);
        for (int i = out.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            T t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        return out;
    }

    /** The first {@code cap} entries of a seeded permutation (all of them, permuted, when cap <= 0). */
    static <T> List<T> sample(List<T> items, int cap, long seed) {
        List<T> p = permuted(items, seed);
        return cap > 0 && cap < p.size() ? new ArrayList<>(p.subList(0, cap)) : p;
    }

    /** SplitMix64's finaliser: spreads nearby seeds apart. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
