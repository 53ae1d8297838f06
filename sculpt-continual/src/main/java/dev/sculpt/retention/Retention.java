package dev.sculpt.retention;

import dev.sculpt.SculptException;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.LossSum;
import dev.sculpt.model.ModelConfig;
import dev.sculpt.text.Tokenizer;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Retention of a model's general ability: its perplexity on a plain-text file, one document per line.
 *
 * <p>Each line becomes {@code [BOS] + tokens} (no BOS when the tokenizer has none), cut to the model's context
 * ({@code maxTokens}); every token after the first is predicted from everything before it, so with a BOS every
 * token of the line is scored. Perplexity = exp(sum of token cross-entropies / number of scored tokens), over all
 * lines together (token-weighted, not a mean of per-line perplexities). Lines that give fewer than 2 tokens score
 * nothing and are skipped; a file where every line does is rejected. Each line is an {@link Example} with an empty
 * prompt, so the model's own loss decides what is scored: a causal model predicts every token after the first; an
 * encoder-decoder model (T5, whose tokenizer has no BOS) reads a bare EOS in the encoder and scores every token in
 * the decoder ({@link #scoredTokens()} counts the causal case). The same object measures the continual runner's
 * tasks and the evolve loop's rounds.
 */
public final class Retention {
    /** Lines per forward pass. */
    private static final int BATCH = 8;

    private final String name;
    private final List<Example> lines;
    private final int cut;
    private final int skipped;
    private final long tokens;
    private final int maxTokens;

    private Retention(String name, List<Example> lines, int cut, int skipped, long tokens, int maxTokens) {
        this.maxTokens = maxTokens;
        this.name = name;
        this.lines = List.copyOf(lines);
        this.cut = cut;
        this.skipped = skipped;
        this.tokens = tokens;
    }

    /**
     * Reads and tokenizes {@code file} (UTF-8) and checks it before any training: it must exist, hold text, and have
     * at least one line of at least 2 tokens. Lines longer than {@code maxTokens} (BOS included) are cut to it.
     */
    public static Retention load(Path file, Tokenizer tokenizer, int maxTokens) {
        if (maxTokens < 2) throw new SculptException("--retain: the model's context (" + maxTokens + " tokens) is too short to score text");
        if (!Files.isRegularFile(file)) throw new SculptException("--retain: file not found: " + file);
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
        } catch (CharacterCodingException e) {
            throw new SculptException("--retain: " + file + " is not UTF-8 text", e);
        } catch (IOException e) {
            throw new SculptException("--retain: cannot read " + file + ": " + e.getMessage(), e);
        }
        if (text.isBlank()) throw new SculptException("--retain: " + file + " is empty");
        List<String> docs = text.lines().toList();
        return of(file.getFileName().toString(), docs, tokenizer, maxTokens);
    }

    /** As {@link #load}, from lines in memory; {@code name} stands for the file in messages and metrics. */
    public static Retention of(String name, List<String> docs, Tokenizer tokenizer, int maxTokens) {
        if (maxTokens < 2) throw new SculptException("retention text " + name + ": the model's context (" + maxTokens + " tokens) is too short to score text");
        List<Example> out = new ArrayList<>();
        int cut = 0;
        int skipped = 0;
        long scored = 0;
        int bos = tokenizer.bosId();
        for (String doc : docs) {
            if (doc.isBlank()) {
                skipped++;
                continue;
            }
            int[] ids = tokenizer.encode(doc);
            int[] seq;
            if (bos >= 0) {
                seq = new int[ids.length + 1];
                seq[0] = bos;
                System.arraycopy(ids, 0, seq, 1, ids.length);
            } else {
                seq = ids;
            }
            if (seq.length < 2) {
                skipped++;
                continue;
            }
            if (seq.length > maxTokens) {
                seq = Arrays.copyOf(seq, maxTokens);
                cut++;
            }
            scored += seq.length - 1;
            out.add(new Example(new int[0], seq));
        }
        if (out.isEmpty()) {
            throw new SculptException("--retain: " + name + " has no line that tokenizes to at least 2 tokens (" + docs.size() + " lines read)");
        }
        return new Retention(name, out, cut, skipped, scored, maxTokens);
    }

    /** The model's context in tokens from a checkpoint's config.json (max_position_embeddings, else n_positions); no limit when neither is given. */
    public static int contextOf(Path modelDir) {
        return ModelConfig.read(modelDir).contextLength().orElse(Integer.MAX_VALUE);
    }

    /** exp(mean token cross-entropy) of the model on every scored token of every line. */
    public double perplexity(LanguageModel model) {
        LossSum total = new LossSum(0, 0);
        for (int i = 0; i < lines.size(); i += BATCH) total = total.plus(model.loss(lines.subList(i, Math.min(lines.size(), i + BATCH))));
        if (total.tokens() == 0) throw new SculptException("retention text " + name + ": the model scored no tokens");
        return Math.exp(total.sum() / total.tokens());
    }

    /** The file's name (no directory), as recorded in metrics.json. */
    public String name() { return name; }

    /** Lines that are scored. */
    public int lines() { return lines.size(); }

    /** Lines longer than the context, cut to it. */
    public int cut() { return cut; }

    /** Lines skipped: blank, or fewer than 2 tokens. */
    public int skipped() { return skipped; }

    /** Tokens scored per measurement. */
    public long scoredTokens() { return tokens; }

    /** One line for the log and the console: what is measured and how many lines were cut or skipped. */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "retention text %s: %d lines, %d tokens scored; lines cut to the model's context (%s tokens): %d; skipped (blank or under 2 tokens): %d",
                name, lines.size(), tokens, maxTokens == Integer.MAX_VALUE ? "no limit" : Integer.toString(maxTokens), cut, skipped);
    }
}
