package dev.sculpt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.ops.Allocation;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The caching device arena of the CUDA providers, on the emulated runtime (host memory standing in for the GPU's,
 * with a capacity where a test needs one): freed blocks are reused by size class, nothing is left allocated once the
 * tensors and the provider are closed, and running out names the tensor and the bytes.
 */
class CachingArenaTest {
    private final long seed = new SplittableRandom().nextLong();
    private final SplittableRandom rnd = new SplittableRandom(seed);

    @BeforeEach
    void needsTheEmulatedLibrary() {
        assumeTrue(CudaEmulatedLibrary.loaded(), "no cuda-emulated library here: " + CudaEmulatedLibrary.unavailableReason());
    }

    private float[] values(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((rnd.nextBoolean() ? 1 : -1) * (0.1 + 0.9 * rnd.nextDouble()));
        return a;
    }

    @Test
    void sizeClassesCoverTheRequestWithAtMostAQuarterMore() {
        long previous = 0;
        for (long bytes = 1; bytes < 1 << 20; bytes += 1 + bytes / 7) {
            long c = CachingArena.sizeClass(bytes);
            assertTrue(c >= bytes && c >= CachingArena.MIN_BLOCK, bytes + " -> " + c);
            assertTrue(bytes <= CachingArena.MIN_BLOCK || c < 1.25 * bytes + 1e-9, bytes + " -> " + c);
            assertTrue(c >= previous, "classes grow with the request: " + bytes + " -> " + c);
            assertEquals(c, CachingArena.sizeClass(c), "a class is its own class");
            previous = c;
        }
        long big = 70L << 30;   // a 7B model's fp32 weights do not overflow the rounding
        assertTrue(CachingArena.sizeClass(big) >= big);
    }

    @Test
    void aboveEightMibBlocksAreTwoMibMultiplesWastingLessThanTwoMib() {
        long mib = 1L << 20;
        assertEquals(8 * mib, CachingArena.sizeClass(8 * mib));
        assertEquals(10 * mib, CachingArena.sizeClass(8 * mib + 1), "2 MiB steps from 8 MiB on");
        assertEquals(66 * mib, CachingArena.sizeClass(65 * mib), "quarter classes would give 80 MiB");
        for (int i = 0; i < 2000; i++) {
            long bytes = 8 * mib + 1 + rnd.nextLong(1L << 36);
            long c = CachingArena.sizeClass(bytes);
            assertEquals(0, c % (2 * mib), bytes + " -> " + c + ", seed " + seed);
            assertTrue(c >= bytes && c - bytes < 2 * mib, bytes + " -> " + c + ", seed " + seed);
            assertEquals(c, CachingArena.sizeClass(c), "a class is its own class");
        }
        long previous = 0;
        for (long bytes = 7 * mib; bytes < 12 * mib; bytes += 4093) {
            long c = CachingArena.sizeClass(bytes);
            assertTrue(c >= previous, "classes grow with the request across 8 MiB: " + bytes + " -> " + c);
            previous = c;
        }
    }

    @Test
    void theTracedPeakListsTheBlocksInUseAtThatMoment() {
        EmulatedRuntime rt = new EmulatedRuntime();
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, rt)) {
            DeviceMemory dm = ops.memory().orElseThrow();
            assertTrue(dm.allocationsAtPeak().isEmpty(), "nothing without tracing");
            try (Tensor kept = ops.allocate("kept", 1000)) {   // 4000 bytes: a 4096 block, in use before tracing
                dm.tracePeak();
                assertEquals(List.of(new Allocation("tensor 'kept' [1000]", "kept", 4000, 4096)), dm.allocationsAtPeak());
                try (Tensor a = ops.allocate("a", 3000)) {      // 12000 bytes: 12288
                    assertEquals(4096 + 12288, dm.bytesInUse());
                }
                try (Tensor b = ops.allocate("b", 100)) {       // 400 bytes: 512, below the peak: no new list
                    assertEquals(4096 + 512, dm.bytesInUse());
                }
            }
            List<Allocation> peak = dm.allocationsAtPeak();
            assertEquals(List.of("a", "kept"), peak.stream().map(Allocation::tensor).toList(), "largest block first");
            assertEquals(List.of(12000L, 4000L), peak.stream().map(Allocation::requested).toList());
            assertEquals(dm.peakBytesInUse(), peak.stream().mapToLong(Allocation::block).sum(), "the blocks add up to the peak");
        }
    }

    @Test
    void aReleasedBlockIsReusedForTheSameSizeClassAndHandedOutZeroed() {
        EmulatedRuntime rt = new EmulatedRuntime();
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, rt)) {
            long first;
            try (Tensor host = Tensor.ofHost("weights", values(250), 250); Tensor a = ops.upload(host, "weights on device")) {
                first = a.deviceAddress();
            }
            long allocations = ops.arena().runtimeAllocations();
            assertEquals(1, allocations);
            // 1000 and 900 bytes share the 1024-byte class
            try (Tensor b = ops.allocate("gradients", 15, 15)) {
                assertEquals(first, b.deviceAddress(), "the freed block is reused");
                assertEquals(allocations, ops.arena().runtimeAllocations(), "no new device allocation");
                try (Tensor h = ops.download(b, "gradients (host)")) {
                    for (float f : h.toArray()) assertEquals(0f, f, "a reused block is zero-filled, seed " + seed);
                }
                try (Tensor c = ops.allocate("moments", 15, 15)) {
                    assertNotEquals(first, c.deviceAddress(), "a block in use is not handed out twice");
                    assertEquals(allocations + 1, ops.arena().runtimeAllocations());
                }
            }
            assertEquals(0, ops.arena().bytesInUse());
            assertEquals(2 * 1024, ops.arena().bytesCached());
        }
        assertEquals(0, rt.liveBlocks(), "closing the provider returns the cache");
    }

    @Test
    void opScratchComesFromTheCacheAndNothingLeaksAfterClose() {
        EmulatedRuntime rt = new EmulatedRuntime();
        int tq = 5, tk = 5, heads = 4, kvHeads = 2, d = 3;
        Tensor survivor;
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, rt)) {
            try (Tensor hq = Tensor.ofHost("q", values(tq * heads * d), tq, heads * d);
                 Tensor hk = Tensor.ofHost("k", values(tk * kvHeads * d), tk, kvHeads * d);
                 Tensor q = ops.upload(hq, "q"); Tensor k = ops.upload(hk, "k"); Tensor v = ops.upload(hk, "v");
                 Tensor probs = ops.allocate("probs", heads, tq, tk); Tensor out = ops.allocate("out", tq, heads * d);
                 Tensor dq = ops.allocate("dq", tq, heads * d); Tensor dk = ops.allocate("dk", tk, kvHeads * d);
                 Tensor dv = ops.allocate("dv", tk, kvHeads * d)) {
                ops.attentionForward(q, k, v, heads, kvHeads, 0.5f, true, 0, null, probs, out);
                ops.attentionBackward(q, k, v, heads, kvHeads, 0.5f, probs, out, dq, dk, dv, null);
                long warm = ops.arena().runtimeAllocations();
                for (int step = 0; step < 3; step++) {   // a steady state: scratch and partials come from the cache
                    ops.attentionForward(q, k, v, heads, kvHeads, 0.5f, true, 0, null, probs, out);
                    ops.attentionBackward(q, k, v, heads, kvHeads, 0.5f, probs, out, dq, dk, dv, null);
                    assertTrue(Double.isFinite(ops.sumOfSquares(dq)));
                    try (Tensor rows = ops.allocate("rows " + step, 3, kvHeads * d)) {
                        ops.embeddingForward(dk, new int[] {1, 0, 4}, rows);
                    }
                    ops.project(out, q.view("u", 0, tq, 2), q.view("w", 0, heads * d, 2), ProjectionMode.TWO_SIDED);
                }
                assertTrue(ops.arena().runtimeAllocations() <= warm + 2,
                        "at most the first reduction's and projection's scratch are new allocations: "
                                + ops.arena().runtimeAllocations() + " after " + warm);
            }
            survivor = ops.allocate("survivor", 7);
        }
        assertEquals(1, rt.liveBlocks(), "a tensor outlives its provider");
        survivor.close();
        assertEquals(0, rt.liveBlocks(), "its block goes back to the runtime when it is closed");
        assertEquals(0, rt.liveBytes());
    }

    @Test
    void outOfMemoryNamesTheTensorAndTheBytes() {
        EmulatedRuntime rt = new EmulatedRuntime(64 << 10);
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, rt)) {
            SculptException e = assertThrows(SculptException.class, () -> ops.allocate("activations", 100, 1000));
            assertTrue(e.getMessage().contains("'activations'") && e.getMessage().contains("400000 bytes")
                    && e.getMessage().contains("out of device memory"), e.getMessage());
            assertEquals(0, rt.liveBlocks(), "nothing stays allocated after a failed allocation");
            // a cached block of another class is returned to the device when that makes room
            ops.allocate("first", 10, 1000).close();   // 40000 bytes, cached
            try (Tensor t = ops.allocate("second", 12, 1000)) {   // 48000 bytes: fits only once the cache is freed
                assertEquals(1, rt.liveBlocks());
                assertEquals(0, ops.arena().bytesCached());
            }
        }
        assertEquals(0, rt.liveBlocks());
    }

    @Test
    void aHostTensorIsRefusedNamingIt() {
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, new EmulatedRuntime());
             Tensor host = Tensor.ofHost("host gradient", values(4), 4); Tensor dev = ops.allocate("device weight", 4)) {
            SculptException e = assertThrows(SculptException.class, () -> ops.axpy(1f, host, dev));
            assertTrue(e.getMessage().contains("'host gradient'") && e.getMessage().contains("HOST"), e.getMessage());
        }
    }
}
