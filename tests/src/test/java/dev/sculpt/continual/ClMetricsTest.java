package dev.sculpt.continual;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import org.junit.jupiter.api.Test;

class ClMetricsTest {
    private static final double N = Double.NaN;

    @Test
    void formulasOnAHandMadeMatrix() {
        double[][] a = {
            {0.90, 0.20, N},
            {0.60, 0.80, 0.30},
            {0.50, 0.70, 0.95},
        };
        double[] b = {0.10, 0.15, 0.25};
        // AA = (0.50 + 0.70 + 0.95) / 3
        assertEquals(2.15 / 3, ClMetrics.averageAccuracy(a), 1e-12);
        // BWT = ((0.50 - 0.90) + (0.70 - 0.80)) / 2 = -0.25
        assertEquals(-0.25, ClMetrics.backwardTransfer(a), 1e-12);
        // FWT = ((a[0][1] - b1) + (a[1][2] - b2)) / 2 = ((0.20 - 0.15) + (0.30 - 0.25)) / 2 = 0.05
        assertEquals(0.05, ClMetrics.forwardTransfer(a, b), 1e-12);
    }

    @Test
    void noForgettingGivesZeroBwtAndImprovementIsPositive() {
        double[][] same = {{1, N}, {1, 0.5}};
        assertEquals(0, ClMetrics.backwardTransfer(same), 0);
        double[][] better = {{0.4, N}, {0.6, 0.5}};
        assertEquals(0.2, ClMetrics.backwardTransfer(better), 1e-12);
        assertTrue(Double.isNaN(ClMetrics.backwardTransfer(new double[][] {{0.7}})));
        assertEquals(0.7, ClMetrics.averageAccuracy(new double[][] {{0.7}}), 0);
    }

    @Test
    void missingEntriesAreReported() {
        double[][] a = {{N, N}, {0.5, 0.5}};
        SculptException e = assertThrows(SculptException.class, () -> ClMetrics.backwardTransfer(a));
        assertTrue(e.getMessage().contains("task 0 after task 0"), e.getMessage());
        assertThrows(SculptException.class, () -> ClMetrics.averageAccuracy(new double[][] {{1, 2}}));
    }
}
