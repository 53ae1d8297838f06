package dev.sculpt.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.SculptException;
import dev.sculpt.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in byte-level tokenizer for models created from scratch: id 0 {@code <pad>}, 1 {@code <s>} (bos),
 * 2 {@code </s>} (eos), and ids 3..258 the bytes 0..255 of the UTF-8 text. Vocabulary size 259.
 *
 * <p>Saved format (what {@link #save} writes, {@link #isSavedIn} recognises and any Hugging Face tool loads):
 * <ul>
 *   <li>{@code tokenizer.json}: a {@code tokenizers} BPE model with no merges over the 256 byte symbols of the
 *   GPT-2 byte-to-unicode table (byte b is the symbol of {@code bytes_to_unicode()[b]}, id 3 + b), a ByteLevel
 *   pre-tokenizer and decoder with {@code use_regex: false} and {@code add_prefix_space: false}, and the three
 *   special tokens as added tokens 0, 1, 2. Encoding through Hugging Face gives exactly {@link #encode}.</li>
 *   <li>{@code tokenizer_config.json}: {@code PreTrainedTokenizerFast} with bos/eos/pad named.</li>
 * </ul>
 * Recognition compares the model type, the merges (none) and the vocabulary with this table exactly.
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

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Override
    public int[] encode(String text) {
        if (text == null) throw new SculptException("cannot encode null text");
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) ids[i] = OFFSET + (b[i] & 0xff);
        return ids;
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
    public static ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] names = {PAD_TOKEN, BOS_TOKEN, EOS_TOKEN};
        for (int i = 0; i < names.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", names[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel());
        root.putNull("post_processor");
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

    /** The files {@link #save} writes, by name (for writers that bundle them with a checkpoint). */
    public static Map<String, byte[]> files() {
        Map<String, byte[]> m = new LinkedHashMap<>();
        try {
            m.put("tokenizer.json", JSON.writeValueAsBytes(tokenizerJson()));
            m.put("tokenizer_config.json", JSON.writeValueAsBytes(tokenizerConfigJson()));
        } catch (IOException e) {
            throw new SculptException("cannot serialise the byte tokenizer: " + e.getMessage(), e);
        }
        return m;
    }

    /** Writes the tokenizer files into {@code dir} (each atomically). */
    public void save(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SculptException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        for (Map.Entry<String, byte[]> f : files().entrySet()) AtomicFiles.writeBytes(dir.resolve(f.getKey()), f.getValue());
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

    /** The byte tokenizer saved in {@code dir}; a clear error when the tokenizer there is another one. */
    public static ByteTokenizer load(Path dir) {
        if (!isSavedIn(dir)) throw new SculptException(dir.resolve("tokenizer.json") + " is not Sculpt's byte-level tokenizer");
        return new ByteTokenizer();
    }
}
