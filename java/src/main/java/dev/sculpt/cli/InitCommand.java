package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.ModelFamily;
import dev.sculpt.model.Models;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sculpt init}: a randomly initialised model in Hugging Face layout (config.json, model.safetensors and
 * tokenizer files), by default with the built-in byte-level tokenizer, whose post-processor adds the family's
 * special tokens to an input ({@link ModelFamily#inputTemplate}). The family ({@code --arch}) comes from
 * {@link Models}; t5 is available when the T5 family is in the build.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a randomly initialised model (config, safetensors, tokenizer) in Hugging Face layout.")
final class InitCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "llama or t5") String arch;
    @Option(names = "--size", defaultValue = "tiny", description = "tiny, small or base (default: ${DEFAULT-VALUE})") String size;
    @Option(names = "--out", required = true, description = "output model directory") Path out;
    @Option(names = "--seed", defaultValue = "0", description = "initialisation seed (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--tokenizer", description = "use this model directory's tokenizer instead of the byte-level one (default: the byte-level tokenizer, 259 ids)") Path tokenizerDir;
    @Option(names = "--force", description = "replace a non-empty output directory") boolean force;

    @Override
    public Integer call() {
        ModelFamily family = Models.family(arch);
        if (!family.sizes().contains(size)) throw new SculptException("--size: unknown size '" + size + "' for " + arch + "; known: " + family.sizes());
        if (Files.exists(out) && !force && !isEmptyDir(out)) {
            throw new SculptException("--out: " + out + " already exists and is not empty (use --force to replace it)");
        }
        Tokenizer tok;
        Map<String, byte[]> files;
        if (tokenizerDir != null) {
            tok = Models.tokenizer(tokenizerDir);
            files = Models.sideFiles(tokenizerDir);
        } else {
            ByteTokenizer bytes = new ByteTokenizer(family.inputTemplate(ByteTokenizer.BOS, ByteTokenizer.EOS));
            tok = bytes;
            files = bytes.files();
        }
        try (LanguageModel model = family.init(size, tok, seed)) {
            Models.save(model, out, files);
            long params = model.parameters().stream().mapToLong(p -> p.size()).sum();
            System.out.println("wrote " + arch + " " + size + " (" + params + " parameters, vocabulary " + model.vocabSize() + ") to " + out);
        }
        if (tok instanceof AutoCloseable c) {
            try { c.close(); } catch (Exception ignored) { /* nothing held that matters */ }
        }
        return 0;
    }

    private static boolean isEmptyDir(Path p) {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
