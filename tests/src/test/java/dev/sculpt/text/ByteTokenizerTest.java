package dev.sculpt.text;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sculpt.SculptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ByteTokenizerTest {
    @TempDir Path tmp;

    private static final int B = ByteTokenizer.OFFSET;
    /** Fragments of random texts: special-token strings, pieces of them, and other text. */
    private static final List<String> FRAGMENTS = List.of("<s>", "</s>", "<pad>", "<", "/", "s", ">", "<p", "pad", "ad>",
            "</", "a", "é", " ", "  ", "\n", "\t", "☃", "\u0000", "x y", "<<", ">>");

    @BeforeAll
    static void offline() {
        System.setProperty("ai.djl.offline", "true");
    }

    @Test
    void bytesMapToIdsAndBack() {
        ByteTokenizer t = new ByteTokenizer();
        assertArrayEquals(new int[]{B + 'h', B + 'i', B + ' ', B + 0xC3, B + 0xA9}, t.encode("hi é"));
        assertEquals("hi é", t.decode(new int[]{1, B + 'h', B + 'i', B + ' ', B + 0xC3, B + 0xA9, 2, 0}));
        assertEquals("\uFFFD", t.decode(new int[]{B + 0xC3}));
        assertEquals(259, t.vocabSize());
        assertEquals(1, t.bosId());
        assertEquals(2, t.eosId());
        assertEquals(0, t.padId());
        assertThrows(SculptException.class, () -> t.decode(new int[]{259}));
    }

    /** The special-token strings in text are the special ids, as Hugging Face matches them (the example). */
    @Test
    void specialTokenStringsInTextAreSpecialIds() {
        ByteTokenizer t = new ByteTokenizer();
        assertArrayEquals(new int[] {2}, t.encode("</s>"));
        assertArrayEquals(new int[] {1}, t.encode("<s>"));
        assertArrayEquals(new int[] {0}, t.encode("<pad>"));
        assertArrayEquals(new int[] {1, B + 'h', B + 'i', 2, 0}, t.encode("<s>hi</s><pad>"));
        assertArrayEquals(new int[] {B + '<', 1, B + '>'}, t.encode("<<s>>"));
        assertArrayEquals(new int[] {B + '<', B + '/', B + 's', 2}, t.encode("</s</s>"));
        assertArrayEquals(new int[] {B + '<', B + 's', B + ' ', B + '>'}, t.encode("<s >"));
        assertArrayEquals(new int[] {B + '<', B + 'p', B + 'a', B + 'd'}, t.encode("<pad"));
        assertEquals("ab", t.decode(t.encode("a</s>b")));   // decoding drops specials, as HF's skip_special_tokens
    }

    @Test
    void inputTemplates() {
        ByteTokenizer llama = new ByteTokenizer();
        ByteTokenizer t5 = new ByteTokenizer(InputTemplate.eosLast(ByteTokenizer.EOS));
        assertArrayEquals(new int[] {1, B + 'h', B + 'i'}, llama.encodeInput("hi"));
        assertArrayEquals(new int[] {B + 'h', B + 'i', 2}, t5.encodeInput("hi"));
        assertArrayEquals(new int[] {1}, llama.encodeInput(""));
        assertArrayEquals(new int[] {B + 'a', 2, 2}, t5.encodeInput("a</s>"));
        // too long: the special tokens stay and the text keeps its end (next to the answer)
        int[] body = {5, 6, 7, 8};
        assertArrayEquals(new int[] {1, 7, 8}, llama.inputTemplate().apply(body, 3));
        assertArrayEquals(new int[] {7, 8, 2}, t5.inputTemplate().apply(body, 3));
        assertArrayEquals(new int[] {1}, llama.inputTemplate().apply(body, 1));
        assertArrayEquals(new int[] {2}, t5.inputTemplate().apply(body, 1));
        assertArrayEquals(new int[] {}, t5.inputTemplate().apply(body, 0));
        assertArrayEquals(new int[] {1, 5, 6, 7, 8}, llama.inputTemplate().apply(body, 9));
        SculptException e = assertThrows(SculptException.class, () -> new ByteTokenizer(InputTemplate.bosFirst(7)));
        assertTrue(e.getMessage().contains("7"), e.getMessage());
    }

    /**
     * The saved tokenizer.json, read by the tokenizers library directly and through the project's HfTokenizer,
     * gives Sculpt's ids for every text: without special tokens {@link ByteTokenizer#encode}, with them (what
     * {@code tokenizer(text)} gives in transformers) {@link ByteTokenizer#encodeInput}, for both input templates,
     * on fixed texts and on fresh random texts made of special-token strings, their pieces and other text.
     */
    @Test
    void huggingFaceEncodesSavedFilesIdentically() throws Exception {
        long seed = System.nanoTime();
        SplittableRandom r = new SplittableRandom(seed);
        List<String> texts = new java.util.ArrayList<>(List.of("Hello, wörld!\n\ttabs  and  spaces 3+4=7 ☃ \u0000\u007f end",
                "</s>", "<s>", "<pad>", "a</s>b", "<s>hi</s><pad>", "<<s>>", "</s</s>", "", " ", "<s", "pad>"));
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = r.nextInt(12); k > 0; k--) sb.append(FRAGMENTS.get(r.nextInt(FRAGMENTS.size())));
            texts.add(sb.toString());
        }
        for (InputTemplate template : List.of(InputTemplate.bosFirst(ByteTokenizer.BOS), InputTemplate.eosLast(ByteTokenizer.EOS), InputTemplate.NONE)) {
            ByteTokenizer t = new ByteTokenizer(template);
            Path dir = tmp.resolve("t" + template.hashCode());
            t.save(dir);
            assertTrue(ByteTokenizer.isSavedIn(dir));
            assertEquals(template, ByteTokenizer.load(dir).inputTemplate());
            try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                    Map.of("truncation", "false", "padding", "false"));
                 HfTokenizer ours = HfTokenizer.load(dir)) {
                assertEquals(template, ours.inputTemplate(), "template read off the library");
                for (String text : texts) {
                    String what = template + " seed " + seed + " text '" + text + "'";
                    assertArrayEquals(t.encode(text), ints(hf.encode(text, false, false).getIds()), what);
                    assertArrayEquals(t.encodeInput(text), ints(hf.encode(text, true, false).getIds()), what);
                    assertArrayEquals(t.encode(text), ours.encode(text), what);
                    assertArrayEquals(t.encodeInput(text), ours.encodeInput(text), what);
                    int[] ids = t.encodeInput(text);
                    assertEquals(t.decode(ids), hf.decode(longs(ids), true), what);
                }
            }
        }
    }

    @Test
    void savedPostProcessorIsChecked() throws Exception {
        ByteTokenizer t = new ByteTokenizer();
        t.save(tmp);
        assertFalse(ByteTokenizer.isSavedIn(tmp.resolve("other")));
        Path file = tmp.resolve("tokenizer.json");
        String json = Files.readString(file);
        assertTrue(json.contains("\"TemplateProcessing\""), json);

        // a file from before the post-processor was written: no special tokens, as in Hugging Face
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
        tree.putNull("post_processor");
        Files.writeString(file, tree.toString());
        assertEquals(InputTemplate.NONE, ByteTokenizer.load(tmp).inputTemplate());

        Files.writeString(file, json.replace("\"ids\" : [ 1 ]", "\"ids\" : [ 2 ]"));
        SculptException wrongId = assertThrows(SculptException.class, () -> ByteTokenizer.load(tmp));
        assertTrue(wrongId.getMessage().contains(file.toString()) && wrongId.getMessage().contains("<s>"), wrongId.getMessage());
        Files.writeString(file, json.replace("\"TemplateProcessing\"", "\"BertProcessing\""));
        SculptException type = assertThrows(SculptException.class, () -> ByteTokenizer.load(tmp));
        assertTrue(type.getMessage().contains("post_processor"), type.getMessage());
    }

    private static int[] ints(long[] ids) {
        return Arrays.stream(ids).mapToInt(v -> (int) v).toArray();
    }

    private static long[] longs(int[] ids) {
        return Arrays.stream(ids).asLongStream().toArray();
    }
}
