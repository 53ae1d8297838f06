package dev.sculpt.text;

import dev.sculpt.SculptException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the tokenizer of a model directory: Sculpt's built-in byte-level tokenizer when {@code tokenizer.json} is
 * exactly the one {@link ByteTokenizer} writes (recognised by {@link ByteTokenizer#isSavedIn}: BPE, no merges,
 * its byte vocabulary), otherwise the Hugging Face {@code tokenizer.json} through {@link HfTokenizer}.
 */
public final class Tokenizers {
    private Tokenizers() {}

    /** The tokenizer of {@code modelDir}; a clear error when the directory or its tokenizer.json is missing. */
    public static Tokenizer load(Path modelDir) {
        if (!Files.isDirectory(modelDir)) throw new SculptException("model directory not found: " + modelDir);
        if (ByteTokenizer.isSavedIn(modelDir)) return ByteTokenizer.load(modelDir);
        if (WordTokenizer.isSavedIn(modelDir)) return WordTokenizer.load(modelDir);
        if (!Files.isRegularFile(modelDir.resolve("tokenizer.json"))) {
            throw new SculptException("no tokenizer.json in model directory " + modelDir);
        }
        return HfTokenizer.load(modelDir);
    }
}
