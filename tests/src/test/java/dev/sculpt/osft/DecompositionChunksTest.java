package dev.sculpt.osft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.linalg.SvdMethod;
import dev.sculpt.linalg.SvdOptions;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The start of a task decomposes same-shape targets in batches of at most {@link DecompositionChunks#MAX_ELEMENTS}
 * input elements: the split itself (LLaMA-7B's shapes, a matrix above the cap, even sizes), and a guard that splits
 * against one that does not, both with the exact SVD, whose factors of a matrix do not depend on its batch: the
 * bases must be bit-identical (LAPACK's gesdd per matrix, the same code either way).
 */
class DecompositionChunksTest {
    @Test
    void llama7bShapesSplitIntoEvenBatchesUnderTheCap() {
        int[] qkvo = DecompositionChunks.sizes(128, 4096L * 4096);
        assertEquals(16, qkvo.length);
        assertTrue(Arrays.stream(qkvo).allMatch(s -> s == 8), Arrays.toString(qkvo));
        int[] gateUp = DecompositionChunks.sizes(64, 11008L * 4096);
        assertEquals(32, gateUp.length);
        assertTrue(Arrays.stream(gateUp).allMatch(s -> s == 2), Arrays.toString(gateUp));
        assertArrayEquals(new int[] {1, 1, 1}, DecompositionChunks.sizes(3, DecompositionChunks.MAX_ELEMENTS + 1), "above the cap: one each");
        assertArrayEquals(new int[] {4, 3, 3}, DecompositionChunks.sizes(10, 100, 400));
        assertArrayEquals(new int[] {5}, DecompositionChunks.sizes(5, 100, 1000));
        assertArrayEquals(new int[0], DecompositionChunks.sizes(0, 100));
        for (int count = 1; count < 40; count++) {
            for (long cap : new long[] {1, 7, 50, 1000}) {
                int[] s = DecompositionChunks.sizes(count, 10, cap);
                assertEquals(count, Arrays.stream(s).sum());
                assertTrue(Arrays.stream(s).allMatch(x -> x == 1 || 10L * x <= cap), count + ", " + cap + ": " + Arrays.toString(s));
                assertTrue(s[0] - s[s.length - 1] <= 1, Arrays.toString(s));
            }
        }
    }

    @Test
    void splitBatchesGiveTheSameExactBasesAsOneBatch() {
        long seed = new SplittableRandom().nextLong();
        SplittableRandom rnd = new SplittableRandom(seed);
        int count = 5, rows = 24, cols = 16, rank = 6;
        float[][] w = new float[count][rows * cols];
        for (float[] m : w) for (int i = 0; i < m.length; i++) m[i] = (float) rnd.nextGaussian();
        SvdOptions exact = SvdOptions.defaults().withMethod(SvdMethod.EXACT);
        try (SubspaceGuard one = SubspaceGuard.builder().svdOptions(exact).build();
             SubspaceGuard split = SubspaceGuard.builder().svdOptions(exact).decompositionBatchElements(2L * rows * cols).build()) {
            for (int i = 0; i < count; i++) {
                one.register("w" + i, w[i], rows, cols, rank);
                split.register("w" + i, w[i], rows, cols, rank);
            }
            one.protect();
            split.protect();   // batches of 2, 2 and 1
            for (int i = 0; i < count; i++) {
                ProtectedBasis a = one.basis("w" + i), b = split.basis("w" + i);
                assertArrayEquals(a.u(), b.u(), "U_h of w" + i + " (seed " + seed + ")");
                assertArrayEquals(a.v(), b.v(), "V_h of w" + i + " (seed " + seed + ")");
            }
        }
    }
}
