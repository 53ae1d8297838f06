package dev.sculpt.io;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a safetensors file atomically, streaming: the header is written first from the declared
 * {@link TensorSpec}s, then each tensor's values in declaration order, converted chunk by chunk from float32 to
 * the declared dtype (F32, F16 or BF16). Nothing becomes visible under the target name before {@link #commit()};
 * closing without a commit (or any failure) removes the temporary file.
 *
 * <pre>{@code
 * try (SafeTensorsWriter w = SafeTensorsWriter.create(out, specs, Map.of())) {
 *     for (...) w.write(name, source);
 *     w.commit();
 * }
 * }</pre>
 */
public final class SafeTensorsWriter implements AutoCloseable {
    private static final int CHUNK_ELEMENTS = 1 << 18;   // 1 MiB of float32 per write

    private final AtomicFiles.PendingFile out;
    private final List<TensorSpec> specs;
    private int next;
    private final ByteBuffer bytes = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * 4).order(ByteOrder.LITTLE_ENDIAN);
    private final FloatBuffer floats = ByteBuffer.allocateDirect(CHUNK_ELEMENTS * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();

    private SafeTensorsWriter(AtomicFiles.PendingFile out, List<TensorSpec> specs) {
        this.out = out;
        this.specs = specs;
    }

    /** Begins writing {@code target}: validates the specs and writes the header to a temporary file. */
    public static SafeTensorsWriter create(Path target, List<TensorSpec> specs, Map<String, String> metadata) {
        Set<String> seen = new HashSet<>();
        for (TensorSpec s : specs) {
            if (!seen.add(s.name())) throw new SculptException(target + ": tensor '" + s.name() + "' declared twice");
        }
        byte[] header = header(specs, metadata);
        AtomicFiles.PendingFile p = AtomicFiles.begin(target);
        try {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            AtomicFiles.writeFully(p.channel(), len);
            AtomicFiles.writeFully(p.channel(), ByteBuffer.wrap(header));
            return new SafeTensorsWriter(p, List.copyOf(specs));
        } catch (IOException | RuntimeException e) {
            p.abort();
            throw e instanceof SculptException se ? se
                    : new SculptException("cannot write " + p.target() + ": " + e.getMessage(), e);
        }
    }

    /** The JSON header, space-padded to a multiple of 8 bytes so that the data section is aligned. */
    static byte[] header(List<TensorSpec> specs, Map<String, String> metadata) {
        ObjectNode root = SafeTensors.JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode m = root.putObject("__metadata__");
            metadata.forEach(m::put);
        }
        long offset = 0;
        for (TensorSpec s : specs) {
            ObjectNode t = root.putObject(s.name());
            t.put("dtype", s.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.shape()) shape.add(d);
            ArrayNode off = t.putArray("data_offsets");
            off.add(offset);
            offset += s.byteSize();
            off.add(offset);
        }
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    /** Writes the next tensor; {@code name} and the source's shape must match the next declared spec. */
    public void write(String name, TensorSource source) {
        if (next >= specs.size()) {
            throw new SculptException(out.target() + ": tensor '" + name + "' was not declared (all " + specs.size() + " written)");
        }
        TensorSpec s = specs.get(next);
        if (!s.name().equals(name)) {
            throw new SculptException(out.target() + ": expected tensor '" + s.name() + "' next, got '" + name + "'");
        }
        if (!Arrays.equals(s.shape(), source.shape())) {
            throw new SculptException(out.target() + ": tensor '" + name + "' declared " + Arrays.toString(s.shape())
                    + " but its source has shape " + Arrays.toString(source.shape()));
        }
        try {
            long total = s.elementCount();
            for (long done = 0; done < total; ) {
                int n = (int) Math.min(CHUNK_ELEMENTS, total - done);
                floats.clear().limit(n);
                source.read(done, floats);
                if (floats.position() != n) {
                    throw new SculptException("tensor '" + name + "': source delivered " + floats.position() + " of " + n + " values");
                }
                encode(s.dtype(), n);
                AtomicFiles.writeFully(out.channel(), bytes);
                done += n;
            }
            next++;
        } catch (IOException e) {
            out.abort();
            throw new SculptException("cannot write " + out.target() + " (tensor '" + name + "'): " + e.getMessage(), e);
        } catch (RuntimeException e) {
            out.abort();
            throw e;
        }
    }

    private void encode(DType dtype, int n) {
        bytes.clear();
        switch (dtype) {
            case F32 -> {
                bytes.asFloatBuffer().put(floats.duplicate().position(0).limit(n));
                bytes.position(n * 4);
            }
            case F16 -> {
                for (int i = 0; i < n; i++) bytes.putShort(HalfFloats.floatToF16(floats.get(i)));
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) bytes.putShort(HalfFloats.floatToBf16(floats.get(i)));
            }
            default -> throw new IllegalStateException("not writable: " + dtype);
        }
        bytes.flip();
    }

    /** Checks that every declared tensor was written, flushes and renames the file into place. */
    public void commit() {
        if (next != specs.size()) {
            out.abort();
            throw new SculptException(out.target() + ": only " + next + " of " + specs.size()
                    + " tensors written; next missing: '" + specs.get(next).name() + "'");
        }
        out.commit();
    }

    /** Aborts (removes the temporary) unless committed. */
    @Override
    public void close() {
        out.abort();
    }

    /** Writes all tensors in {@code dtype} (map order) to {@code target} atomically. */
    public static void write(Path target, Map<String, TensorSource> tensors, DType dtype, Map<String, String> metadata) {
        List<TensorSpec> specs = new ArrayList<>();
        tensors.forEach((n, s) -> specs.add(new TensorSpec(n, dtype, s.shape())));
        try (SafeTensorsWriter w = create(target, specs, metadata)) {
            tensors.forEach(w::write);
            w.commit();
        }
    }
}
