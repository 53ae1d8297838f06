package dev.sculpt.model.t5;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.DType;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.HalfFloats;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** T5 checkpoints in Hugging Face layout: bit-exact round trip, half-precision reading, bad checkpoints. */
class T5CheckpointTest {
    @Test
    void roundTripIsBitExact(@TempDir Path dir) throws Exception {
        for (boolean tied : new boolean[] {true, false}) {
            Path out = dir.resolve("m" + tied);
            T5Config c = T5ModelTest.tiny("gated-gelu", tied);
            try (T5Model m = T5ModelTest.randomModel(c, 77)) {
                m.save(out, DType.F32);
                assertTrue(Files.isRegularFile(out.resolve("config.json")));
                try (T5Model back = T5Model.load(out)) {
                    assertEquals(c, back.config());
                    assertEquals(m.parameters().size(), back.parameters().size());
                    for (Parameter p : m.parameters()) {
                        Parameter q = back.parameter(p.name());
                        assertArrayEquals(p.shape(), q.shape());
                        float[] a = p.toArray(), b = q.toArray();
                        for (int i = 0; i < a.length; i++) {
                            assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), p.name() + "[" + i + "]");
                        }
                    }
                    int[] enc = {3, 4, 5, 6};
                    int[] dec = {0, 7, 8};
                    assertArrayEquals(m.logits(enc, dec), back.logits(enc, dec));
                    // saving the loaded model again keeps the config and the tensors
                    back.save(dir.resolve("again" + tied), DType.F32);
                    assertEquals(new ObjectMapper().readTree(out.resolve("config.json").toFile()),
                            new ObjectMapper().readTree(dir.resolve("again" + tied).resolve("config.json").toFile()));
                }
            }
        }
    }

    /** The family's provider path: a checkpoint loaded onto cuda-emulated and saved from there is the same, bit for bit. */
    @Test
    void loadsOntoAndSavesFromADeviceProvider(@TempDir Path dir) {
        T5ProviderParityTest.requireEmulated();
        T5Config c = T5ModelTest.tiny("relu", false);
        try (T5Model m = T5ModelTest.randomModel(c, 21);
             dev.sculpt.ops.Ops emu = dev.sculpt.ops.OpsProviders.create(dev.sculpt.ops.cuda.CudaEmulatedOps.NAME)) {
            m.save(dir.resolve("cpu"), DType.F32);
            try (T5Model onDevice = (T5Model) new T5Family().load(dir.resolve("cpu"), emu)) {
                assertEquals(emu, onDevice.ops());
                for (Parameter p : m.parameters()) {
                    Parameter q = onDevice.parameter(p.name());
                    assertFalse(q.isHost(), p.name() + " is not on the device");
                    assertArrayEquals(p.toArray(), q.toArray(), p.name());
                }
                onDevice.save(dir.resolve("device"), DType.F32);
            }
            try (T5Model back = T5Model.load(dir.resolve("device"))) {
                for (Parameter p : m.parameters()) assertArrayEquals(p.toArray(), back.parameter(p.name()).toArray(), p.name());
            }
        }
    }

    @Test
    void readsBf16(@TempDir Path dir) {
        try (T5Model m = T5ModelTest.randomModel(T5ModelTest.tiny("relu", true), 8)) {
            m.save(dir, DType.BF16);
            try (T5Model back = T5Model.load(dir)) {
                for (Parameter p : m.parameters()) {
                    float[] a = p.toArray(), b = back.parameter(p.name()).toArray();
                    for (int i = 0; i < a.length; i++) {
                        assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(a[i])), b[i], p.name() + "[" + i + "]");
                    }
                }
            }
        }
    }

    /** Writes the model's tensors with one changed: renamed away (missing) or reshaped. */
    private static void writeBroken(T5Model m, Path dir, String victim, boolean reshape, ObjectNode config) {
        Map<String, TensorSource> tensors = new LinkedHashMap<>();
        for (Parameter p : m.parameters()) {
            float[] v = p.toArray();
            long[] dims = new long[p.rank()];
            for (int i = 0; i < dims.length; i++) dims[i] = p.shape()[i];
            if (p.name().equals(victim)) {
                if (!reshape) continue;
                dims = new long[] {v.length};
            }
            tensors.put(p.name(), TensorSource.of(dims, v));
        }
        HfCheckpoint.write(dir, config, tensors, DType.F32);
    }

    @Test
    void badCheckpointsNameTheCulprit(@TempDir Path dir) {
        T5Config c = T5ModelTest.tiny("relu", false);
        try (T5Model m = T5ModelTest.randomModel(c, 3)) {
            String victim = "decoder.block.1.layer.1.EncDecAttention.v.weight";
            writeBroken(m, dir.resolve("missing"), victim, false, c.toJson());
            SculptException missing = assertThrows(SculptException.class, () -> T5Model.load(dir.resolve("missing")));
            assertTrue(missing.getMessage().contains(victim), missing.getMessage());

            writeBroken(m, dir.resolve("shape"), "lm_head.weight", true, c.toJson());
            SculptException shape = assertThrows(SculptException.class, () -> T5Model.load(dir.resolve("shape")));
            assertTrue(shape.getMessage().contains("lm_head.weight"), shape.getMessage());

            ObjectNode llama = c.toJson().put("model_type", "llama");
            writeBroken(m, dir.resolve("arch"), "", false, llama);
            SculptException arch = assertThrows(SculptException.class, () -> T5Model.load(dir.resolve("arch")));
            assertTrue(arch.getMessage().contains("llama"), arch.getMessage());

            ObjectNode gated = c.toJson().put("feed_forward_proj", "gated-gelu");
            writeBroken(m, dir.resolve("ff"), "", false, gated);
            SculptException ff = assertThrows(SculptException.class, () -> T5Model.load(dir.resolve("ff")));
            assertTrue(ff.getMessage().contains("wi_0"), ff.getMessage());

            assertThrows(SculptException.class, () -> T5Model.load(dir.resolve("nowhere")));
            assertFalse(Files.exists(dir.resolve("nowhere")));
        }
    }
}
