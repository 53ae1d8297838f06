package dev.sculpt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.sculpt.cem.TrainingItem;
import dev.sculpt.data.TextPair;
import dev.sculpt.eval.Evaluator;
import dev.sculpt.eval.ExampleEncoder;
import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.HfTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A prompt is one sequence of ids everywhere, and Hugging Face's: what {@code sculpt init}'s tokenizer.json gives in
 * the tokenizers library with special tokens (transformers' {@code tokenizer(text)}) is what training (continual
 * and CEM) feeds the model, and a prompt trained on is answered the same way through {@code sculpt generate}.
 */
class InputFormatTest {
    @TempDir Path tmp;

    @BeforeAll
    static void offline() {
        System.setProperty("ai.djl.offline", "true");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void huggingFaceEncodeEqualsTrainingIds(String arch) throws Exception {
        Path dir = tmp.resolve(arch);
        run("init", "--arch", arch, "--size", "tiny", "--out", dir.toString(), "--seed", "3");
        Tokenizer tok = Models.tokenizer(dir);
        assertInstanceOf(ByteTokenizer.class, tok);
        Evaluator continual = new Evaluator(tok, false);
        try (HuggingFaceTokenizer hf = HuggingFaceTokenizer.newInstance(dir.resolve("tokenizer.json"),
                Map.of("truncation", "false", "padding", "false"));
             HfTokenizer ours = HfTokenizer.load(dir)) {
            for (String prompt : List.of("Question: 2+3=?\nAnswer:", "", "</s>", "a<s>b</s><pad>", "héllo ☃")) {
                int[] expected = Arrays.stream(hf.encode(prompt, true, false).getIds()).mapToInt(v -> (int) v).toArray();
                assertArrayEquals(expected, continual.example(new TextPair(prompt, "5")).prompt(), arch + " continual: " + prompt);
                TrainingItem item = new TrainingItem(TrainingItem.NORMATIVE, prompt, "5", "p", "k", 0);
                assertArrayEquals(expected, ExampleEncoder.encode(tok, item.prompt(), item.completion(), 1000).prompt(), arch + " cem: " + prompt);
                assertArrayEquals(expected, ours.encodeInput(prompt), arch + " HfTokenizer: " + prompt);
                // the Hugging Face convention: LLaMA <s> first and no </s>; T5 </s> last and no <s>
                int[] body = tok.encode(prompt);
                int[] convention = arch.equals("t5") ? append(body, ByteTokenizer.EOS) : prepend(ByteTokenizer.BOS, body);
                assertArrayEquals(convention, expected, arch + ": " + prompt);
            }
        }
    }

    /**
     * Trains a tiny model through the continual path's examples until it answers a prompt, then asks {@code sculpt
     * generate}. So that a different prompt format at generation time cannot give the right answer by chance, the
     * model is also taught another answer for the same text in another format: the one Sculpt used for T5 before
     * (bos in front, no eos), and for LLaMA the text without its bos.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama", "t5"})
    void aTrainedPromptIsAnsweredTheSameThroughGenerate(String arch) throws Exception {
        Path init = tmp.resolve("init-" + arch);
        run("init", "--arch", arch, "--size", "tiny", "--out", init.toString(), "--seed", "5");
        Tokenizer tok = Models.tokenizer(init);
        String prompt = "Q: colour of sky?\nA:";
        String answer = " blue";
        Evaluator eval = new Evaluator(tok, false);
        Example trained = eval.example(new TextPair(prompt, answer));
        int[] body = tok.encode(prompt);
        int[] otherFormat = arch.equals("t5") ? prepend(ByteTokenizer.BOS, body) : body;
        assertTrue(!Arrays.equals(otherFormat, trained.prompt()));
        Example decoy = new Example(otherFormat, append(tok.encode(" red"), tok.eosId()));
        Path trainedDir = tmp.resolve("trained-" + arch);
        try (LanguageModel model = Models.load(init)) {
            TrainConfig cfg = TrainConfig.defaults().withLr(3e-3f).withEpochs(20).withBatchSize(2).withWarmup(0f).withWeightDecay(0f);
            String got = null;
            String other = null;
            for (int round = 0; round < 15; round++) {
                new Trainer(model, cfg.withSeed(round)).train(List.of(trained, decoy), UpdateConstraint.NONE, null);
                got = tok.decode(model.generate(trained.prompt(), GenerationOptions.greedy(8, Set.of(tok.eosId()))));
                other = tok.decode(model.generate(otherFormat, GenerationOptions.greedy(8, Set.of(tok.eosId()))));
                System.out.printf("%s round %d: '%s' / other format '%s'%n", arch, round, got, other);
                if (got.equals(answer) && other.equals(" red")) break;
            }
            assertEquals(answer, got, arch + ": the model did not learn the pair");
            assertEquals(" red", other, arch + ": the model did not learn to tell the formats apart");
            assertEquals(1.0, eval.score(model, List.of(new TextPair(prompt, answer)), 1).accuracy(), "evaluation");
            Models.save(model, trainedDir, init);
        }
        String out = run("generate", "--model", trainedDir.toString(), "--prompt", prompt, "--max-new-tokens", "8");
        assertEquals(answer, out.split("\n", -1)[0], arch + ": sculpt generate printed\n" + out);
    }

    private static String run(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true));
        int code;
        try {
            code = Sculpt.execute(args);
        } finally {
            System.setOut(out);
        }
        assertEquals(0, code, String.join(" ", args) + ":\n" + buf);
        return buf.toString();
    }

    private static int[] prepend(int first, int[] rest) {
        int[] a = new int[rest.length + 1];
        a[0] = first;
        System.arraycopy(rest, 0, a, 1, rest.length);
        return a;
    }

    private static int[] append(int[] body, int last) {
        int[] a = Arrays.copyOf(body, body.length + 1);
        a[body.length] = last;
        return a;
    }
}
