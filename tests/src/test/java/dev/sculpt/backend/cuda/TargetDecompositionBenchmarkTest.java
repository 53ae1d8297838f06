package dev.sculpt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TargetDecompositionBenchmark (bench/gpu/run.sh's 224-target LLaMA-7B decomposition against a gesvdj loop) on its tiny
 * shape over the Java emulation of the device operations, so that the program has run before a GPU is at hand: one
 * row per target shape with the guard's grouping, all 7 x layers targets in the total, and the batched top singular
 * value within the randomized method's error of the exact one: at these sizes the sketch holds k + 10 of at most 48
 * columns, and two power iterations shrink sigma_1's error with (sigma_(l+1) / sigma_1)^10, far below the 0.1 checked
 * (a wrong operand order or layout gives errors of order 1).
 */
class TargetDecompositionBenchmarkTest {
    @Test
    void tinyShapeHasOneRowPerTargetShapeAndCountsEveryTarget() {
        TargetDecompositionBenchmark.ModelShape shape = TargetDecompositionBenchmark.ModelShape.TINY;
        List<TargetDecompositionBenchmark.Group> groups = shape.groups();
        assertEquals(4, groups.size(), "q/o, k/v (kv width below hidden), gate/up, down");
        assertEquals(7 * shape.layers(), groups.stream().mapToInt(TargetDecompositionBenchmark.Group::count).sum());
        TargetDecompositionBenchmark.ModelShape llama7b = TargetDecompositionBenchmark.ModelShape.LLAMA_7B;
        assertEquals(224, llama7b.groups().stream().mapToInt(TargetDecompositionBenchmark.Group::count).sum());
        assertEquals(3, llama7b.groups().size(), "LLaMA-2-7B has no grouped kv heads: q, k, v, o share one shape");

        String md = TargetDecompositionBenchmark.run(new EmulatedDeviceOps(64 << 20), "emulated", shape, 0.5, 2);
        List<String> rows = md.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| targets")).toList();
        assertEquals(groups.size() + 1, rows.size(), md);
        assertTrue(rows.get(rows.size() - 1).startsWith("| all " + 7 * shape.layers() + " |"), md);
        for (String row : rows.subList(0, groups.size())) {
            String[] cells = row.split("\\|");
            double sigma1 = Double.parseDouble(cells[10].trim());
            assertTrue(sigma1 < 0.1, "sigma_1 of the batched randomized SVD against gesvdj's: " + row);
        }
    }
}
