package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.ops.RunDevice;
import dev.sculpt.text.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code sculpt generate}: KV-cached generation from a text prompt (encoded with the model directory's tokenizer
 * as a model input, {@link Tokenizer#encodeInput}: the special tokens of its post-processor, LLaMA's bos in front,
 * T5's eos at the end, exactly as training and evaluation format prompts) or from token ids.
 * Greedy by default; {@code --temperature}/{@code --top-p}/{@code --seed} sample. Stops at the tokenizer's eos.
 * Prints the generated text (and the ids with {@code --print-ids}, or always when the prompt was ids).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate tokens after a prompt (greedy, or temperature/top-p sampling).")
final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "model directory") Path model;

    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    static final class Input {
        @Option(names = "--prompt", description = "prompt text") String prompt;
        @Option(names = "--ids", description = "comma-separated prompt token ids") String ids;
    }

    @Option(names = "--max-new-tokens", required = true, description = "most tokens to generate") int maxNewTokens;
    @Option(names = "--greedy", description = "greedy decoding (the default)") boolean greedy;
    @Option(names = "--temperature", description = "sampling temperature (> 0); turns sampling on (default: none, greedy decoding)") Float temperature;
    @Option(names = "--top-p", description = "nucleus mass in (0, 1] (default 1)") Float topP;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--print-ids", description = "also print the generated ids") boolean printIds;
    @Option(names = "--device", defaultValue = "cpu", description = "the ops provider the whole run computes on, with the matching SVD backend: cpu; cuda (a GPU, its driver and the CUDA libraries; fails at once without them); cuda-emulated (the CUDA kernels built for the host, for tests; SVD on cpu); auto (cuda where usable, else cpu) (default: ${DEFAULT-VALUE})") String device;

    @Override
    public Integer call() {
        if (maxNewTokens < 0) throw new SculptException("--max-new-tokens must be >= 0, got " + maxNewTokens);
        boolean sample = temperature != null || topP != null;
        if (greedy && sample) throw new SculptException("--greedy cannot be combined with --temperature or --top-p");
        GenerationOptions base;
        Tokenizer tok = Files.isRegularFile(model.resolve("tokenizer.json")) ? Models.tokenizer(model) : null;
        Set<Integer> stops = new HashSet<>();
        if (tok != null && tok.eosId() >= 0) stops.add(tok.eosId());
        if (sample) {
            base = new GenerationOptions(maxNewTokens, false, temperature == null ? 1f : temperature, topP == null ? 1f : topP, seed, stops);
        } else {
            base = GenerationOptions.greedy(maxNewTokens, stops);
        }
        try (RunDevice dev = RunDevice.open("--device", device); LanguageModel m = Models.load(model, dev.ops())) {
            int[] prompt;
            if (input.prompt != null) {
                if (tok == null) throw new SculptException("--prompt: no tokenizer.json in " + model + "; pass --ids instead");
                prompt = tok.encodeInput(input.prompt);
            } else {
                prompt = CliIds.parse("--ids", input.ids);
                for (int id : prompt) {
                    if (id >= m.vocabSize()) throw new SculptException("--ids: token id " + id + " is outside the vocabulary [0, " + m.vocabSize() + ")");
                }
            }
            int[] out = m.generate(prompt, base);
            if (tok != null) System.out.println(tok.decode(out));
            if (tok == null || printIds || input.ids != null) System.out.println(CliIds.format(out));
        } finally {
            if (tok instanceof AutoCloseable c) {
                try { c.close(); } catch (Exception ignored) { /* nothing held that matters */ }
            }
        }
        return 0;
    }
}
