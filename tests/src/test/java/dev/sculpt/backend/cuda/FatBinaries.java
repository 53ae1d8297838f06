package dev.sculpt.backend.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The device code nvcc embeds in a host library: one fat binary per compiled .cu file, each a list of entries (a
 * cubin for one sm_XX, or PTX for one compute_XX). Layout, as nvcc writes it (the format cuobjdump reads): a
 * 16-byte header (u32 magic 0xBA55ED50, u16 version, u16 header size, u64 payload size), then entries, each a
 * header (u16 kind: 1 = PTX, 2 = ELF cubin; u16; u32 header size; u64 payload size; ...; u32 arch at byte 28,
 * e.g. 80 for sm_80) followed by its payload.
 */
final class FatBinaries {
    static final int MAGIC = 0xBA55ED50;
    static final int PTX = 1, CUBIN = 2;

    record Entry(int kind, int arch) {}

    private FatBinaries() {}

    /** The entries of every fat binary in {@code library}, one list per fat binary. */
    static List<List<Entry>> read(byte[] library) {
        ByteBuffer b = ByteBuffer.wrap(library).order(ByteOrder.LITTLE_ENDIAN);
        List<List<Entry>> out = new ArrayList<>();
        for (int i = 0; i + 16 <= library.length; i += 4) {
            if (b.getInt(i) != MAGIC) continue;
            int headerSize = Short.toUnsignedInt(b.getShort(i + 6));
            long size = b.getLong(i + 8);
            long end = i + headerSize + size;
            if (headerSize < 16 || end > library.length) continue;
            List<Entry> entries = new ArrayList<>();
            for (long p = i + headerSize; p + 32 <= end; ) {
                int kind = Short.toUnsignedInt(b.getShort((int) p));
                int entryHeader = b.getInt((int) p + 4);
                long payload = b.getLong((int) p + 8);
                entries.add(new Entry(kind, b.getInt((int) p + 28)));
                if (entryHeader <= 0 || payload < 0) break;
                p += entryHeader + payload;
            }
            out.add(entries);
            i = (int) (end - 4) & ~3;
        }
        return out;
    }
}
