package dev.sculpt.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.SculptException;
import dev.sculpt.tensor.MatrixBatch;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face checkpoint directory opened for reading: {@code config.json} plus either
 * {@code model.safetensors} or shards listed by {@code model.safetensors.index.json} ({@code weight_map}).
 * Tensors are memory-mapped and read lazily by name, converted to float32 from F32, F16 or BF16.
 *
 * <pre>{@code
 * try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
 *     int hidden = ck.configInt("hidden_size");
 *     ck.expectShape("model.embed_tokens.weight", ck.configInt("vocab_size"), hidden);
 *     ck.read("model.embed_tokens.weight", buffer);
 * }
 * HfCheckpoint.write(outDir, configJson, tensors, DType.BF16);
 * }</pre>
 */
public final class HfCheckpoint implements AutoCloseable {
    public static final String CONFIG = "config.json";
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final JsonNode config;
    private final List<SafeTensors> files;
    private final Map<String, SafeTensors> byName;   // tensor name -> file holding it, in load order

    private HfCheckpoint(Path dir, JsonNode config, List<SafeTensors> files, Map<String, SafeTensors> byName) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        this.byName = byName;
    }

    /** Opens a checkpoint directory; validates config.json, the index and every shard's header. */
    public static HfCheckpoint open(Path dir) {
        if (!Files.isDirectory(dir)) throw new SculptException(dir + ": not a checkpoint directory (does not exist or is a file)");
        JsonNode config = readJson(dir.resolve(CONFIG), "config");
        if (!config.isObject()) throw new SculptException(dir.resolve(CONFIG) + ": not a JSON object");
        List<SafeTensors> files = new ArrayList<>();
        Map<String, SafeTensors> byName = new LinkedHashMap<>();
        try {
            Path index = dir.resolve(INDEX);
            Path single = dir.resolve(SINGLE);
            if (Files.exists(index)) {
                loadSharded(dir, index, files, byName);
            } else if (Files.exists(single)) {
                SafeTensors st = SafeTensors.open(single);
                files.add(st);
                for (String n : st.names()) byName.put(n, st);
            } else if (Files.exists(dir.resolve("pytorch_model.bin")) || Files.exists(dir.resolve("pytorch_model.bin.index.json"))) {
                throw new SculptException(dir + ": only PyTorch .bin weights found; convert the checkpoint to safetensors");
            } else {
                throw new SculptException(dir + ": neither " + SINGLE + " nor " + INDEX + " found");
            }
        } catch (RuntimeException e) {
            files.forEach(SafeTensors::close);
            throw e;
        }
        return new HfCheckpoint(dir, config, List.copyOf(files), Collections.unmodifiableMap(byName));
    }

    private static void loadSharded(Path dir, Path index, List<SafeTensors> files, Map<String, SafeTensors> byName) {
        JsonNode idx = readJson(index, "index");
        JsonNode wm = idx.get("weight_map");
        if (wm == null || !wm.isObject()) throw new SculptException(index + ": missing weight_map object");
        Map<String, SafeTensors> opened = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String tensor = e.getKey();
            if (!e.getValue().isTextual()) {
                throw new SculptException(index + ": weight_map entry of tensor '" + tensor + "' is not a file name");
            }
            String shard = e.getValue().textValue();
            if (shard.isEmpty() || shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
                throw new SculptException(index + ": tensor '" + tensor + "' maps to an invalid shard name '" + shard + "'");
            }
            SafeTensors st = opened.get(shard);
            if (st == null) {
                Path p = dir.resolve(shard);
                if (!Files.exists(p)) {
                    throw new SculptException(index + ": tensor '" + tensor + "' maps to shard " + shard + ", which is missing");
                }
                st = SafeTensors.open(p);
                opened.put(shard, st);
                files.add(st);
            }
            if (!st.contains(tensor)) {
                throw new SculptException(index + ": tensor '" + tensor + "' maps to shard " + shard + ", which does not contain it");
            }
            byName.put(tensor, st);
        }
    }

    private static JsonNode readJson(Path p, String what) {
        if (!Files.exists(p)) throw new SculptException(p + ": missing (" + what + " file of the checkpoint)");
        try {
            JsonNode n = SafeTensors.JSON.readTree(Files.readString(p));
            if (n == null || n.isMissingNode()) throw new SculptException(p + ": empty " + what + " file");
            return n;
        } catch (JsonProcessingException e) {
            throw new SculptException(p + ": invalid JSON at line " + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new SculptException(p + ": cannot read: " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    // ---- config ----

    /** config.json as a read-only tree (do not modify it). */
    public JsonNode config() {
        return config;
    }

    public boolean hasConfig(String key) {
        JsonNode n = config.get(key);
        return n != null && !n.isNull();
    }

    private JsonNode configNode(String key) {
        JsonNode n = config.get(key);
        if (n == null || n.isNull()) throw new SculptException(dir.resolve(CONFIG) + ": missing key '" + key + "'");
        return n;
    }

    public int configInt(String key) {
        JsonNode n = configNode(key);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new SculptException(dir.resolve(CONFIG) + ": key '" + key + "' must be an integer, got " + n);
        }
        return n.intValue();
    }

    public int configInt(String key, int fallback) {
        return hasConfig(key) ? configInt(key) : fallback;
    }

    public double configDouble(String key) {
        JsonNode n = configNode(key);
        if (!n.isNumber()) throw new SculptException(dir.resolve(CONFIG) + ": key '" + key + "' must be a number, got " + n);
        return n.doubleValue();
    }

    public double configDouble(String key, double fallback) {
        return hasConfig(key) ? configDouble(key) : fallback;
    }

    public boolean configBoolean(String key) {
        JsonNode n = configNode(key);
        if (!n.isBoolean()) throw new SculptException(dir.resolve(CONFIG) + ": key '" + key + "' must be true or false, got " + n);
        return n.booleanValue();
    }

    public boolean configBoolean(String key, boolean fallback) {
        return hasConfig(key) ? configBoolean(key) : fallback;
    }

    public String configString(String key) {
        JsonNode n = configNode(key);
        if (!n.isTextual()) throw new SculptException(dir.resolve(CONFIG) + ": key '" + key + "' must be a string, got " + n);
        return n.textValue();
    }

    public String configString(String key, String fallback) {
        return hasConfig(key) ? configString(key) : fallback;
    }

    /** {@code model_type} from config.json (e.g. "llama", "t5"). */
    public String modelType() {
        return configString("model_type");
    }

    /** {@code architectures} from config.json (empty when absent). */
    public List<String> architectures() {
        List<String> out = new ArrayList<>();
        JsonNode a = config.get("architectures");
        if (a != null && a.isArray()) a.forEach(x -> out.add(x.asText()));
        return out;
    }

    // ---- tensors ----

    /** All tensor names (index or file order). */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** The tensor's dtype, shape and location; throws naming it when absent. */
    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    /** Checks the tensor exists with exactly these dimensions; returns its info. */
    public TensorInfo expectShape(String name, long... dims) {
        TensorInfo t = info(name);
        if (!Arrays.equals(t.shape(), dims)) {
            throw new SculptException(dir + ": tensor '" + name + "' has shape " + t.shapeString() + ", expected "
                    + Arrays.toString(dims));
        }
        if (!t.dtype().readableAsFloat()) {
            throw new SculptException(dir + ": tensor '" + name + "' has dtype " + t.dtype() + "; expected F32, F16 or BF16");
        }
        return t;
    }

    /** Reads the whole tensor as float32 into {@code dst} at its position (advancing it). */
    public void read(String name, FloatBuffer dst) {
        file(name).read(name, dst);
    }

    /** Reads the whole tensor into a new heap array (small tensors). */
    public float[] read(String name) {
        return file(name).read(name);
    }

    /** Reads a 2-D tensor into matrix {@code slot} of a host batch. */
    public void read(String name, MatrixBatch batch, int slot) {
        file(name).read(name, batch, slot);
    }

    /** Reads elements {@code [start, start + dst.remaining())} of the tensor. */
    public void read(String name, long start, FloatBuffer dst) {
        file(name).read(name, start, dst);
    }

    /** A lazy source over the tensor (e.g. to write it into another checkpoint). */
    public TensorSource source(String name) {
        return file(name).source(name);
    }

    private SafeTensors file(String name) {
        SafeTensors f = byName.get(name);
        if (f == null) {
            throw new SculptException(dir + ": tensor '" + name + "' is missing from the checkpoint (" + byName.size() + " tensors)");
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafeTensors::close);
    }

    @Override
    public String toString() {
        return "HfCheckpoint[" + dir + ", " + byName.size() + " tensors in " + files.size() + " file(s)]";
    }

    // ---- writing ----

    /**
     * Writes a checkpoint directory atomically as a whole: config.json and model.safetensors (or shards with an
     * index above {@link CheckpointWriter#DEFAULT_SHARD_BYTES}), every tensor in {@code dtype}. An existing
     * {@code dir} is replaced entirely. Tensors are streamed from their sources; they may come from an open
     * checkpoint, even the one being replaced.
     */
    public static void write(Path dir, JsonNode config, Map<String, TensorSource> tensors, DType dtype) {
        CheckpointWriter.to(dir).config(config).tensors(tensors).dtype(dtype).write();
    }

    /** As {@link #write(Path, JsonNode, Map, DType)} with config.json given as text (validated as JSON). */
    public static void write(Path dir, String configJson, Map<String, TensorSource> tensors, DType dtype) {
        CheckpointWriter.to(dir).config(configJson).tensors(tensors).dtype(dtype).write();
    }
}
