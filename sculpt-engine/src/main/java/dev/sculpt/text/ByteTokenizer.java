package dev.sculpt.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The built-in byte-level tokenizer for models created from scratch: id 0 {@code <pad>}, 1 {@code <s>} (bos),
 * 2 {@code </s>} (eos), and ids 3..258 the bytes 0..255 of the UTF-8 text. Vocabulary size 259.
 *
 * <p>As in every Hugging Face tokenizer, the special-token strings {@code <pad>}, {@code <s>} and {@code </s>}
 * written in a text are those special tokens ({@code "a</s>"} is {@code [3+'a', 2]}), not their bytes: transformers
 * matches them in raw text whatever tokenizer.json says (PreTrainedTokenizerFast re-adds the bos/eos/pad tokens of
 * tokenizer_config.json as special added tokens), so this is the one behaviour both sides can share. The other
 * text is its bytes.
 *
 * <p>Model inputs get the special tokens of an {@link InputTemplate}: {@code <s>} first for LLaMA (the default),
 * {@code </s>} last for T5. {@link #save} writes it as the tokenizer.json post-processor, so Hugging Face's
 * {@code tokenizer(text)} gives exactly {@link #encodeInput}.
 *
 * <p>Saved format (what {@link #save} writes, {@link #isSavedIn} recognises and any Hugging Face tool loads):
 * <ul>
 *   <li>{@code tokenizer.json}: a {@code tokenizers} BPE model with no merges over the 256 byte symbols of the
 *   GPT-2 byte-to-unicode table (byte b is the symbol of {@code bytes_to_unicode()[b]}, id 3 + b), a ByteLevel
 *   pre-tokenizer and decoder with {@code use_regex: false} and {@code add_prefix_space: false}, the three
 *   special tokens as added tokens 0, 1, 2, and a TemplateProcessing post-processor for the input template.
 *   Encoding through Hugging Face gives exactly {@link #encode} (without special tokens) and {@link #encodeInput}
 *   (with them).</li>
 *   <li>{@code tokenizer_config.json}: {@code PreTrainedTokenizerFast} with bos/eos/pad named.</li>
 * </ul>
 * Recognition compares the model type, the merges (none) and the vocabulary with this table exactly; the
 * post-processor gives the input template ({@code null}, as older Sculpt versions wrote it, is no special tokens,
 * which is also what Hugging Face does with such a file).
 */
public final class ByteTokenizer implements Tokenizer {
    public static final int PAD = 0;
    public static final int BOS = 1;
    public static final int EOS = 2;
    /** Id of byte 0; byte b has id OFFSET + b. */
    public static final int OFFSET = 3;
    public static final int VOCAB_SIZE = OFFSET + 256;
    public static final String PAD_TOKEN = "<pad>";
    public static final String BOS_TOKEN = "<s>";
    public static final String EOS_TOKEN = "</s>";
    /** The special tokens by id. */
    private static final String[] SPECIALS = {PAD_TOKEN, BOS_TOKEN, EOS_TOKEN};

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final InputTemplate template;

    /** The byte tokenizer with LLaMA's input template: {@code <s>} before the text. */
    public ByteTokenizer() {
        this(InputTemplate.bosFirst(BOS));
    }

    /** The byte tokenizer with the given input template (its ids must be special tokens: 0, 1 or 2). */
    public ByteTokenizer(InputTemplate template) {
        for (int[] ids : new int[][] {template.prefix(), template.suffix()}) {
            for (int id : ids) {
                if (id >= OFFSET) throw new SculptException("input template " + template + ": id " + id + " is not a special token of the byte tokenizer");
            }
        }
        this.template = template;
    }

    @Override
    public int[] encode(String text) {
        if (text == null) throw new SculptException("cannot encode null text");
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        int n = 0;
        int i = 0;
        while (i < b.length) {
            int special = specialAt(b, i);
            if (special >= 0) {
                ids[n++] = special;
                i += SPECIALS[special].length();
            } else {
                ids[n++] = OFFSET + (b[i++] & 0xff);
            }
        }
        return Arrays.copyOf(ids, n);
    }

    /** The special token whose text starts at byte {@code i}, or -1 (no special token is a prefix of another). */
    /**
     * The start of a tokenizer.json that Sculpt's tokenizers share: version, no truncation or padding, and the
     * special added tokens {@code <pad>}, {@code <s>}, {@code </s>} with ids 0-2 (matched in raw text, as Hugging Face
     * does).
     */
    static ObjectNode tokenizerJsonHead() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", SPECIALS[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        return root;
    }

    /** The special token written at {@code text[i]} ({@code <pad>}, {@code <s>} or {@code </s>}), or null. */
    static String specialTokenAt(String text, int i) {
        for (String s : SPECIALS) {
            if (text.startsWith(s, i)) return s;
        }
        return null;
    }

    private static int specialAt(byte[] b, int i) {
        if (b[i] != '<') return -1;
        for (int id = 0; id < SPECIALS.length; id++) {
            String s = SPECIALS[id];            // ASCII: one byte per char
            if (i + s.length() > b.length) continue;
            boolean match = true;
            for (int k = 0; k < s.length() && match; k++) match = b[i + k] == s.charAt(k);
            if (match) return id;
        }
        return -1;
    }

    @Override
    public InputTemplate inputTemplate() {
        return template;
    }

    /** Bytes of the non-special ids as UTF-8 (invalid sequences become U+FFFD); special ids are skipped. */
    @Override
    public String decode(int[] ids) {
        byte[] b = new byte[ids.length];
        int n = 0;
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= VOCAB_SIZE) throw new SculptException("token id " + id + " at position " + i + " is outside the byte vocabulary [0, " + VOCAB_SIZE + ")");
            if (id >= OFFSET) b[n++] = (byte) (id - OFFSET);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(b, 0, n)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e); // cannot happen with REPLACE
        }
    }

    @Override public int vocabSize() { return VOCAB_SIZE; }
    @Override public int bosId() { return BOS; }
    @Override public int eosId() { return EOS; }
    @Override public int padId() { return PAD; }

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to 256 + n in byte order. */
    static char[] byteSymbols() {
        char[] map = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = direct[b] ? (char) b : (char) (256 + n++);
        return map;
    }

    private static ObjectNode vocabNode() {
        ObjectNode vocab = JSON.createObjectNode();
        vocab.put(PAD_TOKEN, PAD);
        vocab.put(BOS_TOKEN, BOS);
        vocab.put(EOS_TOKEN, EOS);
        char[] sym = byteSymbols();
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(sym[b]), OFFSET + b);
        return vocab;
    }

    private static ObjectNode byteLevel() {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", true);
        n.put("use_regex", false);
        return n;
    }

    /** The tokenizer.json tree (see the class comment). */
    public ObjectNode tokenizerJson() {
        ObjectNode root = tokenizerJsonHead();
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel());
        root.set("post_processor", postProcessor(template));
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.set("vocab", vocabNode());
        model.putArray("merges");
        return root;
    }

    /** tokenizer_config.json for transformers' AutoTokenizer. */
    public static ObjectNode tokenizerConfigJson() {
        ObjectNode c = JSON.createObjectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("bos_token", BOS_TOKEN);
        c.put("eos_token", EOS_TOKEN);
        c.put("pad_token", PAD_TOKEN);
        c.put("clean_up_tokenization_spaces", false);
        c.put("model_max_length", 1_000_000_000);
        return c;
    }

    /**
     * The TemplateProcessing post-processor of a template, as tokenizers serialises it (LLaMA's has the form
     * {@code "single": [<s>, $A], "pair": [<s>, $A, <s>:1, $B:1]}); null for no special tokens.
     */
    static JsonNode postProcessor(InputTemplate template) {
        if (template.added() == 0) return NullNode.getInstance();
        ObjectNode p = JSON.createObjectNode();
        p.put("type", "TemplateProcessing");
        ArrayNode single = p.putArray("single");
        addPieces(single, template, "A", 0);
        ArrayNode pair = p.putArray("pair");
        addPieces(pair, template, "A", 0);
        addPieces(pair, template, "B", 1);
        ObjectNode specials = p.putObject("special_tokens");
        Set<Integer> used = new TreeSet<>();
        for (int id : template.prefix()) used.add(id);
        for (int id : template.suffix()) used.add(id);
        for (int id : used) {
            ObjectNode t = specials.putObject(SPECIALS[id]);
            t.put("id", SPECIALS[id]);
            t.putArray("ids").add(id);
            t.putArray("tokens").add(SPECIALS[id]);
        }
        return p;
    }

    private static void addPieces(ArrayNode out, InputTemplate template, String sequence, int typeId) {
        for (int id : template.prefix()) out.addObject().putObject("SpecialToken").put("id", SPECIALS[id]).put("type_id", typeId);
        out.addObject().putObject("Sequence").put("id", sequence).put("type_id", typeId);
        for (int id : template.suffix()) out.addObject().putObject("SpecialToken").put("id", SPECIALS[id]).put("type_id", typeId);
    }

    /** The input template a saved post-processor describes (inverse of {@link #postProcessor}). */
    static InputTemplate templateOf(JsonNode postProcessor, Path file) {
        if (postProcessor == null || postProcessor.isNull() || postProcessor.isMissingNode()) return InputTemplate.NONE;
        if (!postProcessor.path("type").asText().equals("TemplateProcessing") || !postProcessor.path("single").isArray()) {
            throw new SculptException(file + ": post_processor must be null or a TemplateProcessing over <pad>, <s>, </s> and $A");
        }
        List<Integer> prefix = new ArrayList<>();
        List<Integer> suffix = new ArrayList<>();
        boolean seenSequence = false;
        for (JsonNode piece : postProcessor.path("single")) {
            if (piece.has("Sequence") && !seenSequence && piece.path("Sequence").path("id").asText().equals("A")) {
                seenSequence = true;
                continue;
            }
            String name = piece.path("SpecialToken").path("id").asText(null);
            int id = name == null ? -1 : Arrays.asList(SPECIALS).indexOf(name);
            if (id < 0) throw new SculptException(file + ": post_processor piece " + piece + " is neither $A nor one of " + Arrays.toString(SPECIALS));
            JsonNode ids = postProcessor.path("special_tokens").path(name).path("ids");
            if (!(ids.isArray() && ids.size() == 1 && ids.get(0).asInt(-1) == id)) {
                throw new SculptException(file + ": post_processor special token " + name + " must have ids [" + id + "], has " + ids);
            }
            (seenSequence ? suffix : prefix).add(id);
        }
        if (!seenSequence) throw new SculptException(file + ": post_processor single template has no $A");
        return new InputTemplate(prefix.stream().mapToInt(Integer::intValue).toArray(), suffix.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The files {@link #save} writes, by name (for writers that bundle them with a checkpoint). */
    public Map<String, byte[]> files() {
        return TokenizerFiles.of(tokenizerJson(), tokenizerConfigJson(), "byte tokenizer");
    }

    /** Writes the tokenizer files into {@code dir} (each atomically). */
    public void save(Path dir) {
        TokenizerFiles.save(dir, files());
    }

    /** Whether {@code dir/tokenizer.json} is this tokenizer (model type, no merges, the exact vocabulary). */
    public static boolean isSavedIn(Path dir) {
        Path f = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(f)) return false;
        JsonNode root;
        try {
            root = JSON.readTree(f.toFile());
        } catch (IOException e) {
            return false;
        }
        JsonNode model = root.path("model");
        return model.path("type").asText().equals("BPE")
                && model.path("merges").isArray() && model.path("merges").size() == 0
                && vocabNode().equals(model.path("vocab"));
    }

    /** The byte tokenizer saved in {@code dir}, with its input template; a clear error when it is another one. */
    public static ByteTokenizer load(Path dir) {
        Path file = dir.resolve("tokenizer.json");
        if (!isSavedIn(dir)) throw new SculptException(file + " is not Sculpt's byte-level tokenizer");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new SculptException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new ByteTokenizer(templateOf(root.get("post_processor"), file));
    }
}
