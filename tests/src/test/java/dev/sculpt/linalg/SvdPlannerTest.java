package dev.sculpt.linalg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SvdPlannerTest {
    private final SvdOptions defaults = SvdOptions.defaults();

    @Test
    void randomizedFlopCountMatchesAHandCount() {
        // m = n = 100, k = 10, p = 10 (l = 20), q = 1
        double products = 4 * 2.0 * 100 * 100 * 20;                     // sketch, 2 power products, B
        double pass = 100 * 400 + 2.0 / 3 * 8000 + 100 * 400;            // one CholeskyQR pass, 100 x 20
        double qr = 2 * pass + 2 * pass;                                 // the final basis twice, 2 intermediate once
        double small = 100 * 400 + 4 * 8000 + 2 * 100 * 20 * 10 * 2 + 2 * 100 * 100 + 2.0 / 3 * 1000;
        assertEquals(products + qr + small, SvdFlops.randomized(100, 100, 10, 10, 1), 1e-6);
        assertEquals(SvdFlops.randomized(300, 100, 10, 10, 2), SvdFlops.randomized(100, 300, 10, 10, 2), 1e-6, "transpose-symmetric");
    }

    @Test
    void projectionFlopCounts() {
        assertEquals(8.0 * 20 * 30 * 4, SvdFlops.projection(20, 30, 4, ProjectionMode.TWO_SIDED));
        assertEquals(4.0 * 20 * 30 * 4, SvdFlops.projection(20, 30, 4, ProjectionMode.LEFT));
        assertEquals(4.0 * 20 * 30 * 4 + 4.0 * 20 * 16, SvdFlops.projection(20, 30, 4, ProjectionMode.HIGH_BLOCK));
    }

    @Test
    void smallRanksOfLargeMatricesGoRandomized() {
        assertEquals(SvdMethod.RANDOMIZED, SvdPlanner.choose(2048, 2048, 256, defaults));
        assertEquals(SvdMethod.RANDOMIZED, SvdPlanner.choose(2048, 2048, 512, defaults));
        assertEquals(SvdMethod.RANDOMIZED, SvdPlanner.choose(4096, 11008, 1024, defaults));
        assertEquals(SvdMethod.RANDOMIZED, SvdPlanner.choose(1024, 1024, 128, defaults));
    }

    @Test
    void nearlyFullRanksAndSketchesCoveringTheMatrixGoExact() {
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(2048, 2048, 1900, defaults));
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(1024, 1024, 973, defaults));
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(40, 30, 25, defaults), "k + p >= min(m, n)");
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(1, 1, 1, defaults));
    }

    @Test
    void smallMatricesGoExactWhateverK() {
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(32, 32, 8, defaults));
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(96, 288, 10, defaults));
        assertEquals(SvdMethod.EXACT, SvdPlanner.choose(128, 128, 1, defaults));
        assertEquals(SvdMethod.RANDOMIZED, SvdPlanner.choose(256, 256, 32, defaults), "just above the small-matrix bound");
    }

    @Test
    void theChoiceFlipsOnceAsKGrows() {
        for (int[] shape : new int[][] {{1024, 1024}, {2048, 5504}, {4096, 1024}}) {
            int r = Math.min(shape[0], shape[1]);
            int flips = 0;
            SvdMethod prev = SvdPlanner.choose(shape[0], shape[1], 1, defaults);
            for (int k = 2; k <= r; k++) {
                SvdMethod now = SvdPlanner.choose(shape[0], shape[1], k, defaults);
                if (now != prev) flips++;
                prev = now;
            }
            assertEquals(1, flips, "randomized for small k, exact from some k on, for " + shape[0] + "x" + shape[1]);
            assertTrue(prev == SvdMethod.EXACT);
        }
    }

    @Test
    void autoResolvesThroughThePlanner() {
        int k = 0;
        for (int kk = 1; kk <= 1024; kk++) {
            if (SvdPlanner.choose(1024, 1024, kk, defaults) == SvdMethod.EXACT) {
                k = kk;
                break;
            }
        }
        System.out.println("1024 x 1024: exact from k = " + k + "; 2048 x 2048: "
                + firstExact(2048, 2048) + "; 2048 x 5504: " + firstExact(2048, 5504));
        assertTrue(k > 400 && k < 900, "crossover at k = " + k);
    }

    private int firstExact(int m, int n) {
        for (int k = 1; k <= Math.min(m, n); k++) if (SvdPlanner.choose(m, n, k, defaults) == SvdMethod.EXACT) return k;
        return -1;
    }
}
