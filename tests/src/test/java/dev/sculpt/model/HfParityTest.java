package dev.sculpt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.io.DType;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.io.TensorInfo;
import dev.sculpt.io.TensorSource;
import dev.sculpt.model.t5.T5Config;
import dev.sculpt.model.t5.T5Model;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.opentest4j.AssertionFailedError;

/**
 * Forward parity with Hugging Face transformers 4.40.2 on the fixtures of {@code shared/hf-fixtures} (made by
 * transformers itself; its README says how): every case listed in its {@code cases.json} is loaded through
 * {@link Models#load} and must reproduce the logits transformers computed, and for LLaMA the 20 greedy tokens of
 * {@code generate(do_sample=False)}. A case added to cases.json is picked up without a code change.
 *
 * <p>The fixtures live outside the repository, in the {@code shared/} folder beside the clone (as in CI), found by
 * walking up from the repository root; {@code SCULPT_HF_FIXTURES} names another folder. When they are absent
 * the test fails (it does not skip): parity must run in every CI run.
 */
class HfParityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Bound on |our logit - transformers' logit|, as a fraction of the largest |logit| of the case. Both sides
     * compute in float32 from the same weights; they differ only in summation order and in transcendental
     * implementations (exp, sin/cos of RoPE, tanh of GELU). Each logit is a chain of a few layers of dot products of
     * at most a few hundred terms, each with relative rounding error at most n u (u = 6e-8, n <= 176: 1e-5), and in
     * practice about sqrt(n) u (1e-6): the fixtures' README reports that a faithful float32 implementation agrees to
     * about 1e-6 of the largest |logit|. 1e-4 leaves two orders of magnitude for that, while any wrong formula (RoPE
     * pairing or theta, norm epsilon, GQA head mapping, relative-position buckets, tied-head scaling, half-float
     * decoding) moves logits by 1e-2 of their scale or more.
     */
    static final double RELATIVE_TOLERANCE = 1e-4;

    /** The fixture folder: SCULPT_HF_FIXTURES, else the first {@code shared/hf-fixtures} walking up from the repo root. */
    static Path fixturesDir() {
        String env = System.getenv("SCULPT_HF_FIXTURES");
        if (env != null && !env.isBlank()) {
            Path p = Path.of(env);
            if (!Files.isRegularFile(p.resolve("cases.json"))) {
                throw new AssertionFailedError("SCULPT_HF_FIXTURES=" + env + " has no cases.json");
            }
            return p;
        }
        return findFixtures(Path.of(System.getProperty("sculpt.repo.root", "..")).toAbsolutePath().normalize());
    }

    /** The first {@code shared/hf-fixtures} holding a cases.json in {@code root} or a folder above it; fails if none. */
    static Path findFixtures(Path root) {
        List<Path> tried = new ArrayList<>();
        for (Path p = root; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared/hf-fixtures");
            tried.add(candidate);
            if (Files.isRegularFile(candidate.resolve("cases.json"))) return candidate;
        }
        throw new AssertionFailedError("Hugging Face parity fixtures not found: no shared/hf-fixtures/cases.json in "
                + tried + ". They are part of the project's shared data (beside the clone in CI); set SCULPT_HF_FIXTURES "
                + "to their folder. HfParityTest fails rather than skips without them.");
    }

    /** One argument per case of cases.json: its name and its entry. */
    static Stream<Arguments> cases() throws IOException {
        Path dir = fixturesDir();
        JsonNode list = JSON.readTree(dir.resolve("cases.json").toFile()).path("cases");
        if (!list.isArray() || list.isEmpty()) throw new AssertionFailedError(dir.resolve("cases.json") + " lists no cases");
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : list) out.add(Arguments.of(c.path("name").asText(), c));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void logitsMatchTransformers(String name, JsonNode entry) throws Exception {
        Path dir = fixturesDir().resolve(name);
        assertTrue(Files.isDirectory(dir), "cases.json lists " + name + " but " + dir + " is missing");
        checkCaseDescription(name, entry, dir);
        checkFixture(name, dir);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void greedyTokensMatchTransformers(String name, JsonNode entry) throws Exception {
        Path dir = fixturesDir().resolve(name);
        Path greedy = dir.resolve("greedy.json");
        if (!entry.path("arch").asText().equals("llama")) {
            assertFalse(Files.exists(greedy), name + ": greedy.json exists but only LLaMA cases have greedy references");
            return;   // the fixtures hold greedy references for the causal cases only (README)
        }
        assertTrue(Files.isRegularFile(greedy), name + ": greedy.json is missing");
        JsonNode g = JSON.readTree(greedy.toFile());
        int[] prompt = ints(g.path("prompt_ids"));
        int[] expected = ints(g.path("greedy_ids"));
        assertTrue(prompt.length > 0 && expected.length > 0, name + ": empty greedy reference");
        try (LanguageModel model = Models.load(dir)) {
            // transformers ran with EOS stopping disabled: no stop tokens here either
            int[] got = model.generate(prompt, GenerationOptions.greedy(expected.length, Set.of()));
            assertArrayEquals(expected, got, name + ": greedy ids");
        }
    }

    /** The case's config in cases.json is what config.json says, and the weights are stored in its dtype. */
    private static void checkCaseDescription(String name, JsonNode entry, Path dir) throws IOException {
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        for (Iterator<Map.Entry<String, JsonNode>> it = entry.path("config").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode actual = config.path(e.getKey());
            // save_pretrained omits a value equal to the PretrainedConfig default: tie_word_embeddings true
            if (actual.isMissingNode() && e.getKey().equals("tie_word_embeddings")) actual = JSON.getNodeFactory().booleanNode(true);
            if (e.getValue().isNumber()) {
                assertEquals(e.getValue().asDouble(), actual.asDouble(), 0.0, name + ": config " + e.getKey());
            } else {
                assertEquals(e.getValue(), actual, name + ": config " + e.getKey());
            }
        }
        DType dtype = DType.valueOf(entry.path("dtype").asText());
        try (SafeTensors st = SafeTensors.open(dir.resolve("model.safetensors"))) {
            for (TensorInfo t : st.tensors()) assertEquals(dtype, t.dtype(), name + ": dtype of " + t.name());
        }
    }

    /** Loads the fixture's model and compares its logits with the expected ones (see {@link #RELATIVE_TOLERANCE}). */
    static void checkFixture(String name, Path dir) throws Exception {
        JsonNode inputs = JSON.readTree(dir.resolve("inputs.json").toFile());
        int[] ids = ints(inputs.path("input_ids"));
        int[] decoderIds = inputs.has("decoder_input_ids") ? ints(inputs.path("decoder_input_ids")) : null;
        float[] expected;
        long[] shape;
        try (SafeTensors st = SafeTensors.open(dir.resolve("expected.safetensors"))) {
            TensorInfo info = st.info("logits");
            shape = info.shape();
            expected = st.read("logits");
        }
        try (LanguageModel model = Models.load(dir)) {
            float[][] got = model.logits(ids, decoderIds);
            assertEquals(shape[0], got.length, "positions");
            assertEquals(shape[1], got[0].length, "vocabulary");
            int vocab = (int) shape[1];
            double scale = 0;
            for (float v : expected) scale = Math.max(scale, Math.abs(v));
            assertTrue(scale > 0, name + ": expected logits are all zero");
            double tol = RELATIVE_TOLERANCE * scale;
            double worst = 0;
            for (int i = 0; i < got.length; i++) {
                for (int j = 0; j < vocab; j++) {
                    double err = Math.abs(got[i][j] - expected[i * vocab + j]);
                    worst = Math.max(worst, err);
                    assertTrue(err <= tol, name + ": logits[" + i + "][" + j + "] = " + got[i][j] + ", transformers "
                            + expected[i * vocab + j] + " (tolerance " + tol + ")");
                }
            }
            System.out.printf("%s: max |logit difference| %.3g = %.2g of the largest |logit| %.3g, over %d x %d%n",
                    name, worst, worst / scale, scale, got.length, vocab);
        }
    }

    /**
     * The harness itself, on a fixture made here from our own tiny T5: it passes, and a single perturbed expected
     * logit makes it fail at that position.
     */
    @Test
    void harnessDetectsAMismatch(@TempDir Path tmp) throws Exception {
        T5Config c = new T5Config(40, 16, 4, 24, 2, 2, 4, 8, 12, "gated-gelu", 1e-6f, false, 0, 1, 0);
        int[] enc = {5, 9, 13, 2, 30, 1};
        int[] dec = {0, 7, 21, 3};
        Path dir = tmp.resolve("self");
        float[] flat;
        try (T5Model m = T5Model.init(c, 12)) {
            m.save(dir, DType.F32);
            float[][] logits = m.logits(enc, dec);
            flat = new float[dec.length * c.vocabSize()];
            for (int i = 0; i < dec.length; i++) System.arraycopy(logits[i], 0, flat, i * c.vocabSize(), c.vocabSize());
        }
        Files.writeString(dir.resolve("inputs.json"), "{\"input_ids\": " + Arrays.toString(enc)
                + ", \"decoder_input_ids\": " + Arrays.toString(dec) + "}");
        long[] shape = {dec.length, c.vocabSize()};
        SafeTensors.write(dir.resolve("expected.safetensors"), Map.of("logits", TensorSource.of(shape, flat)), DType.F32, Map.of());
        checkFixture("self", dir);
        flat[2 * c.vocabSize() + 11] += 0.01f;
        SafeTensors.write(dir.resolve("expected.safetensors"), Map.of("logits", TensorSource.of(shape, flat)), DType.F32, Map.of());
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> checkFixture("self", dir));
        assertTrue(e.getMessage().contains("logits[2][11]"), e.getMessage());
    }

    /** Without the fixtures the test fails, with a message that says where it looked. */
    @Test
    void missingFixturesFailRatherThanSkip(@TempDir Path tmp) throws Exception {
        Path clone = Files.createDirectories(tmp.resolve("clone"));
        AssertionFailedError e = assertThrows(AssertionFailedError.class, () -> findFixtures(clone));
        assertTrue(e.getMessage().contains(tmp.resolve("shared/hf-fixtures").toString()), e.getMessage());
        Path shared = Files.createDirectories(tmp.resolve("shared/hf-fixtures"));
        Files.writeString(shared.resolve("cases.json"), "{\"cases\": []}");
        assertEquals(shared, findFixtures(clone));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
