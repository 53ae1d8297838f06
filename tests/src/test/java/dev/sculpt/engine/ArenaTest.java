package dev.sculpt.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sculpt.SculptException;
import dev.sculpt.ops.Tensor;
import dev.sculpt.ops.cpu.CpuOps;
import org.junit.jupiter.api.Test;

/** The activation arena reuses a buffer up to its largest request, and a view outlived by a growth fails by name. */
class ArenaTest {
    @Test
    void buffersGrowToTheLargestRequestAndAreReused() {
        try (CpuOps ops = new CpuOps(); Arena arena = new Arena(ops, "test")) {
            Tensor a = arena.get("acts", 4, 8);
            a.hostBuffer().put(5, 2.5f);
            assertEquals(4L * 32, arena.bytes());
            Tensor b = arena.get("acts", 2, 8);                  // smaller: same memory, no growth
            assertEquals(2.5f, b.hostBuffer().get(5));
            assertEquals(4L * 32, arena.bytes());
            assertArrayEquals(new int[] {2, 8}, b.shape());
            Tensor c = arena.get("acts", 8, 8);                  // larger: grows, older views are closed
            assertEquals(4L * 64, arena.bytes());
            SculptException e = assertThrows(SculptException.class, a::hostBuffer);
            assertTrue(e.getMessage().contains("test acts"), e.getMessage());
            assertEquals(0f, arena.zeroed("acts", 8, 8).hostBuffer().get(5));
            assertEquals(64, c.size());
        }
    }

    @Test
    void closedArenaRefusesRequests() {
        try (CpuOps ops = new CpuOps()) {
            Arena arena = new Arena(ops, "test");
            Tensor t = arena.get("x", 3);
            arena.close();
            assertThrows(SculptException.class, t::hostBuffer);
            SculptException e = assertThrows(SculptException.class, () -> arena.get("x", 3));
            assertTrue(e.getMessage().contains("x"), e.getMessage());
        }
    }
}
