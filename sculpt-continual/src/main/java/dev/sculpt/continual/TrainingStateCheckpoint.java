package dev.sculpt.continual;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sculpt.SculptException;
import dev.sculpt.io.AtomicFiles;
import dev.sculpt.io.BasisFile;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Parameter;
import dev.sculpt.osft.InvariantResidual;
import dev.sculpt.osft.ProtectedBasis;
import dev.sculpt.train.TrainProgress;
import dev.sculpt.train.UpdaterState;
import dev.sculpt.train.UpdaterStateFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * The training-state checkpoint of a continual run inside a task (or of an evolve run inside a round, the
 * round standing for the task), {@code RUN_DIR/training-state}, written
 * atomically as a whole directory every {@code --save-every} optimizer steps and removed once the task's own
 * checkpoint and state.json are written. It holds the model's weights (HF layout, float32), the updater's state
 * ({@value #OPTIMIZER}: AdamW moments and step counts, LoRA factors), the OSFT protected bases of the task
 * ({@value #BASES}) and {@value #PROGRESS}: the task, the step (which is also the learning-rate schedule position;
 * saves fall on optimizer-step boundaries, so no gradient is half accumulated), the data order and shuffle seed of
 * the current epoch, the step losses and invariant checks so far, a digest of the task's start weights (W0 of the
 * guard and of LoRA) and the settings that decide the following steps.
 */
public final class TrainingStateCheckpoint {
    public static final String DIR = "training-state";
    public static final String PROGRESS = "progress.json";
    public static final String OPTIMIZER = "optimizer.bin";
    public static final String BASES = "osft-bases.bin";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private TrainingStateCheckpoint() {}

    /** progress.json. */
    public static final class Progress {
        public int format = 1;
        public int task;
        public String taskName;
        public int step;
        public int totalSteps;
        public int epoch;
        public long shuffleSeed;
        public int[] order;
        public List<Double> losses = new ArrayList<>();
        /** Settings that decide the following steps; a resume with other values is refused. */
        public Map<String, String> settings = new LinkedHashMap<>();
        /** CRC-32C of the task's start weights (every parameter, by name), in hex. */
        public String startWeights;
        /** Invariant checks so far: name, step, left, right, block, weight norm. */
        public List<Residual> residuals = new ArrayList<>();
        /** OSFT: per constrained matrix, {updates projected so far, the sum of their squared norms} (the guard's bound). */
        public Map<String, double[]> updateSums = new LinkedHashMap<>();
        public double trainSeconds;

        public TrainProgress progress() {
            return new TrainProgress(step, epoch, shuffleSeed, order, losses);
        }
    }

    /** One recorded invariant check. */
    public static final class Residual {
        public String name;
        public long step;
        public double left;
        public double right;
        public double block;
        public double weightNorm;
        public double updates;
        public double bound = Double.NaN;

        public Residual() {}

        public Residual(InvariantResidual r) {
            name = r.name();
            step = r.step();
            left = r.left();
            right = r.right();
            block = r.block();
            weightNorm = r.weightNorm();
            updates = r.updates();
            bound = r.bound();
        }

        public InvariantResidual toResidual() {
            return new InvariantResidual(name, step, left, right, block, weightNorm, updates, bound);
        }
    }

    /**
     * Registers the {@code constrained} matrices with {@code guard} and installs the saved bases and invariant checks
     * of the task; W0 is snapshotted from what the model holds now, which must be the task's start weights.
     */
    public static void restoreGuard(dev.sculpt.osft.SubspaceGuard guard, LanguageModel model, List<String> constrained,
                                    Path outDir, Progress at) {
        Map<String, ProtectedBasis> saved = readBases(outDir);
        if (!saved.keySet().equals(new java.util.LinkedHashSet<>(constrained))) {
            throw new SculptException("--resume: the saved protected bases cover " + saved.keySet() + ", this run constrains " + constrained);
        }
        Map<String, Parameter> byName = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) byName.put(p.name(), p);
        for (String name : constrained) {
            Parameter p = byName.get(name);
            guard.register(name, p.value(), 0);
            guard.restore(name, saved.get(name));
        }
        List<InvariantResidual> earlier = new ArrayList<>();
        for (Residual r : at.residuals) earlier.add(r.toResidual());
        guard.restoreResiduals(earlier);
        if (at.updateSums != null) guard.restoreUpdateSums(at.updateSums);
    }

    /** {@code p} with the guard's update sums ({@link dev.sculpt.osft.SubspaceGuard#updateSums}), for an OSFT checkpoint. */
    public static Progress withUpdateSums(Progress p, dev.sculpt.osft.SubspaceGuard guard) {
        p.updateSums = guard.updateSums();
        return p;
    }

    /** The content of progress.json for training unit {@code unit} (a task, or an evolve round) at {@code pr}. */
    public static Progress progress(int unit, String name, int totalSteps, TrainProgress pr, Map<String, String> settings,
                                    String startWeights, List<InvariantResidual> residuals, double seconds) {
        Progress p = new Progress();
        p.task = unit;
        p.taskName = name;
        p.step = pr.step();
        p.totalSteps = totalSteps;
        p.epoch = pr.epoch();
        p.shuffleSeed = pr.shuffleSeed();
        p.order = pr.order();
        p.losses = new ArrayList<>(pr.losses());
        p.settings = settings;
        p.startWeights = startWeights;
        for (InvariantResidual r : residuals) p.residuals.add(new Residual(r));
        p.trainSeconds = seconds;
        return p;
    }

    /** The protected bases a guard holds now, by name. */
    public static Map<String, ProtectedBasis> bases(dev.sculpt.osft.SubspaceGuard guard) {
        Map<String, ProtectedBasis> now = new LinkedHashMap<>();
        for (String n : guard.names()) now.put(n, guard.basis(n));
        return now;
    }

    /** Writes the checkpoint directory atomically (replacing an earlier one as a whole). */
    public static void write(Path outDir, Progress p, UpdaterState updater, Map<String, ProtectedBasis> bases,
                      ModelStore store, LanguageModel model) {
        AtomicFiles.writeDirectory(outDir.resolve(DIR), dir -> {
            store.save(model, dir);
            UpdaterStateFile.save(dir.resolve(OPTIMIZER), updater);
            if (bases != null) BasisFile.save(dir.resolve(BASES), bases);
            AtomicFiles.writeString(dir.resolve(PROGRESS), JSON.writeValueAsString(p));
        });
    }

    public static boolean exists(Path outDir) {
        return Files.exists(outDir.resolve(DIR));
    }

    public static Progress readProgress(Path outDir) {
        Path f = outDir.resolve(DIR).resolve(PROGRESS);
        try {
            Progress p = JSON.readValue(f.toFile(), Progress.class);
            if (p.format != 1) throw new SculptException(f + " has format " + p.format + ", this version reads 1");
            if (p.order == null || p.losses == null || p.settings == null || p.startWeights == null) {
                throw new SculptException(f + " is incomplete");
            }
            return p;
        } catch (IOException e) {
            throw new SculptException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    public static UpdaterState readUpdater(Path outDir) {
        return UpdaterStateFile.read(outDir.resolve(DIR).resolve(OPTIMIZER));
    }

    public static Map<String, ProtectedBasis> readBases(Path outDir) {
        Path f = outDir.resolve(DIR).resolve(BASES);
        if (!Files.isRegularFile(f)) throw new SculptException("--resume: " + f + " is missing");
        return BasisFile.read(f);
    }

    public static Path modelDir(Path outDir) {
        return outDir.resolve(DIR);
    }

    /**
     * Removes the checkpoint without ever leaving a half-deleted one under its name: it is renamed to hidden debris
     * first (which {@link AtomicFiles#deleteDebris} also clears if the process dies during the deletion).
     */
    public static void discard(Path outDir) {
        Path dir = outDir.resolve(DIR);
        if (!Files.exists(dir)) return;
        Path debris = outDir.resolve("." + DIR + "." + System.nanoTime() + DISCARDED);
        try {
            Files.move(dir, debris, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SculptException("cannot remove " + dir + ": " + e.getMessage(), e);
        }
        AtomicFiles.deleteRecursively(debris);
    }

    private static final String DISCARDED = ".discarded";

    /**
     * Clears what a killed writer or {@link #discard} leaves in {@code outDir}, first putting back the previous
     * checkpoint when the process died between {@link AtomicFiles#writeDirectory}'s two renames (the old directory
     * moved aside as {@code .training-state.<random>.old}, the new one not yet in place): that one is complete.
     */
    public static void recover(Path outDir) {
        Path dir = outDir.resolve(DIR);
        if (!Files.isDirectory(outDir)) return;
        try {
            if (!Files.exists(dir)) {
                try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(outDir, "." + DIR + ".*.old")) {
                    for (Path old : ds) {
                        if (Files.isRegularFile(old.resolve(PROGRESS))) {
                            Files.move(old, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                            break;
                        }
                    }
                }
            }
            try (java.nio.file.DirectoryStream<Path> ds = Files.newDirectoryStream(outDir, "." + DIR + ".*" + DISCARDED)) {
                for (Path p : ds) AtomicFiles.deleteRecursively(p);
            }
        } catch (IOException e) {
            throw new SculptException("cannot clean up " + outDir + ": " + e.getMessage(), e);
        }
        AtomicFiles.deleteDebris(outDir);
    }

    /** The keys whose values differ between two settings maps, as "key: saved -> now" lines. */
    public static List<String> differences(Map<String, String> saved, Map<String, String> now) {
        List<String> out = new ArrayList<>();
        TreeSet<String> keys = new TreeSet<>(saved.keySet());
        keys.addAll(now.keySet());
        for (String k : keys) {
            String a = saved.get(k), b = now.get(k);
            if (a == null ? b != null : !a.equals(b)) out.add(k + " " + (a == null ? "(absent)" : a) + " -> " + (b == null ? "(absent)" : b));
        }
        return out;
    }

    /** CRC-32C of every parameter's name and float32 bits, in the model's order. */
    public static String digest(LanguageModel model) {
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (Parameter p : model.parameters()) {
            crc.update(p.name().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            float[] w = p.toArray();
            int n = w.length;
            for (int i = 0; i < n; ) {
                int k = Math.min(n - i, chunk.capacity() / Float.BYTES);
                chunk.clear();
                for (int j = 0; j < k; j++) chunk.putInt(Float.floatToRawIntBits(w[i + j]));
                chunk.flip();
                crc.update(chunk);
                i += k;
            }
        }
        return Long.toHexString(crc.getValue());
    }

    /** CRC-32C of a task's tokenized training examples (prompt and target tokens, in order), in hex. */
    public static String digest(List<dev.sculpt.model.Example> examples) {
        CRC32C crc = new CRC32C();
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        for (dev.sculpt.model.Example e : examples) {
            for (int[] part : new int[][] {e.prompt(), e.target()}) {
                b.clear();
                b.putInt(part.length);
                b.flip();
                crc.update(b);
                for (int x : part) {
                    b.clear();
                    b.putInt(x);
                    b.flip();
                    crc.update(b);
                }
            }
        }
        return Long.toHexString(crc.getValue());
    }
}
