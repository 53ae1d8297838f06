package dev.sculpt.bench;

import java.util.Arrays;

/** The statistics the script-run GPU benchmarks report (bench/gpu/run.sh): one place for the median. */
public final class Timings {
    private Timings() {}

    /** The median of {@code x} (the upper one of an even count), without changing {@code x}. */
    public static double median(double[] x) {
        if (x.length == 0) throw new IllegalArgumentException("median of no values");
        double[] c = x.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
