package dev.sculpt.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir Path dir;

    /** Random floats including the awkward ones: signed zeros, infinities, NaN payloads, subnormals. */
    static float[] randomFloats(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (r.nextInt(10)) {
                case 0 -> Float.intBitsToFloat(r.nextInt());                  // any bit pattern, NaNs included
                case 1 -> Float.intBitsToFloat(r.nextInt(1 << 23));           // subnormal
                default -> (float) r.nextGaussian();
            };
        }
        return v;
    }

    private static long[] shape(long... d) {
        return d;
    }

    @Test
    void f32RoundTripIsBitExactAndLayoutFollowsTheFormat() throws IOException {
        SplittableRandom r = new SplittableRandom(1);
        Map<String, float[]> values = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("w.weight", shape(37, 19));
        shapes.put("b.bias", shape(19));
        shapes.put("scalar", shape());
        shapes.put("empty", shape(0, 5));
        shapes.put("cube", shape(3, 4, 5));
        Map<String, TensorSource> src = new LinkedHashMap<>();
        shapes.forEach((n, s) -> {
            float[] v = randomFloats(r, (int) TensorInfo.elementCount(s));
            values.put(n, v);
            src.put(n, TensorSource.of(s, v));
        });
        Path f = dir.resolve("t.safetensors");
        SafeTensors.write(f, src, DType.F32, Map.of("format", "pt", "note", "ünïcode"));

        // independent parse of the raw bytes
        byte[] raw = Files.readAllBytes(f);
        ByteBuffer bb = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        long n = bb.getLong(0);
        assertEquals(0, (8 + n) % 8, "data section aligned to 8");
        JsonNode h = new ObjectMapper().readTree(new String(raw, 8, (int) n, StandardCharsets.UTF_8));
        assertEquals("ünïcode", h.get("__metadata__").get("note").asText());
        for (String name : shapes.keySet()) {
            JsonNode e = h.get(name);
            assertEquals("F32", e.get("dtype").asText());
            long begin = e.get("data_offsets").get(0).asLong();
            float[] v = values.get(name);
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(v[i]), bb.getInt((int) (8 + n + begin + 4L * i)), name + "[" + i + "]");
            }
        }

        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(List.copyOf(shapes.keySet()), st.names());
            assertEquals("ünïcode", st.metadata().get("note"));
            for (String name : shapes.keySet()) {
                TensorInfo t = st.info(name);
                assertArrayEquals(shapes.get(name), t.shape());
                assertEquals(DType.F32, t.dtype());
                assertBitsEqual(values.get(name), st.read(name), name);
                FloatBuffer direct = ByteBuffer.allocateDirect(4 * values.get(name).length + 8)
                        .order(ByteOrder.nativeOrder()).asFloatBuffer();
                direct.position(2);
                st.read(name, direct);
                assertEquals(2 + values.get(name).length, direct.position());
                float[] back = new float[values.get(name).length];
                direct.position(2);
                direct.get(back);
                assertBitsEqual(values.get(name), back, name);
            }
            // a part of a tensor
            FloatBuffer part = FloatBuffer.allocate(10);
            st.read("w.weight", 100, part);
            assertBitsEqual(Arrays.copyOfRange(values.get("w.weight"), 100, 110), part.array(), "part");
            // into a batch slot
            try (MatrixBatch b = MatrixBatch.allocateHost(3, 37, 19)) {
                st.read("w.weight", b, 1);
                assertBitsEqual(values.get("w.weight"), b.toArray(1), "slot 1");
                assertTrue(Arrays.equals(new float[37 * 19], b.toArray(0)), "slot 0 untouched");
                SculptException e = assertThrows(SculptException.class, () -> st.read("cube", b, 0));
                assertTrue(e.getMessage().contains("'cube'"), e.getMessage());
            }
            // writing the read tensors back gives the identical file
            Map<String, TensorSource> again = new LinkedHashMap<>();
            for (String name : st.names()) again.put(name, st.source(name));
            Path g = dir.resolve("u.safetensors");
            SafeTensors.write(g, again, DType.F32, st.metadata());
            assertArrayEquals(raw, Files.readAllBytes(g));
        }
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            int e = Float.floatToRawIntBits(expected[i]);
            int a = Float.floatToRawIntBits(actual[i]);
            if (e != a) {
                throw new AssertionError(what + "[" + i + "]: expected bits " + Integer.toHexString(e) + " got " + Integer.toHexString(a));
            }
        }
    }

    @Test
    void halfFormatsConvertOnWriteAndRoundTripExactly() throws IOException {
        SplittableRandom r = new SplittableRandom(2);
        float[] v = randomFloats(r, 999);
        for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            Path f = dir.resolve(dt + ".safetensors");
            SafeTensors.write(f, Map.of("x", TensorSource.of(shape(27, 37), v)), dt, Map.of());
            float[] back;
            try (SafeTensors st = SafeTensors.open(f)) {
                assertEquals(dt, st.info("x").dtype());
                assertEquals(999L * 2, st.info("x").byteSize());
                back = st.read("x");
                ByteBuffer raw = st.rawBytes("x");
                for (int i = 0; i < v.length; i++) {
                    short bits = dt == DType.F16 ? HalfFloats.floatToF16(v[i]) : HalfFloats.floatToBf16(v[i]);
                    assertEquals(bits, raw.getShort(2 * i), "stored bits " + i);
                    float expect = dt == DType.F16 ? HalfFloats.f16ToFloat(bits) : HalfFloats.bf16ToFloat(bits);
                    assertEquals(Float.floatToRawIntBits(expect), Float.floatToRawIntBits(back[i]), "read " + i);
                }
            }
            // 16-bit -> float32 -> 16-bit is the identity on the file
            Path g = dir.resolve(dt + "-again.safetensors");
            SafeTensors.write(g, Map.of("x", TensorSource.of(shape(27, 37), back)), dt, Map.of());
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(g));
        }
    }

    @Test
    void otherDtypesAreListedButNotReadAsFloat() throws IOException {
        Path f = handMade("{\"ids\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[16,24]}}", 24);
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(DType.I64, st.info("ids").dtype());
            assertFalse(st.info("ids").dtype().readableAsFloat());
            SculptException e = assertThrows(SculptException.class, () -> st.read("ids"));
            assertTrue(e.getMessage().contains("'ids'") && e.getMessage().contains("I64"), e.getMessage());
        }
    }

    // ---- corrupt files ----

    /** A file with the given header text and {@code dataBytes} bytes of data. */
    private Path handMade(String header, int dataBytes) throws IOException {
        return handMade(header, dataBytes, header.getBytes(StandardCharsets.UTF_8).length);
    }

    private Path handMade(String header, int dataBytes, long declaredLength) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength).put(h);
        Path f = Files.createTempFile(dir, "bad", ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private static void assertFails(Path f, String... fragments) {
        SculptException e = assertThrows(SculptException.class, () -> SafeTensors.open(f).close());
        assertTrue(e.getMessage().contains(f.toString()), "names the file: " + e.getMessage());
        for (String s : fragments) assertTrue(e.getMessage().contains(s), "'" + s + "' in: " + e.getMessage());
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        assertFails(handMade("{}", 0, 4000), "header length 4000 is larger than the file");
    }

    @Test
    void absurdHeaderLength() throws IOException {
        assertFails(handMade("{}", 0, -5), "header length 18446744073709551611 is larger than the file");
        assertFails(handMade("{}", 0, 1), "invalid header length 1");
    }

    @Test
    void tooShortForTheLength() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        assertFails(f, "truncated");
    }

    @Test
    void invalidJson() throws IOException {
        assertFails(handMade("{\"a\": {\"dtype\": ", 0), "invalid JSON");
        assertFails(handMade("[1, 2]", 0), "not a JSON object");
        assertFails(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "invalid JSON", "a");
    }

    @Test
    void unknownDtype() throws IOException {
        assertFails(handMade("{\"w\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8),
                "tensor 'w'", "unknown dtype 'F12'");
    }

    @Test
    void shapeTimesDtypeDoesNotMatchRange() throws IOException {
        assertFails(handMade("{\"w\":{\"dtype\":\"F16\",\"shape\":[3,2],\"data_offsets\":[0,24]}}", 24),
                "tensor 'w'", "needs 12 bytes", "span 24");
        assertFails(handMade("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8),
                "tensor 'w'", "too many");
        assertFails(handMade("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w'", "invalid dimension");
    }

    @Test
    void rangeOutsideTheDataSection() throws IOException {
        assertFails(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 12), "tensor 'w'", "outside the data section");
    }

    @Test
    void overlappingRanges() throws IOException {
        assertFails(handMade("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16), "'a'", "'b'", "overlap");
    }

    @Test
    void truncatedValidFile() throws IOException {
        Path f = dir.resolve("ok.safetensors");
        SafeTensors.write(f, Map.of("first", TensorSource.of(shape(4), new float[] {1, 2, 3, 4}),
                "last", TensorSource.of(shape(2, 2), new float[] {5, 6, 7, 8})), DType.F32, Map.of());
        byte[] all = Files.readAllBytes(f);
        try (SafeTensors st = SafeTensors.open(f)) {
            String lastName = st.names().get(1);
            Path cut = dir.resolve("cut.safetensors");
            Files.write(cut, Arrays.copyOf(all, all.length - 3));
            assertFails(cut, "tensor '" + lastName + "'", "file truncated");
            Path cutHeader = dir.resolve("cut-header.safetensors");
            Files.write(cutHeader, Arrays.copyOf(all, 20));
            assertFails(cutHeader, "header length");
        }
    }

    // ---- atomic writes ----

    @Test
    void failedWriteLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Path f = dir.resolve("out.safetensors");
        TensorSource failing = new TensorSource() {
            @Override public long[] shape() { return new long[] {1000, 1000}; }
            @Override public void read(long start, FloatBuffer dst) {
                if (start > 300_000) throw new SculptException("source broke at " + start);
                while (dst.hasRemaining()) dst.put(1f);
            }
        };
        SculptException e = assertThrows(SculptException.class,
                () -> SafeTensors.write(f, Map.of("big", failing), DType.F32, Map.of()));
        assertTrue(e.getMessage().contains("source broke"));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "no output and no temporary left");
        }
        SafeTensors.write(f, Map.of("x", TensorSource.of(shape(1), new float[] {42f})), DType.F32, Map.of());
        byte[] before = Files.readAllBytes(f);
        assertThrows(SculptException.class, () -> SafeTensors.write(f, Map.of("big", failing), DType.F32, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(f), "old file intact");
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());
        }
    }

    @Test
    void atomicFilesWriteString() throws IOException {
        Path f = dir.resolve("sub/a.txt");
        AtomicFiles.writeString(f, "hello");
        assertEquals("hello", Files.readString(f));
        assertThrows(SculptException.class, () -> AtomicFiles.write(f, ch -> {
            throw new IOException("disk full");
        }));
        assertEquals("hello", Files.readString(f));
        try (Stream<Path> s = Files.list(f.getParent())) {
            assertEquals(1, s.count());
        }
    }
}
