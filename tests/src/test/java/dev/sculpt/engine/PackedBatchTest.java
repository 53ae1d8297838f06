package dev.sculpt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.ops.Ops;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Causal, plain and teacher-forced decoder packing: ids, targets, segments, loss rows and source indices. */
class PackedBatchTest {
    private static final int I = Ops.IGNORE_INDEX;

    @Test
    void causalPackingPredictsTheNextTargetToken() {
        PackedBatch b = PackedBatch.ofExamples(List.of(new Example(new int[] {7, 8}, new int[] {9, 10}),
                new Example(new int[] {5}, new int[0]),                      // one token: nothing to learn, skipped
                new Example(new int[0], new int[] {3, 4, 6})), 16);
        assertArrayEquals(new int[] {7, 8, 9, 3, 4}, b.ids());
        assertArrayEquals(new int[] {I, 9, 10, 4, 6}, b.targets());
        assertEquals(2, b.sequences());
        assertEquals(3, b.segments().start(1));
        assertArrayEquals(new int[] {0, 1, 2, 0, 1}, b.segments().positions());
        assertArrayEquals(new int[] {1, 2, 3, 4}, b.lossRows());
        assertArrayEquals(new int[] {9, 10, 4, 6}, b.lossTargets());
        assertArrayEquals(new int[] {0, 2}, b.sourceIndex());
    }

    @Test
    void decoderPackingStartsWithTheStartToken() {
        PackedBatch b = PackedBatch.ofDecoderTargets(List.of(new int[] {4, 5, 1}, new int[0], new int[] {6}), 0, 8);
        assertArrayEquals(new int[] {0, 4, 5, 0}, b.ids());
        assertArrayEquals(new int[] {4, 5, 1, 6}, b.targets());
        assertArrayEquals(new int[] {0, 2}, b.sourceIndex());
        PackedBatch enc = PackedBatch.ofSequences(List.of(new int[] {1, 2}, new int[] {3}), 8);
        assertArrayEquals(new int[] {I, I, I}, enc.targets());
        assertEquals(0, enc.lossRows().length);
        assertEquals(2 * 2 * 3 + 2 * 1 * 1, b.segments().probsSize(2, enc.segments()));
    }

    @Test
    void tooLongInputsAreNamed() {
        SculptException e = assertThrows(SculptException.class,
                () -> PackedBatch.ofExamples(List.of(new Example(new int[5], new int[5])), 8));
        assertTrue(e.getMessage().contains("example 0") && e.getMessage().contains("max_position_embeddings"), e.getMessage());
        e = assertThrows(SculptException.class, () -> PackedBatch.ofDecoderTargets(List.of(new int[9]), 0, 8));
        assertTrue(e.getMessage().contains("target 0"), e.getMessage());
    }
}
