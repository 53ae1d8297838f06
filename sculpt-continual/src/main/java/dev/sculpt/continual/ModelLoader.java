package dev.sculpt.continual;

import dev.sculpt.SculptException;
import dev.sculpt.io.HfCheckpoint;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens a Hugging Face checkpoint directory for continual training: the model (through the model registry), its
 * tokenizer and an {@link HfModelStore} that writes checkpoints with the same side files (tokenizer and so on).
 */
public final class ModelLoader {
    private ModelLoader() {}

    /** What was loaded; closing it closes the model. */
    public record Loaded(LanguageModel model, Tokenizer tokenizer, ModelStore store) implements AutoCloseable {
        @Override public void close() { model.close(); }
    }

    /** Checks that {@code dir} looks like a checkpoint (before any training starts). */
    public static void check(Path dir) {
        if (!Files.isDirectory(dir)) throw new SculptException("--model " + dir + " is not a directory");
        if (!Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG))) throw new SculptException("--model " + dir + " has no " + HfCheckpoint.CONFIG);
    }

    public static Loaded load(Path dir) {
        check(dir);
        return load(dir, Models.tokenizer(dir));
    }

    /** As {@link #load(Path)}, with the directory's tokenizer already read by the caller. */
    public static Loaded load(Path dir, Tokenizer tok) {
        check(dir);
        LanguageModel model = Models.load(dir);
        return new Loaded(model, tok, new HfModelStore(Models.sideFiles(dir)));
    }

    /**
     * As {@link #load(Path, Tokenizer)} with the model on {@code ops}' device (the caller closes {@code ops} after the
     * loaded model).
     */
    public static Loaded load(Path dir, Tokenizer tok, dev.sculpt.ops.Ops ops) {
        check(dir);
        LanguageModel model = Models.load(dir, ops);
        return new Loaded(model, tok, new HfModelStore(Models.sideFiles(dir)));
    }
}
