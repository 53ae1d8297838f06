package dev.sculpt.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCheckpointTest {
    @TempDir Path tmp;

    private static final String CONFIG = "{\"model_type\":\"llama\",\"architectures\":[\"LlamaForCausalLM\"],"
            + "\"hidden_size\":8,\"vocab_size\":11,\"rms_norm_eps\":1e-5,\"tie_word_embeddings\":false}";

    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    private Map<String, TensorSource> tensors(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        shapes.put("model.embed_tokens.weight", new long[] {11, 8});
        shapes.put("model.layers.0.self_attn.q_proj.weight", new long[] {8, 8});
        shapes.put("model.layers.0.mlp.up_proj.weight", new long[] {20, 8});
        shapes.put("model.norm.weight", new long[] {8});
        shapes.put("lm_head.weight", new long[] {11, 8});
        Map<String, TensorSource> m = new LinkedHashMap<>();
        shapes.forEach((n, s) -> {
            float[] v = SafeTensorsTest.randomFloats(r, (int) TensorInfo.elementCount(s));
            values.put(n, v);
            m.put(n, TensorSource.of(s, v));
        });
        return m;
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void singleFileRoundTripIsBitExact() throws IOException {
        Path out = tmp.resolve("ck");
        HfCheckpoint.write(out, CONFIG, tensors(3), DType.F32);
        assertEquals(List.of("config.json", "model.safetensors"), listing(out));
        try (HfCheckpoint ck = HfCheckpoint.open(out)) {
            assertEquals(List.copyOf(shapes.keySet()), ck.names());
            assertEquals("llama", ck.modelType());
            assertEquals(List.of("LlamaForCausalLM"), ck.architectures());
            assertEquals(8, ck.configInt("hidden_size"));
            assertEquals(1e-5, ck.configDouble("rms_norm_eps"));
            assertFalse(ck.configBoolean("tie_word_embeddings"));
            assertEquals(10000.0, ck.configDouble("rope_theta", 10000.0));
            for (String n : shapes.keySet()) {
                assertArrayEquals(shapes.get(n), ck.info(n).shape());
                SafeTensorsTest.assertBitsEqual(values.get(n), ck.read(n), n);
            }
            ck.expectShape("model.layers.0.mlp.up_proj.weight", 20, 8);
        }
    }

    @Test
    void shardedWriteAndReadInBf16() throws IOException {
        Path out = tmp.resolve("sharded");
        // 11*8*2 = 176 bytes, 128, 320, 16, 176: with 300-byte shards -> 4 shards
        CheckpointWriter.to(out).config(CONFIG).tensors(tensors(4)).dtype(DType.BF16).shardBytes(300)
                .extraFile("tokenizer.json", "{}".getBytes()).write();
        assertEquals(List.of("config.json", "model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors", "model.safetensors.index.json",
                "tokenizer.json"), listing(out));
        JsonNode idx = new ObjectMapper().readTree(out.resolve("model.safetensors.index.json").toFile());
        assertEquals((11 * 8 * 2 + 64 + 160 + 8) * 2, idx.get("metadata").get("total_size").asLong());
        assertEquals("model-00003-of-00004.safetensors", idx.get("weight_map").get("model.layers.0.mlp.up_proj.weight").asText());
        try (HfCheckpoint ck = HfCheckpoint.open(out)) {
            assertEquals(new TreeSet<>(shapes.keySet()), new TreeSet<>(ck.names()));
            for (String n : shapes.keySet()) {
                assertEquals(DType.BF16, ck.info(n).dtype());
                float[] v = values.get(n);
                FloatBuffer got = FloatBuffer.allocate(v.length);
                ck.read(n, got);
                for (int i = 0; i < v.length; i++) {
                    float expect = HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(v[i]));
                    assertEquals(Float.floatToRawIntBits(expect), Float.floatToRawIntBits(got.get(i)), n + "[" + i + "]");
                }
            }
            // re-writing the checkpoint over itself from its own lazy sources is bit-exact
            byte[] shard1 = Files.readAllBytes(out.resolve("model-00001-of-00004.safetensors"));
            Map<String, TensorSource> again = new LinkedHashMap<>();
            for (String n : shapes.keySet()) again.put(n, ck.source(n));
            CheckpointWriter.to(out).config(ck.config()).tensors(again).dtype(DType.BF16).shardBytes(300).write();
            assertArrayEquals(shard1, Files.readAllBytes(out.resolve("model-00001-of-00004.safetensors")));
            assertEquals(List.of("sharded"), listing(tmp), "no temporaries or old copies left");
        }
    }

    @Test
    void failedWriteLeavesTheOldCheckpointAndNoTemporaries() throws IOException {
        Path out = tmp.resolve("ck");
        HfCheckpoint.write(out, CONFIG, tensors(5), DType.F16);
        byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
        Map<String, TensorSource> broken = new LinkedHashMap<>(tensors(6));
        broken.put("model.norm.weight", new TensorSource() {
            @Override public long[] shape() { return new long[] {8}; }
            @Override public void read(long start, FloatBuffer dst) { throw new SculptException("disk on fire"); }
        });
        SculptException e = assertThrows(SculptException.class, () -> HfCheckpoint.write(out, CONFIG, broken, DType.F16));
        assertTrue(e.getMessage().contains("disk on fire"));
        assertArrayEquals(before, Files.readAllBytes(out.resolve("model.safetensors")));
        assertEquals(List.of("ck"), listing(tmp));
        Path fresh = tmp.resolve("fresh");
        assertThrows(SculptException.class, () -> HfCheckpoint.write(fresh, CONFIG, broken, DType.F16));
        assertEquals(List.of("ck"), listing(tmp), "no half-written checkpoint visible");
    }

    @Test
    void clearErrorsNameTheCulprit() throws IOException {
        Path out = tmp.resolve("ck");
        HfCheckpoint.write(out, CONFIG, tensors(7), DType.F32);
        try (HfCheckpoint ck = HfCheckpoint.open(out)) {
            SculptException e = assertThrows(SculptException.class, () -> ck.configInt("num_hidden_layers"));
            assertTrue(e.getMessage().contains("missing key 'num_hidden_layers'") && e.getMessage().contains("config.json"), e.getMessage());
            e = assertThrows(SculptException.class, () -> ck.configInt("model_type"));
            assertTrue(e.getMessage().contains("'model_type' must be an integer"), e.getMessage());
            e = assertThrows(SculptException.class, () -> ck.expectShape("model.layers.0.self_attn.q_proj.weight", 8, 4));
            assertTrue(e.getMessage().contains("'model.layers.0.self_attn.q_proj.weight' has shape [8, 8], expected [8, 4]"), e.getMessage());
            e = assertThrows(SculptException.class, () -> ck.read("model.layers.1.self_attn.q_proj.weight"));
            assertTrue(e.getMessage().contains("'model.layers.1.self_attn.q_proj.weight' is missing"), e.getMessage());
        }
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        SculptException e = assertThrows(SculptException.class, () -> HfCheckpoint.open(empty));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        Files.writeString(empty.resolve("config.json"), "{\"a\": ");
        e = assertThrows(SculptException.class, () -> HfCheckpoint.open(empty));
        assertTrue(e.getMessage().contains("invalid JSON"), e.getMessage());
        Files.writeString(empty.resolve("config.json"), "{}");
        e = assertThrows(SculptException.class, () -> HfCheckpoint.open(empty));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void indexErrorsNameTheTensor() throws IOException {
        Path out = tmp.resolve("sh");
        CheckpointWriter.to(out).config(CONFIG).tensors(tensors(8)).shardBytes(400).write();
        Path index = out.resolve("model.safetensors.index.json");
        String text = Files.readString(index);
        Files.writeString(index, text.replace("\"lm_head.weight\" : \"model-", "\"lm_head.weight\" : \"gone-"));
        SculptException e = assertThrows(SculptException.class, () -> HfCheckpoint.open(out));
        assertTrue(e.getMessage().contains("'lm_head.weight'") && e.getMessage().contains("missing"), e.getMessage());
        Files.writeString(index, text.replace("\"model.norm.weight\" : ", "\"model.norm.weight\" : \"model-00001-of-00004.safetensors\", \"x\": "));
        e = assertThrows(SculptException.class, () -> HfCheckpoint.open(out));
        assertTrue(e.getMessage().contains("'model.norm.weight'") && e.getMessage().contains("does not contain"), e.getMessage());
    }
}
