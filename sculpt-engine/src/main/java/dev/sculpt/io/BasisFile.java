package dev.sculpt.io;

import dev.sculpt.SculptException;
import dev.sculpt.osft.ProtectedBasis;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Protected bases on disk (to resume an accumulating run): "SCULPTB1", a count, then per matrix its name, rows,
 * cols, ku, kv and the floats of U_h and V_h (big-endian).
 */
public final class BasisFile {
    private static final String MAGIC = "SCULPTB1";

    private BasisFile() {}

    public static void write(OutputStream raw, Map<String, ProtectedBasis> bases) throws IOException {
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw));
        out.writeBytes(MAGIC);
        out.writeInt(bases.size());
        for (Map.Entry<String, ProtectedBasis> e : bases.entrySet()) {
            ProtectedBasis b = e.getValue();
            out.writeUTF(e.getKey());
            out.writeInt(b.rows());
            out.writeInt(b.cols());
            out.writeInt(b.leftRank());
            out.writeInt(b.rightRank());
            for (float f : b.u()) out.writeFloat(f);
            for (float f : b.v()) out.writeFloat(f);
        }
        out.flush();
    }

    /** Writes {@code file} atomically (the counterpart of {@link #read}). */
    public static void save(Path file, Map<String, ProtectedBasis> bases) {
        AtomicFiles.writeStream(file, out -> write(out, bases));
    }

    public static Map<String, ProtectedBasis> read(Path file) {
        Map<String, ProtectedBasis> out = new LinkedHashMap<>();
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] magic = new byte[MAGIC.length()];
            in.readFully(magic);
            if (!MAGIC.equals(new String(magic, java.nio.charset.StandardCharsets.US_ASCII))) {
                throw new SculptException(file + " is not a protected-basis file");
            }
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int rows = in.readInt(), cols = in.readInt(), ku = in.readInt(), kv = in.readInt();
                float[] u = new float[rows * ku];
                float[] v = new float[cols * kv];
                for (int j = 0; j < u.length; j++) u[j] = in.readFloat();
                for (int j = 0; j < v.length; j++) v[j] = in.readFloat();
                out.put(name, new ProtectedBasis(rows, cols, ku, u, kv, v));
            }
        } catch (IOException e) {
            throw new SculptException("cannot read protected bases " + file + ": " + e.getMessage(), e);
        }
        return out;
    }
}
