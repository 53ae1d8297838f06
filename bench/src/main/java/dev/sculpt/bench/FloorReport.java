package dev.sculpt.bench;

import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * Times a benchmark's measurement iterations itself (the operations take 10 ms to seconds, so the two
 * nanoTime calls cost nothing) and prints the ratio of the mean time to the floor at the end of the trial,
 * as one line starting with "FLOOR" that RESULTS.md quotes.
 */
final class FloorReport {
    private final String label;
    private final double flops;
    private final double sgemmRate;
    private boolean measuring;
    private long nanos;
    private long ops;

    FloorReport(String label, double flops) {
        this.label = label;
        this.flops = flops;
        this.sgemmRate = SgemmRate.measure();
    }

    void startIteration(IterationParams params) {
        measuring = params.getType() == IterationType.MEASUREMENT;
    }

    void record(long startNanos) {
        if (measuring) {
            nanos += System.nanoTime() - startNanos;
            ops++;
        }
    }

    void print() {
        if (ops == 0) return;
        double mean = nanos / 1e9 / ops;
        double floor = flops / sgemmRate;
        System.out.printf("%nFLOOR %s: mean %.1f ms over %d ops; floor %.1f ms = %.2f GFLOP / %.1f GFLOP/s sgemm;"
                + " ratio to floor %.2f; achieved %.1f GFLOP/s%n", label, mean * 1e3, ops, floor * 1e3, flops / 1e9,
                sgemmRate / 1e9, mean / floor, flops / mean / 1e9);
    }
}
