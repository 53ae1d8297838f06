package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.ModelFamily;
import dev.sculpt.model.Models;
import dev.sculpt.ops.RunDevice;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.text.WordTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sculpt init}: a randomly initialised model in Hugging Face layout (config.json, model.safetensors and
 * tokenizer files), by default with the built-in byte-level tokenizer; {@code --tokenizer words --corpus FILE}
 * gives a word-level one over the corpus's vocabulary ({@link WordTokenizer}). Either one's post-processor adds
 * the family's special tokens to an input ({@link ModelFamily#inputTemplate}). The family ({@code --arch}) comes from
 * {@link Models}; t5 is available when the T5 family is in the build.
 */
@Command(name = "init", mixinStandardHelpOptions = true,
        description = "Create a randomly initialised model (config, safetensors, tokenizer) in Hugging Face layout.")
final class InitCommand implements Callable<Integer> {
    @Option(names = "--arch", required = true, description = "llama or t5") String arch;
    @Option(names = "--size", defaultValue = "tiny", description = "tiny, small or base (default: ${DEFAULT-VALUE})") String size;
    @Option(names = "--out", required = true, description = "output model directory") Path out;
    @Option(names = "--seed", defaultValue = "0", description = "initialisation seed (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--tokenizer", defaultValue = "bytes", paramLabel = "bytes|words|DIR",
            description = "bytes: the built-in byte-level tokenizer (259 ids); words: one id per word of the --corpus files"
                    + " (with and without a leading space) plus byte fallback, for small models trained from scratch on"
                    + " a known vocabulary; DIR: the tokenizer of that model directory (default: ${DEFAULT-VALUE})")
    String tokenizer;
    @Option(names = "--corpus", split = ",", paramLabel = "FILE",
            description = "with --tokenizer words: JSONL files whose string fields (corpus text and titles, questions,"
                    + " answers, options, prompts, completions) give the vocabulary; comma-separated; no default")
    List<Path> corpus;
    @Option(names = "--force", description = "replace a non-empty output directory") boolean force;
    @Option(names = "--device", defaultValue = "cpu", description = "the ops provider the whole run computes on, with the matching SVD backend: cpu; cuda (a GPU, its driver and the CUDA libraries; fails at once without them); cuda-emulated (the CUDA kernels built for the host, for tests; SVD on cpu); auto (cuda where usable, else cpu) (default: ${DEFAULT-VALUE})") String device;

    @Override
    public Integer call() {
        try (RunDevice dev = RunDevice.open("--device", device)) {
            return call(dev);
        }
    }

    private Integer call(RunDevice dev) {
        ModelFamily family = Models.family(arch);
        if (!family.sizes().contains(size)) throw new SculptException("--size: unknown size '" + size + "' for " + arch + "; known: " + family.sizes());
        if (Files.exists(out) && !force && !isEmptyDir(out)) {
            throw new SculptException("--out: " + out + " already exists and is not empty (use --force to replace it)");
        }
        if (corpus != null && !tokenizer.equals("words")) throw new SculptException("--corpus is only used with --tokenizer words");
        Tokenizer tok;
        Map<String, byte[]> files;
        if (tokenizer.equals("words")) {
            if (corpus == null || corpus.isEmpty()) throw new SculptException("--tokenizer words needs --corpus FILE (the texts whose words make the vocabulary)");
            WordTokenizer w = WordTokenizer.fromCorpus(CorpusTexts.read(corpus))
                    .withInputTemplate(family.inputTemplate(ByteTokenizer.BOS, ByteTokenizer.EOS));
            tok = w;
            files = w.files();
        } else if (tokenizer.equals("bytes")) {
            ByteTokenizer bytes = new ByteTokenizer(family.inputTemplate(ByteTokenizer.BOS, ByteTokenizer.EOS));
            tok = bytes;
            files = bytes.files();
        } else {
            Path dir = Path.of(tokenizer);
            if (!Files.isDirectory(dir)) throw new SculptException("--tokenizer: '" + tokenizer + "' is neither bytes, words nor a model directory");
            tok = Models.tokenizer(dir);
            files = Models.sideFiles(dir);
        }
        try (LanguageModel model = family.init(size, tok, seed, dev.ops())) {
            Models.save(model, out, files);
            long params = model.parameters().stream().mapToLong(p -> p.size()).sum();
            System.out.println("wrote " + arch + " " + size + " (" + params + " parameters, vocabulary " + model.vocabSize()
                    + (tok instanceof WordTokenizer w ? ": " + w.words().size() + " words and the bytes" : "") + ") to " + out);
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
