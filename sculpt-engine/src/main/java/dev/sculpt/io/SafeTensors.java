package dev.sculpt.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.ShortBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for reading. The header is parsed and fully validated on {@link #open(Path)};
 * tensor data is memory-mapped region by region on each read, so the file is never copied onto the Java heap.
 * F32, F16 and BF16 tensors read as float32 (exact widening); other dtypes are listed but not convertible.
 *
 * <p>Format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}} (offsets relative to the data section that follows
 * the header) plus an optional {@code "__metadata__"} string map, then the data section.
 *
 * <p>Instances are safe for concurrent reads. {@link #close()} closes the file; buffers already mapped stay valid.
 */
public final class SafeTensors implements AutoCloseable {
    /** The format's own cap on header size (100 MB), which also guards against absurd lengths. */
    static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;
    /** Largest region mapped at once (mappings are limited to 2 GiB). */
    private static final long MAX_MAP_BYTES = 1L << 30;
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final long dataSize;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, FileChannel channel, long dataStart, long dataSize,
                        Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.dataSize = dataSize;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates {@code file}; throws {@link SculptException} naming the file (and tensor) on any defect. */
    public static SafeTensors open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new SculptException(file + ": no such file");
        } catch (IOException e) {
            throw new SculptException(file + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return parse(file, ch);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        } catch (IOException e) {
            closeQuietly(ch);
            throw new SculptException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static SafeTensors parse(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new SculptException(file + ": truncated safetensors file (" + size + " bytes, less than the 8-byte header length)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long headerLen = lenBuf.getLong(0);
        if (headerLen < 0 || headerLen > size - 8) {
            throw new SculptException(file + ": header length " + Long.toUnsignedString(headerLen)
                    + " is larger than the file (" + size + " bytes): file truncated or not safetensors");
        }
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw new SculptException(file + ": invalid header length " + headerLen + " (not a safetensors file?)");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        readFully(ch, hb, 8);
        JsonNode root;
        try {
            root = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new SculptException(file + ": invalid JSON header: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new SculptException(file + ": header is not a JSON object");
        }
        long dataStart = 8 + headerLen;
        long dataSize = size - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if ("__metadata__".equals(name)) {
                readMetadata(file, e.getValue(), metadata);
            } else {
                tensors.put(name, readEntry(file, name, e.getValue(), dataSize));
            }
        }
        checkOverlaps(file, tensors.values());
        return new SafeTensors(file, ch, dataStart, dataSize, Collections.unmodifiableMap(tensors),
                Collections.unmodifiableMap(metadata));
    }

    private static void readMetadata(Path file, JsonNode m, Map<String, String> out) {
        if (!m.isObject()) throw new SculptException(file + ": __metadata__ is not a JSON object");
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) {
                throw new SculptException(file + ": __metadata__ value of '" + e.getKey() + "' is not a string");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
    }

    private static TensorInfo readEntry(Path file, String name, JsonNode n, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!n.isObject()) throw new SculptException(where + ": header entry is not a JSON object");
        JsonNode dt = n.get("dtype");
        if (dt == null || !dt.isTextual()) throw new SculptException(where + ": missing or non-string dtype");
        DType dtype = DType.byName(dt.textValue());
        if (dtype == null) throw new SculptException(where + ": unknown dtype '" + dt.textValue() + "'");
        JsonNode sh = n.get("shape");
        if (sh == null || !sh.isArray()) throw new SculptException(where + ": missing or non-array shape");
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.longValue() < 0) {
                throw new SculptException(where + ": invalid dimension " + d + " in shape " + sh);
            }
            shape[i] = d.longValue();
        }
        JsonNode off = n.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2) {
            throw new SculptException(where + ": data_offsets must be an array [begin, end]");
        }
        for (JsonNode o : off) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.longValue() < 0) {
                throw new SculptException(where + ": invalid data_offsets " + off);
            }
        }
        long begin = off.get(0).longValue();
        long end = off.get(1).longValue();
        if (end < begin) throw new SculptException(where + ": data_offsets " + off + " end before begin");
        long count = TensorInfo.elementCount(shape);
        long expect = count < 0 ? -1 : multiplyOrMinusOne(count, dtype.byteSize());
        if (expect != end - begin) {
            throw new SculptException(where + ": shape " + java.util.Arrays.toString(shape) + " x " + dtype + " ("
                    + dtype.byteSize() + " bytes) needs " + (expect < 0 ? "too many" : String.valueOf(expect))
                    + " bytes but data_offsets " + off + " span " + (end - begin));
        }
        if (end > dataSize) {
            throw new SculptException(where + ": byte range [" + begin + ", " + end + ") lies outside the data section ("
                    + dataSize + " bytes): file truncated?");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long multiplyOrMinusOne(long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            return -1;
        }
    }

    private static void checkOverlaps(Path file, Iterable<TensorInfo> all) {
        List<TensorInfo> sorted = new ArrayList<>();
        for (TensorInfo t : all) {
            if (t.byteSize() > 0) sorted.add(t);
        }
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo a = sorted.get(i - 1);
            TensorInfo b = sorted.get(i);
            if (b.begin() < a.end()) {
                throw new SculptException(file + ": tensors '" + a.name() + "' [" + a.begin() + ", " + a.end()
                        + ") and '" + b.name() + "' [" + b.begin() + ", " + b.end() + ") overlap");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new IOException("unexpected end of file");
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing more to do
        }
    }

    public Path file() {
        return file;
    }

    /** Tensor names in header order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** All tensors in header order. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The tensor's description; throws naming it and the file when absent. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) throw new SculptException(file + ": no tensor named '" + name + "'");
        return t;
    }

    /** The {@code __metadata__} string map (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Size of the data section in bytes. */
    public long dataSize() {
        return dataSize;
    }

    /** Reads the whole tensor as float32 into {@code dst} at its position (advancing it). */
    public void read(String name, FloatBuffer dst) {
        TensorInfo t = info(name);
        if (dst.remaining() < t.elementCount()) {
            throw new SculptException(file + ": tensor '" + name + "' " + t.shapeString() + " has " + t.elementCount()
                    + " elements; the destination has room for " + dst.remaining());
        }
        FloatBuffer d = dst.duplicate();
        d.limit(d.position() + (int) t.elementCount());
        read(name, 0, d);
        dst.position(dst.position() + (int) t.elementCount());
    }

    /** Reads the whole tensor as a new float32 heap array (for small tensors). */
    public float[] read(String name) {
        TensorInfo t = info(name);
        if (t.elementCount() > Integer.MAX_VALUE - 8) {
            throw new SculptException(file + ": tensor '" + name + "' is too large for a Java array; read it into a buffer");
        }
        float[] out = new float[(int) t.elementCount()];
        read(name, 0, FloatBuffer.wrap(out));
        return out;
    }

    /** Reads a 2-D tensor (or a 1-D one into a 1 x n or n x 1 batch) into matrix {@code slot} of a host batch. */
    public void read(String name, MatrixBatch batch, int slot) {
        TensorInfo t = info(name);
        long[] s = t.shape();
        boolean fits = s.length == 2 ? s[0] == batch.rows() && s[1] == batch.cols()
                : s.length == 1 && (batch.rows() == 1 || batch.cols() == 1) && s[0] == batch.matrixSize();
        if (!fits) {
            throw new SculptException(file + ": tensor '" + name + "' " + t.shapeString() + " does not fit a "
                    + batch.rows() + " x " + batch.cols() + " matrix");
        }
        if (slot < 0 || slot >= batch.count()) {
            throw new SculptException("slot " + slot + " out of range for a batch of " + batch.count());
        }
        long off = batch.offset(slot);
        FloatBuffer dst = batch.buffer().duplicate();
        dst.limit((int) (off + batch.matrixSize())).position((int) off);
        read(name, 0, dst);
    }

    /**
     * Reads elements {@code [start, start + dst.remaining())} of the tensor (row-major) as float32 into
     * {@code dst} at its position, advancing it. Only the needed region of the file is mapped.
     */
    public void read(String name, long start, FloatBuffer dst) {
        TensorInfo t = info(name);
        if (!t.dtype().readableAsFloat()) {
            throw new SculptException(file + ": tensor '" + name + "' has dtype " + t.dtype()
                    + "; only F32, F16 and BF16 can be read as float32");
        }
        long count = dst.remaining();
        if (start < 0 || start + count > t.elementCount()) {
            throw new SculptException(file + ": tensor '" + name + "': elements [" + start + ", " + (start + count)
                    + ") out of range for " + t.elementCount() + " elements");
        }
        int es = t.dtype().byteSize();
        long maxChunk = MAX_MAP_BYTES / es;
        long done = 0;
        while (done < count) {
            int n = (int) Math.min(maxChunk, count - done);
            ByteBuffer region = map(t, (start + done) * es, (long) n * es);
            convert(t.dtype(), region, dst, n);
            done += n;
        }
    }

    /**
     * The tensor's raw little-endian bytes, memory-mapped read-only (no copy). Tensors above 1 GiB must be
     * read in parts with {@link #read(String, long, FloatBuffer)}.
     */
    public ByteBuffer rawBytes(String name) {
        TensorInfo t = info(name);
        if (t.byteSize() > MAX_MAP_BYTES) {
            throw new SculptException(file + ": tensor '" + name + "' (" + t.byteSize() + " bytes) is too large to map at once");
        }
        return map(t, 0, t.byteSize());
    }

    /** A source reading this tensor on demand (for copying it into another file without loading it). */
    public TensorSource source(String name) {
        TensorInfo t = info(name);
        return new TensorSource() {
            @Override public long[] shape() { return t.shape(); }
            @Override public void read(long start, FloatBuffer dst) { SafeTensors.this.read(name, start, dst); }
        };
    }

    private ByteBuffer map(TensorInfo t, long relOffset, long bytes) {
        try {
            if (bytes == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
            MappedByteBuffer m = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin() + relOffset, bytes);
            return m.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new SculptException(file + ": tensor '" + t.name() + "': cannot map its data: " + e.getMessage(), e);
        }
    }

    private static void convert(DType dtype, ByteBuffer src, FloatBuffer dst, int n) {
        switch (dtype) {
            case F32 -> {
                FloatBuffer f = src.asFloatBuffer();
                f.limit(n);
                dst.put(f);
            }
            case F16 -> {
                ShortBuffer s = src.asShortBuffer();
                for (int i = 0; i < n; i++) dst.put(HalfFloats.f16ToFloat(s.get(i)));
            }
            case BF16 -> {
                ShortBuffer s = src.asShortBuffer();
                for (int i = 0; i < n; i++) dst.put(HalfFloats.bf16ToFloat(s.get(i)));
            }
            default -> throw new IllegalStateException("not convertible: " + dtype);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    @Override
    public String toString() {
        return "SafeTensors[" + file + ", " + tensors.size() + " tensors]";
    }

    /**
     * Writes tensors to {@code target} atomically, all in {@code dtype}, in the map's iteration order.
     * See {@link SafeTensorsWriter} for streaming writes.
     */
    public static void write(Path target, Map<String, TensorSource> tensors, DType dtype, Map<String, String> metadata) {
        SafeTensorsWriter.write(target, tensors, dtype, metadata);
    }
}
