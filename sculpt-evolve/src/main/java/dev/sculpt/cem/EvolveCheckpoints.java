package dev.sculpt.cem;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import dev.sculpt.continual.ModelStore;
import dev.sculpt.io.AtomicFiles;
import dev.sculpt.io.JsonLines;
import dev.sculpt.model.LanguageModel;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What makes a killed {@code sculpt evolve} run resumable: after every completed round the model (HF layout,
 * through a {@link ModelStore}) and the round trainer's state (the protected bases it carries) go into
 * {@code RUN_DIR/checkpoints/round-NN} ({@link dev.sculpt.io.AtomicFiles#writeDirectory}: a temporary directory,
 * then a rename), and then {@code RUN_DIR/evolve-state.json} names it (also atomically; the previous checkpoint
 * is deleted only after).
 * A run killed at any point therefore finds either the old or the new state, both complete.
 *
 * <p>Resuming restores the weights and the trainer state, rebuilds the replay buffer and the trainer's seen
 * examples from the rounds' data files, reads the metrics so far from metrics.json and re-evaluates the model
 * (greedy decoding is deterministic, so the re-evaluation equals the one the killed run made).
 */
public final class EvolveCheckpoints {
    static final String STATE = "evolve-state.json";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final Path runDir;
    private final ModelStore store;
    private final boolean resume;
    /** The state last read or written (null before the first checkpoint of a fresh run). */
    private State last;

    /**
     * @param resume continue the run in {@code runDir}; without it a directory that already holds a run is an error
     */
    public EvolveCheckpoints(Path runDir, ModelStore store, boolean resume) {
        this.runDir = runDir;
        this.store = store;
        this.resume = resume;
    }

    /** The state file's content: rounds completed, the checkpoint that holds them, and the stop reason once finished. */
    public record State(int completedRounds, String checkpoint, String stopReason) {}

    /**
     * The state to resume from, or null to start afresh. Clears the debris of a run killed while writing a
     * checkpoint. Throws when {@code runDir} holds a run and resume was not asked for, or when its state is
     * unreadable or its checkpoint missing.
     */
    State begin(NoteSink out) {
        Path state = runDir.resolve(STATE);
        Path root = runDir.resolve("checkpoints");
        try {
            if (Files.isDirectory(root)) {    // what writeDirectory leaves when killed: .round-NN.<random>.tmpdir / .old
                try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, ".round-*.{tmpdir,old}")) {
                    for (Path p : ds) dev.sculpt.io.AtomicFiles.deleteRecursively(p);
                }
            }
        } catch (IOException e) {
            throw new SculptException("cannot clean " + root + ": " + e.getMessage(), e);
        }
        if (!Files.exists(state)) {
            if (resume) out.note("--resume: no earlier state in " + runDir + ", starting from round 0");
            return null;
        }
        if (!resume) {
            throw new SculptException("--out " + runDir + " already holds an evolve run (" + STATE
                    + "); pass --resume to continue it or choose another directory");
        }
        State s;
        try {
            s = JSON.readValue(state.toFile(), State.class);
        } catch (IOException e) {
            throw new SculptException("--resume: cannot read " + state + ": " + e.getMessage(), e);
        }
        if (s.completedRounds() < 0 || s.checkpoint() == null || !Files.isDirectory(runDir.resolve(s.checkpoint()))) {
            throw new SculptException("--resume: " + state + " names checkpoint " + s.checkpoint() + ", which is missing");
        }
        last = s;
        return s;
    }

    /** Loads the checkpoint's weights into {@code model} and its trainer state into {@code trainer}. */
    void restore(State s, LanguageModel model, RoundTrainer trainer, List<dev.sculpt.model.Example> seen) {
        Path dir = runDir.resolve(s.checkpoint());
        store.loadInto(model, dir);
        trainer.restoreState(dir, seen);
    }

    /** Writes the checkpoint of a completed round, then the state that names it, then drops older checkpoints. */
    void save(int round, LanguageModel model, RoundTrainer trainer) {
        Path root = runDir.resolve("checkpoints");
        String name = String.format(Locale.ROOT, "round-%02d", round);
        AtomicFiles.writeDirectory(root.resolve(name), dir -> {
            store.save(model, dir);
            trainer.saveState(dir);
        });
        writeState(new State(round, "checkpoints/" + name, null));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(root, "round-*")) {
            for (Path p : ds) if (!p.getFileName().toString().equals(name)) dev.sculpt.io.AtomicFiles.deleteRecursively(p);
        } catch (IOException e) {
            throw new SculptException("cannot remove old checkpoints in " + root + ": " + e.getMessage(), e);
        }
    }

    /** Marks the run finished (a later --resume reports it and stops); nothing to mark before a first checkpoint. */
    void finish(String stopReason) {
        if (last != null) writeState(new State(last.completedRounds(), last.checkpoint(), stopReason));
    }

    private void writeState(State s) {
        last = s;
        try {
            AtomicFiles.writeString(runDir.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(s) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SculptException("cannot serialise " + STATE + ": " + e.getMessage(), e);
        }
    }

    /** The metrics rows of rounds 0..completed from metrics.json. */
    List<RoundMetrics> readMetrics(int completed) {
        Path file = runDir.resolve("metrics.json");
        List<RoundMetrics> out = new ArrayList<>();
        try {
            JsonNode root = JSON.readTree(file.toFile());
            for (JsonNode r : root.path("rounds")) {
                RoundMetrics m = JSON.treeToValue(r, RoundMetrics.class);
                if (m.round() <= completed) out.add(m);
            }
        } catch (IOException e) {
            throw new SculptException("--resume: cannot read " + file + ": " + e.getMessage(), e);
        }
        if (out.size() != completed + 1) {
            throw new SculptException("--resume: " + file + " holds " + out.size() + " rounds, the state says " + completed + " completed");
        }
        return out;
    }

    /** Every training item of round {@code round} (cpt, cit, replay, as written to RUN_DIR/round-NN). */
    List<TrainingItem> roundItems(int round, String part) {
        Path file = runDir.resolve(EvolveLoop.roundDir(round)).resolve(part + ".jsonl");
        List<TrainingItem> items = new ArrayList<>();
        if (!Files.exists(file)) throw new SculptException("--resume: " + file + " is missing");
        JsonLines.read(file, (o, where) -> {
            try {
                items.add(JSON.treeToValue(o, TrainingItem.class));
            } catch (IOException e) {
                throw new SculptException("--resume: " + where + ": " + e.getMessage(), e);
            }
        });
        return items;
    }

    /** Where a note goes (the loop's output stream). */
    interface NoteSink {
        void note(String line);
    }
}
