package dev.sculpt.train;

import dev.sculpt.SculptException;
import dev.sculpt.io.AtomicFiles;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An {@link UpdaterState} on disk: "SCULPTU1", the number of counters, each as (name, int), the number of tensors,
 * each as (name, length, float32 values). Big-endian; names in modified UTF-8. Values round-trip bit for bit.
 */
public final class UpdaterStateFile {
    private static final String MAGIC = "SCULPTU1";

    private UpdaterStateFile() {}

    /** Writes {@code file} atomically. */
    public static void save(Path file, UpdaterState state) {
        AtomicFiles.writeStream(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeBytes(MAGIC);
            out.writeInt(state.counters().size());
            for (Map.Entry<String, Integer> e : state.counters().entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue());
            }
            out.writeInt(state.tensors().size());
            byte[] chunk = new byte[1 << 16];
            ByteBuffer bb = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);
            for (Map.Entry<String, float[]> e : state.tensors().entrySet()) {
                float[] v = e.getValue();
                out.writeUTF(e.getKey());
                out.writeInt(v.length);
                for (int i = 0; i < v.length; ) {
                    int n = Math.min(v.length - i, chunk.length / Float.BYTES);
                    bb.clear();
                    bb.asFloatBuffer().put(v, i, n);
                    out.write(chunk, 0, n * Float.BYTES);
                    i += n;
                }
            }
            out.flush();
        });
    }

    public static UpdaterState read(Path file) {
        try (InputStream raw = Files.newInputStream(file);
             DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 16))) {
            byte[] magic = new byte[MAGIC.length()];
            in.readFully(magic);
            if (!MAGIC.equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
                throw new SculptException(file + " is not an optimizer-state file");
            }
            Map<String, Integer> counters = new LinkedHashMap<>();
            int nc = in.readInt();
            if (nc < 0) throw new SculptException(file + ": negative counter count");
            for (int i = 0; i < nc; i++) counters.put(in.readUTF(), in.readInt());
            Map<String, float[]> tensors = new LinkedHashMap<>();
            int nt = in.readInt();
            if (nt < 0) throw new SculptException(file + ": negative tensor count");
            byte[] chunk = new byte[1 << 16];
            ByteBuffer bb = ByteBuffer.wrap(chunk).order(ByteOrder.BIG_ENDIAN);
            for (int t = 0; t < nt; t++) {
                String name = in.readUTF();
                int len = in.readInt();
                if (len < 0) throw new SculptException(file + ": tensor " + name + " has negative length");
                float[] v = new float[len];
                for (int i = 0; i < len; ) {
                    int n = Math.min(len - i, chunk.length / Float.BYTES);
                    in.readFully(chunk, 0, n * Float.BYTES);
                    bb.clear();
                    bb.asFloatBuffer().get(v, i, n);
                    i += n;
                }
                tensors.put(name, v);
            }
            if (in.read() != -1) throw new SculptException(file + " has trailing bytes");
            return new UpdaterState(tensors, counters);
        } catch (IOException e) {
            throw new SculptException("cannot read optimizer state " + file + ": " + e.getMessage(), e);
        }
    }
}
