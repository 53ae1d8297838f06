package dev.sculpt.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds and writes a Hugging Face checkpoint directory atomically: everything is written into a temporary
 * directory next to the target, which then replaces the target in one rename (see
 * {@link AtomicFiles#writeDirectory}). Tensors above the shard size go to
 * {@code model-0000i-of-0000n.safetensors} shards with {@code model.safetensors.index.json}.
 * Shards carry {@code {"format": "pt"}} metadata, which transformers expects.
 */
public final class CheckpointWriter {
    /** Default largest shard, as in transformers ("5GB"). */
    public static final long DEFAULT_SHARD_BYTES = 5_000_000_000L;

    private final Path dir;
    private JsonNode config;
    private Map<String, TensorSource> tensors = new LinkedHashMap<>();
    private DType dtype = DType.F32;
    private long shardBytes = DEFAULT_SHARD_BYTES;
    private final Map<String, byte[]> extraBytes = new LinkedHashMap<>();
    private final Map<String, Path> extraCopies = new LinkedHashMap<>();

    private CheckpointWriter(Path dir) {
        this.dir = dir;
    }

    public static CheckpointWriter to(Path dir) {
        return new CheckpointWriter(dir);
    }

    public CheckpointWriter config(JsonNode config) {
        if (config == null || !config.isObject()) throw new SculptException(dir + ": config must be a JSON object");
        this.config = config;
        return this;
    }

    public CheckpointWriter config(String json) {
        try {
            return config(SafeTensors.JSON.readTree(json));
        } catch (JsonProcessingException e) {
            throw new SculptException(dir + ": config is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** The tensors, written in the map's order. */
    public CheckpointWriter tensors(Map<String, TensorSource> tensors) {
        this.tensors = new LinkedHashMap<>(tensors);
        return this;
    }

    public CheckpointWriter dtype(DType dtype) {
        if (!dtype.readableAsFloat()) throw new SculptException("cannot write a checkpoint in " + dtype + " (F32, F16 or BF16)");
        this.dtype = dtype;
        return this;
    }

    /** Largest shard in bytes; a single tensor larger than this gets a shard of its own. */
    public CheckpointWriter shardBytes(long bytes) {
        if (bytes <= 0) throw new SculptException("shard size must be positive, got " + bytes);
        this.shardBytes = bytes;
        return this;
    }

    /** An extra file (e.g. tokenizer.json, generation_config.json) with the given content. */
    public CheckpointWriter extraFile(String name, byte[] content) {
        checkExtraName(name);
        extraBytes.put(name, content.clone());
        return this;
    }

    /** An extra file copied from {@code source} (read when writing). */
    public CheckpointWriter copyFile(String name, Path source) {
        checkExtraName(name);
        extraCopies.put(name, source);
        return this;
    }

    private void checkExtraName(String name) {
        if (name.contains("/") || name.contains("\\") || name.startsWith(".") || name.equals(HfCheckpoint.CONFIG)
                || name.endsWith(".safetensors") || name.equals(HfCheckpoint.INDEX)) {
            throw new SculptException(dir + ": invalid extra file name '" + name + "'");
        }
    }

    /** Writes the checkpoint; on failure nothing changes at the target. */
    public void write() {
        if (config == null) throw new SculptException(dir + ": no config given");
        if (tensors.isEmpty()) throw new SculptException(dir + ": no tensors given");
        List<List<String>> shards = plan();
        AtomicFiles.writeDirectory(dir, tmp -> {
            Files.writeString(tmp.resolve(HfCheckpoint.CONFIG),
                    SafeTensors.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config) + "\n");
            Map<String, String> meta = Map.of("format", "pt");
            if (shards.size() == 1) {
                writeShard(tmp.resolve(HfCheckpoint.SINGLE), shards.get(0), meta);
            } else {
                Map<String, String> weightMap = new TreeMap<>();
                long total = 0;
                for (int i = 0; i < shards.size(); i++) {
                    String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                    writeShard(tmp.resolve(file), shards.get(i), meta);
                    for (String n : shards.get(i)) {
                        weightMap.put(n, file);
                        total += bytes(n);
                    }
                }
                ObjectNode idx = SafeTensors.JSON.createObjectNode();
                idx.putObject("metadata").put("total_size", total);
                ObjectNode wm = idx.putObject("weight_map");
                weightMap.forEach(wm::put);
                Files.writeString(tmp.resolve(HfCheckpoint.INDEX),
                        SafeTensors.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(idx) + "\n");
            }
            for (Map.Entry<String, byte[]> e : extraBytes.entrySet()) {
                Files.write(tmp.resolve(e.getKey()), e.getValue());
            }
            for (Map.Entry<String, Path> e : extraCopies.entrySet()) {
                if (!Files.isRegularFile(e.getValue())) throw new IOException(e.getValue() + ": no such file to copy");
                Files.copy(e.getValue(), tmp.resolve(e.getKey()));
            }
        });
    }

    private long bytes(String name) {
        long n = tensors.get(name).elementCount();
        if (n < 0) throw new SculptException(dir + ": tensor '" + name + "' has an overflowing shape");
        return n * dtype.byteSize();
    }

    /** Greedy split in order: a new shard starts when the next tensor would overflow the current one. */
    private List<List<String>> plan() {
        List<List<String>> shards = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        long size = 0;
        for (String n : tensors.keySet()) {
            long b = bytes(n);
            if (!cur.isEmpty() && size + b > shardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(n);
            size += b;
        }
        shards.add(cur);
        return shards;
    }

    private void writeShard(Path file, List<String> names, Map<String, String> meta) {
        List<TensorSpec> specs = new ArrayList<>();
        for (String n : names) specs.add(new TensorSpec(n, dtype, tensors.get(n).shape()));
        try (SafeTensorsWriter w = SafeTensorsWriter.create(file, specs, meta)) {
            for (String n : names) w.write(n, tensors.get(n));
            w.commit();
        }
    }
}
