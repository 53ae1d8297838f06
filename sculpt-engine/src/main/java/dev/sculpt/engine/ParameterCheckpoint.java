package dev.sculpt.engine;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.CheckpointWriter;
import dev.sculpt.io.DType;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.Parameter;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads and writes a model's {@link Parameter}s by Hugging Face name, on any provider. Reading converts each stored
 * tensor (F32, F16, BF16) straight into a host parameter's memory, or into a host staging tensor that is copied to
 * the provider. Writing reads host parameters' memory in place and downloads device parameters a chunk at a time
 * ({@link DeviceTensorSource}).
 */
public final class ParameterCheckpoint {
    private ParameterCheckpoint() {}

    /**
     * Fills every parameter from {@code ck}, reading parameter p from the stored tensor {@code storedName.apply(p)}
     * (usually p's own name), whose shape must equal p's. A missing tensor is an error naming it, its shape and
     * {@code needer} (e.g. "LlamaForCausalLM").
     */
    public static void read(HfCheckpoint ck, List<Parameter> params, Function<Parameter, String> storedName, Ops ops, String needer) {
        for (Parameter p : params) {
            String name = storedName.apply(p);
            if (!ck.has(name)) {
                throw new SculptException(ck.dir() + ": checkpoint lacks tensor '" + name + "' " + Arrays.toString(p.shape()) + " needed by " + needer);
            }
            long[] shape = new long[p.rank()];
            for (int i = 0; i < shape.length; i++) shape[i] = p.shape()[i];
            ck.expectShape(name, shape);
            if (p.isHost()) {
                ck.read(name, p.data().duplicate().position(0));
                continue;
            }
            try (Tensor host = Tensor.allocateHost(name + " (staging)", p.shape()); Tensor dev = ops.upload(fill(ck, name, host), name + " (upload)")) {
                ops.copy(dev, p.value());
            }
        }
    }

    private static Tensor fill(HfCheckpoint ck, String name, Tensor host) {
        ck.read(name, host.hostBuffer().duplicate().position(0));
        return host;
    }

    /** Names in {@code ck} that no parameter reads and that {@code ignorable} does not excuse (for a warning). */
    public static List<String> unused(HfCheckpoint ck, List<Parameter> params, java.util.function.Predicate<String> ignorable) {
        java.util.Set<String> known = new java.util.HashSet<>();
        for (Parameter p : params) known.add(p.name());
        List<String> out = new ArrayList<>();
        for (String n : ck.names()) if (!known.contains(n) && !ignorable.test(n)) out.add(n);
        return out;
    }

    /**
     * Writes {@code params} (under their names) with {@code config} (config.json) to {@code dir} atomically as
     * float32 safetensors, plus {@code extraFiles}; device parameters are downloaded chunk by chunk as the writer
     * reads them.
     */
    public static void write(Path dir, JsonNode config, List<Parameter> params, Ops ops, Map<String, byte[]> extraFiles) {
        write(dir, config, params, ops, extraFiles, DType.F32);
    }

    /** As {@link #write(Path, JsonNode, List, Ops, Map)} with the stored dtype chosen (F32, F16, BF16). */
    public static void write(Path dir, JsonNode config, List<Parameter> params, Ops ops, Map<String, byte[]> extraFiles, DType dtype) {
        Map<String, TensorSource> tensors = new LinkedHashMap<>();
        for (Parameter p : params) tensors.put(p.name(), new DeviceTensorSource(ops, p.value()));
        CheckpointWriter w = CheckpointWriter.to(dir).config(config).tensors(tensors).dtype(dtype);
        for (Map.Entry<String, byte[]> f : extraFiles.entrySet()) w.extraFile(f.getKey(), f.getValue());
        w.write();
    }
}
