package dev.sculpt.ops.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sculpt.SculptException;
import dev.sculpt.ops.DeviceMemory;
import dev.sculpt.ops.MemoryLimit;
import dev.sculpt.ops.Tensor;
import dev.sculpt.plan.PlanComponents;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The cap a run's memory plan puts on a CUDA provider's arena ({@link DeviceMemory#limit}), on the emulated runtime:
 * an allocation past it is refused naming the tensor, the bytes, the cap, how it was chosen and the plan component;
 * cached blocks are given back before refusing; a device that runs out below the cap says so; peak use is kept.
 * Sizes are size classes of {@link CachingArena#sizeClass}: 4000 bytes take 4096, 16000 take 16384.
 */
class ArenaLimitTest {
    private static final String MOMENT = "model.layers.0.mlp.up_proj.weight (adamw m)";

    @BeforeEach
    void needsTheEmulatedLibrary() {
        assumeTrue(CudaEmulatedLibrary.loaded(), "no cuda-emulated library here: " + CudaEmulatedLibrary.unavailableReason());
    }

    @Test
    void anAllocationPastTheCapNamesTensorBytesCapAndComponent() {
        EmulatedRuntime rt = new EmulatedRuntime();
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, rt)) {
            DeviceMemory dm = ops.memory().orElseThrow();
            dm.limit(new MemoryLimit(20_000, "a test cap", PlanComponents::ofTensor));
            Tensor w = ops.allocate("model.layers.0.mlp.up_proj.weight", 1000);   // 4096 bytes held
            SculptException e = assertThrows(SculptException.class, () -> ops.allocate(MOMENT, 4000));   // 4096 + 16384 > 20000
            String m = e.getMessage();
            assertTrue(m.contains("'" + MOMENT + "'") && m.contains("16000 bytes") && m.contains("20000 bytes")
                    && m.contains("a test cap") && m.contains("adamw_state") && m.contains("limit"), m);
            assertEquals(1, rt.liveBlocks(), "the refused request took nothing from the device");
            assertEquals(4096, dm.bytesInUse());

            w.close();   // cached: 4096 + 16384 pass the cap until the cache is given back
            try (Tensor t = ops.allocate(MOMENT, 4000)) {
                assertEquals(1, rt.liveBlocks());
                assertEquals(0, ops.arena().bytesCached());
                assertEquals(16384, dm.bytesInUse());
            }
            assertEquals(16384, dm.peakBytesInUse());
        }
        assertEquals(0, rt.liveBlocks());
    }

    @Test
    void aDeviceThatRunsOutBelowTheCapSaysSo() {
        EmulatedRuntime rt = new EmulatedRuntime(8192);
        try (CudaOps ops = new CudaOps(CudaOps.EMULATED, rt)) {
            DeviceMemory dm = ops.memory().orElseThrow();
            assertEquals(8192, dm.totalBytes());
            dm.limit(new MemoryLimit(1 << 20, "a test cap", PlanComponents::ofTensor));
            try (Tensor g = ops.allocate("model.norm.weight (gradient)", 1000)) {
                assertEquals(8192 - 4096, dm.freeBytes());
                SculptException e = assertThrows(SculptException.class, () -> ops.allocate("llama scratch.logits", 4000));
                assertTrue(e.getMessage().contains("'llama scratch.logits'") && e.getMessage().contains("below the arena's limit of 1048576 bytes")
                        && e.getMessage().contains("activations"), e.getMessage());
            }
        }
        assertEquals(0, rt.liveBlocks());
    }

    @Test
    void tensorNamesMapToPlanComponents() {
        assertEquals("weights", PlanComponents.ofTensor("model.layers.3.self_attn.q_proj.weight"));
        assertEquals("weights", PlanComponents.ofTensor("lm_head.weight (upload)"));
        assertEquals("gradients", PlanComponents.ofTensor("lm_head.weight (gradient)"));
        assertEquals("adamw_state", PlanComponents.ofTensor("lm_head.weight (adamw v)"));
        assertEquals("bases", PlanComponents.ofTensor("model.layers.0.mlp.down_proj.weight U_h^T W0"));
        assertEquals("bases", PlanComponents.ofTensor("model.layers.0.mlp.down_proj.weight V_h"));
        assertEquals("workspace", PlanComponents.ofTensor("lm_head.weight (update)"));
        assertEquals("workspace", PlanComponents.ofTensor(null));
        assertEquals("activations", PlanComponents.ofTensor("t5 decoder.attn.probs"));
    }
}
