package dev.sculpt.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} (LLaMA BPE with byte fallback, T5 Unigram, or any other model the
 * tokenizers library knows), run by the native Rust library that DJL bundles in its jar (no download, no
 * network). {@link #encode} adds no special tokens and never truncates or pads; decoding drops special tokens.
 * Special-token strings in the text (e.g. {@code </s>}) are matched as those tokens, as the library does.
 *
 * <p>The {@linkplain #inputTemplate input template} is what the tokenizer.json post-processor adds to one text
 * (Hugging Face's {@code add_special_tokens=True}): read off the library itself by encoding a probe text with and
 * without special tokens, so any post-processor type is followed exactly. One exception mirrors transformers: for
 * the tokenizer classes that rebuild their post-processor when loaded ({@code LlamaTokenizer(Fast)},
 * {@code CodeLlamaTokenizer(Fast)}, {@code GemmaTokenizer(Fast)} named in tokenizer_config.json), the template is
 * bos first when {@code add_bos_token} (default true) and eos last when {@code add_eos_token} (default false).
 *
 * <p>The vocabulary size and the bos/eos/pad ids are read from the JSON itself (the native binding does not
 * expose them): the largest id of the model vocabulary and the added tokens, and the special tokens named in
 * {@code tokenizer_config.json} / {@code special_tokens_map.json} next to the file when present, otherwise the
 * usual names {@code <s>}, {@code </s>}, {@code <pad>}.
 */
public final class HfTokenizer implements Tokenizer, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final HuggingFaceTokenizer native_;
    private final int vocabSize;
    private final int bosId;
    private final int eosId;
    private final int padId;
    private final InputTemplate template;

    /** Tokenizer classes whose transformers implementation rebuilds the post-processor from add_bos/add_eos_token. */
    private static final Set<String> REBUILDS_POST_PROCESSOR = Set.of("LlamaTokenizer", "LlamaTokenizerFast",
            "CodeLlamaTokenizer", "CodeLlamaTokenizerFast", "GemmaTokenizer", "GemmaTokenizerFast");

    private HfTokenizer(Path file, HuggingFaceTokenizer tokenizer, int vocabSize, int bosId, int eosId, int padId, InputTemplate template) {
        this.file = file;
        this.native_ = tokenizer;
        this.vocabSize = vocabSize;
        this.bosId = bosId;
        this.eosId = eosId;
        this.padId = padId;
        this.template = template;
    }

    /** Loads {@code tokenizer.json} (a file, or a directory that contains one). */
    public static HfTokenizer load(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("tokenizer.json") : path;
        if (!Files.isRegularFile(file)) throw new SculptException("tokenizer file not found: " + file);
        JsonNode root = readJson(file);
        if (!root.isObject() || !root.path("model").isObject()) {
            throw new SculptException(file + ": not a Hugging Face tokenizer.json (no \"model\" object)");
        }
        Map<String, Integer> tokenIds = tokenIds(file, root);
        int maxId = -1;
        for (int id : tokenIds.values()) maxId = Math.max(maxId, id);
        if (maxId < 0) throw new SculptException(file + ": the tokenizer has an empty vocabulary");

        Path dir = file.toAbsolutePath().getParent();
        Map<String, String> specials = specialTokenNames(dir);
        JsonNode modelConfig = modelConfig(dir);
        int bos = specialId(tokenIds, specials.get("bos_token"), modelConfig, "bos_token_id", "<s>", "<|begin_of_text|>");
        int eos = specialId(tokenIds, specials.get("eos_token"), modelConfig, "eos_token_id", "</s>", "<|end_of_text|>", "<|endoftext|>");
        int pad = specialId(tokenIds, specials.get("pad_token"), modelConfig, "pad_token_id", "<pad>");
        if (eos < 0) {
            throw new SculptException(file + ": no end-of-sequence token (none named in tokenizer_config.json, "
                    + "special_tokens_map.json or config.json, and none of </s>, <|end_of_text|>, <|endoftext|>)");
        }

        Map<String, String> options = new HashMap<>();
        options.put("addSpecialTokens", "false");
        options.put("truncation", "false");
        options.put("padding", "false");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(file, options);
        } catch (IOException | RuntimeException e) {
            throw new SculptException(file + ": the tokenizers library rejected it: " + e.getMessage(), e);
        }
        InputTemplate template;
        try {
            template = transformersTemplate(dir, bos, eos, file);
            if (template == null) template = probeTemplate(tokenizer, file);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return new HfTokenizer(file, tokenizer, maxId + 1, bos, eos, pad, template);
    }

    /**
     * The post-processor's single-sequence template, read off the library: a probe text encoded with special tokens
     * is {@code prefix ++ ids ++ suffix} of the text encoded without them.
     */
    private static InputTemplate probeTemplate(HuggingFaceTokenizer tokenizer, Path file) {
        for (String probe : new String[] {"a", "hello", "0", " "}) {
            long[] plain = tokenizer.encode(probe, false, false).getIds();
            long[] full = tokenizer.encode(probe, true, false).getIds();
            if (plain.length == 0) continue;
            for (int k = 0; k + plain.length <= full.length; k++) {
                if (Arrays.equals(full, k, k + plain.length, plain, 0, plain.length)) {
                    return new InputTemplate(toInts(Arrays.copyOfRange(full, 0, k)),
                            toInts(Arrays.copyOfRange(full, k + plain.length, full.length)));
                }
            }
            throw new SculptException(file + ": the post-processor changes the text's own ids (" + Arrays.toString(plain)
                    + " became " + Arrays.toString(full) + "); only special tokens around the text are supported");
        }
        throw new SculptException(file + ": every probe text encodes to no ids; cannot read the post-processor");
    }

    /** The template transformers builds for LLaMA-style tokenizer classes (see the class comment), else null. */
    private static InputTemplate transformersTemplate(Path dir, int bos, int eos, Path file) {
        if (dir == null || !Files.isRegularFile(dir.resolve("tokenizer_config.json"))) return null;
        JsonNode config = readJson(dir.resolve("tokenizer_config.json"));
        if (!REBUILDS_POST_PROCESSOR.contains(config.path("tokenizer_class").asText())) return null;
        boolean addBos = config.path("add_bos_token").asBoolean(true);
        boolean addEos = config.path("add_eos_token").asBoolean(false);
        if (addBos && bos < 0) throw new SculptException(file + ": add_bos_token is true but there is no bos token");
        return new InputTemplate(addBos ? new int[] {bos} : new int[0], addEos ? new int[] {eos} : new int[0]);
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    @Override
    public int[] encode(String text) {
        if (text == null) throw new SculptException("cannot encode null text");
        long[] ids = native_.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = (int) ids[i];
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] l = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new SculptException("token id " + ids[i] + " at position " + i + " is outside the vocabulary [0, "
                        + vocabSize + ") of " + file);
            }
            l[i] = ids[i];
        }
        return native_.decode(l, true);
    }

    @Override public int vocabSize() { return vocabSize; }
    @Override public int bosId() { return bosId; }
    @Override public int eosId() { return eosId; }
    @Override public int padId() { return padId; }
    @Override public InputTemplate inputTemplate() { return template; }

    /** The file this tokenizer was read from. */
    public Path file() { return file; }

    @Override
    public void close() { native_.close(); }

    static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new SculptException(file + (loc == null ? "" : ":" + loc.getLineNr()) + ": malformed JSON: "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new SculptException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every token of the model vocabulary and the added tokens with its id. */
    private static Map<String, Integer> tokenIds(Path file, JsonNode root) {
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {                       // BPE, WordPiece, WordLevel: {"token": id}
            for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                    throw new SculptException(file + ": vocabulary entry \"" + e.getKey() + "\" has no valid id");
                }
                ids.put(e.getKey(), e.getValue().asInt());
            }
        } else if (vocab.isArray()) {                 // Unigram: [["token", score], ...], id = position
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode entry = vocab.get(i);
                if (!entry.isArray() || entry.size() < 1 || !entry.get(0).isTextual()) {
                    throw new SculptException(file + ": Unigram vocabulary entry " + i + " is not [token, score]");
                }
                ids.putIfAbsent(entry.get(0).asText(), i);
            }
        } else {
            throw new SculptException(file + ": model.vocab is neither an object nor a list");
        }
        for (JsonNode added : root.path("added_tokens")) {
            if (added.path("content").isTextual() && added.path("id").canConvertToInt()) {
                ids.put(added.path("content").asText(), added.path("id").asInt());
            }
        }
        return ids;
    }

    /** bos/eos/pad token strings from tokenizer_config.json, then special_tokens_map.json (first wins). */
    private static Map<String, String> specialTokenNames(Path dir) {
        Map<String, String> names = new HashMap<>();
        if (dir == null) return names;
        for (String f : new String[] {"tokenizer_config.json", "special_tokens_map.json"}) {
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) continue;
            JsonNode root = readJson(p);
            for (String key : new String[] {"bos_token", "eos_token", "pad_token"}) {
                JsonNode v = root.path(key);
                String s = v.isTextual() ? v.asText() : v.path("content").isTextual() ? v.path("content").asText() : null;
                if (s != null) names.putIfAbsent(key, s);
            }
        }
        return names;
    }

    /**
     * The id of a special token: the token named by the tokenizer config files, else the model config.json's
     * {@code <key>} (first entry when a list), else the first of the conventional names present; -1 when none.
     */
    private static int specialId(Map<String, Integer> ids, String named, JsonNode modelConfig, String key, String... conventional) {
        if (named != null && ids.containsKey(named)) return ids.get(named);
        if (modelConfig != null) {
            JsonNode v = modelConfig.path(key);
            if (v.isArray() && v.size() > 0) v = v.get(0);
            if (v.canConvertToInt() && v.isIntegralNumber() && v.asInt() >= 0) return v.asInt();
        }
        for (String name : conventional) if (ids.containsKey(name)) return ids.get(name);
        return -1;
    }

    /** config.json of the model directory, or null when absent. */
    private static JsonNode modelConfig(Path dir) {
        if (dir == null) return null;
        Path p = dir.resolve("config.json");
        return Files.isRegularFile(p) ? readJson(p) : null;
    }
}
