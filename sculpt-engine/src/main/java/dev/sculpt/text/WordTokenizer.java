package dev.sculpt.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A word-level tokenizer with byte fallback, for small models trained from scratch on a known vocabulary
 * ({@code sculpt init --tokenizer words --corpus FILE}, the CEM demo): the byte tokenizer's 259 ids (pad, bos, eos
 * and the 256 bytes), then one id per word of a fixed vocabulary. Text is cut into pieces the way GPT-2's
 * pre-tokenizer does (an optional leading space plus a run of letters, or a single other character); a piece in the
 * vocabulary is one id, any other piece is its UTF-8 bytes. So every string encodes and decodes back exactly, and
 * the world's words ("Quill", " teal") are single tokens, as they would be for a real model's trained BPE, instead
 * of letter sequences a tiny byte-level model can garble.
 *
 * <p>Saved format ({@link #files}, recognised by {@link #isSavedIn}): {@code tokenizer.json} in the layout of the
 * Hugging Face {@code tokenizers} library: a BPE model without merges and with {@code byte_fallback} and
 * {@code ignore_merges}, whose vocabulary is the three special tokens (0-2), the byte tokens {@code <0x00>} ..
 * {@code <0xFF>} (3-258) and the words (259 on, with their leading space); a Split pre-tokenizer with the
 * pattern {@value #PIECE_PATTERN}; a ByteFallback + Fuse decoder. Sculpt reads the words back from the vocabulary;
 * that the Hugging Face library encodes text the same way has not been checked.
 */
public final class WordTokenizer implements Tokenizer {
    private static final ByteTokenizer BYTES = new ByteTokenizer();
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** The pieces of {@link #pieces} as a regular expression: an optional space and letters, or one character. */
    public static final String PIECE_PATTERN = " ?\\p{L}+|[\\s\\S]";

    private final List<String> words;
    private final Map<String, Integer> ids = new HashMap<>();
    private InputTemplate template = InputTemplate.bosFirst(ByteTokenizer.BOS);

    private WordTokenizer(Collection<String> words) {
        this.words = List.copyOf(words);
        for (int i = 0; i < this.words.size(); i++) ids.put(this.words.get(i), ByteTokenizer.VOCAB_SIZE + i);
    }

    /** The vocabulary of every word piece in {@code texts} (first-seen order, so the ids are deterministic). */
    public static WordTokenizer fromTexts(Collection<String> texts) {
        Set<String> vocab = new LinkedHashSet<>();
        for (String t : texts) {
            for (String p : pieces(t)) if (isWord(p)) vocab.add(p);
        }
        return new WordTokenizer(vocab);
    }

    /**
     * The vocabulary of every letter run in {@code texts}, each both with and without a leading space (first-seen
     * order), so that a word is one token wherever it stands: "Quito" of a JSON answer field is also " Quito" after
     * "Answer:".
     */
    public static WordTokenizer fromCorpus(Collection<String> texts) {
        Set<String> vocab = new LinkedHashSet<>();
        for (String t : texts) {
            for (String p : pieces(t)) {
                if (!isWord(p)) continue;
                String bare = p.startsWith(" ") ? p.substring(1) : p;
                vocab.add(" " + bare);
                vocab.add(bare);
            }
        }
        return new WordTokenizer(vocab);
    }

    /** The vocabulary words, in id order (the first has id {@link ByteTokenizer#VOCAB_SIZE}). */
    public List<String> words() {
        return words;
    }

    @Override
    public int[] encode(String text) {
        if (text == null) throw new SculptException("cannot encode null text");
        List<Integer> out = new ArrayList<>();
        for (String p : pieces(text)) {
            Integer id = ids.get(p);
            if (id != null) {
                out.add(id);
            } else {
                for (int b : BYTES.encode(p)) out.add(b);
            }
        }
        int[] r = new int[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return r;
    }

    /** Words and bytes back to text (bytes as UTF-8); special ids are skipped. */
    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < tokens.length; i++) {
            int id = tokens[i];
            if (id < 0 || id >= vocabSize()) throw new SculptException("token id " + id + " at position " + i + " is outside the vocabulary [0, " + vocabSize() + ")");
            if (id >= ByteTokenizer.VOCAB_SIZE) {
                b.writeBytes(words.get(id - ByteTokenizer.VOCAB_SIZE).getBytes(StandardCharsets.UTF_8));
            } else if (id >= ByteTokenizer.OFFSET) {
                b.write(id - ByteTokenizer.OFFSET);
            }
        }
        return new String(b.toByteArray(), StandardCharsets.UTF_8); // malformed UTF-8 becomes U+FFFD
    }

    @Override public int vocabSize() { return ByteTokenizer.VOCAB_SIZE + words.size(); }
    @Override public int bosId() { return ByteTokenizer.BOS; }
    @Override public int eosId() { return ByteTokenizer.EOS; }
    @Override public int padId() { return ByteTokenizer.PAD; }

    /** LLaMA's (BOS first) unless {@link #withInputTemplate} set another; saved as the post-processor. */
    @Override public InputTemplate inputTemplate() { return template; }

    /** The same vocabulary with another input template (T5's: EOS last). */
    public WordTokenizer withInputTemplate(InputTemplate t) {
        WordTokenizer w = new WordTokenizer(words);
        w.template = t;
        return w;
    }

    /**
     * GPT-2-style pieces: " word", "word", a special token written in the text (&lt;s&gt; etc.: its id, as in Hugging
     * Face, which matches added special tokens before splitting), or one other character (a space not followed by
     * a letter included).
     */
    static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = text.length();
        while (i < n) {
            int start = i;
            String special = ByteTokenizer.specialTokenAt(text, i);
            if (special != null) {
                out.add(special);
                i += special.length();
                continue;
            }
            if (text.charAt(i) == ' ' && i + 1 < n && Character.isLetter(text.charAt(i + 1))) i++;
            if (Character.isLetter(text.charAt(i))) {
                while (i < n && Character.isLetter(text.charAt(i))) i++;
            } else {
                i += Character.charCount(text.codePointAt(i));
            }
            out.add(text.substring(start, i));
        }
        return out;
    }

    /** The files {@link #save} writes, by name (for writers that bundle them with a checkpoint). */
    public Map<String, byte[]> files() {
        return TokenizerFiles.of(tokenizerJson(), ByteTokenizer.tokenizerConfigJson(), "word tokenizer");
    }

    /** Writes the tokenizer files into {@code dir} (each atomically). */
    public void save(Path dir) {
        TokenizerFiles.save(dir, files());
    }

    private ObjectNode tokenizerJson() {
        ObjectNode root = ByteTokenizer.tokenizerJsonHead();
        String[] names = {ByteTokenizer.PAD_TOKEN, ByteTokenizer.BOS_TOKEN, ByteTokenizer.EOS_TOKEN};
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", PIECE_PATTERN);
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        root.set("post_processor", ByteTokenizer.postProcessor(template));
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode decs = dec.putArray("decoders");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", true);
        model.put("ignore_merges", true);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < names.length; i++) vocab.put(names[i], i);
        for (int b = 0; b < 256; b++) vocab.put(byteToken(b), ByteTokenizer.OFFSET + b);
        for (int i = 0; i < words.size(); i++) vocab.put(words.get(i), ByteTokenizer.VOCAB_SIZE + i);
        model.putArray("merges");
        return root;
    }

    private static String byteToken(int b) {
        return String.format(java.util.Locale.ROOT, "<0x%02X>", b);
    }

    /** Whether {@code dir/tokenizer.json} is a word tokenizer saved by {@link #save} (see the class comment). */
    public static boolean isSavedIn(Path dir) {
        JsonNode root = read(dir);
        if (root == null) return false;
        JsonNode model = root.path("model");
        JsonNode vocab = model.path("vocab");
        if (!model.path("type").asText().equals("BPE") || !model.path("byte_fallback").asBoolean(false)
                || !model.path("merges").isArray() || model.path("merges").size() != 0
                || !root.path("pre_tokenizer").path("pattern").path("Regex").asText().equals(PIECE_PATTERN)) {
            return false;
        }
        for (int b = 0; b < 256; b++) if (vocab.path(byteToken(b)).asInt(-1) != ByteTokenizer.OFFSET + b) return false;
        return vocab.path(ByteTokenizer.BOS_TOKEN).asInt(-1) == ByteTokenizer.BOS && vocab.path(ByteTokenizer.EOS_TOKEN).asInt(-1) == ByteTokenizer.EOS
                && vocab.path(ByteTokenizer.PAD_TOKEN).asInt(-1) == ByteTokenizer.PAD;
    }

    /** The word tokenizer saved in {@code dir}; a clear error when the tokenizer there is another one. */
    public static WordTokenizer load(Path dir) {
        if (!isSavedIn(dir)) throw new SculptException(dir.resolve("tokenizer.json") + " is not Sculpt's word tokenizer");
        JsonNode vocab = read(dir).path("model").path("vocab");
        int n = vocab.size() - ByteTokenizer.VOCAB_SIZE;
        String[] ws = new String[Math.max(0, n)];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < ByteTokenizer.VOCAB_SIZE) continue;
            if (id - ByteTokenizer.VOCAB_SIZE >= ws.length || ws[id - ByteTokenizer.VOCAB_SIZE] != null || !isWord(e.getKey())) {
                throw new SculptException(dir.resolve("tokenizer.json") + ": word ids must run from " + ByteTokenizer.VOCAB_SIZE
                        + " without gaps or repeats, each a word piece; bad entry \"" + e.getKey() + "\": " + id);
            }
            ws[id - ByteTokenizer.VOCAB_SIZE] = e.getKey();
        }
        for (int i = 0; i < ws.length; i++) {
            if (ws[i] == null) throw new SculptException(dir.resolve("tokenizer.json") + ": no word with id " + (ByteTokenizer.VOCAB_SIZE + i));
        }
        WordTokenizer w = new WordTokenizer(List.of(ws));
        w.template = ByteTokenizer.templateOf(read(dir).get("post_processor"), dir.resolve("tokenizer.json"));
        return w;
    }

    private static JsonNode read(Path dir) {
        Path f = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(f)) return null;
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            return null;
        }
    }

    private static boolean isWord(String piece) {
        return Character.isLetter(piece.charAt(piece.length() - 1));
    }
}
