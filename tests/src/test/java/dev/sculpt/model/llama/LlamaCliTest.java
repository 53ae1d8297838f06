package dev.sculpt.model.llama;

import static org.junit.jupiter.api.Assertions.*;

import dev.sculpt.cli.Sculpt;
import dev.sculpt.io.SafeTensors;
import dev.sculpt.io.TensorInfo;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The init, logits and generate subcommands end to end on a tiny model. */
class LlamaCliTest {
    @TempDir Path tmp;

    private static String run(int expectedExit, String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(buf, true);
        System.setOut(capture);
        System.setErr(capture);
        int code;
        try {
            code = Sculpt.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String text = buf.toString();
        assertEquals(expectedExit, code, "exit code of " + String.join(" ", args) + "; output:\n" + text);
        return text;
    }

    private static String format(int[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++) sb.append(i > 0 ? "," : "").append(ids[i]);
        return sb.toString();
    }

    @Test
    void initLogitsAndGenerate() throws Exception {
        Path model = tmp.resolve("tiny");
        run(0, "init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "7");
        assertTrue(Files.isRegularFile(model.resolve("config.json")));
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(model.resolve("tokenizer.json")));
        run(2, "init", "--arch", "llama", "--out", model.toString());   // exists: refused

        Path logits = tmp.resolve("l.safetensors");
        run(0, "logits", "--model", model.toString(), "--ids", "1,72,101,108", "--out", logits.toString());
        float[][] expected;
        try (LanguageModel m = Models.load(model)) {
            expected = m.logits(new int[]{1, 72, 101, 108}, null);
            int[] greedy = m.generate(new int[]{1, 5, 6}, dev.sculpt.model.GenerationOptions.greedy(5, Set.of(2)));
            String out = run(0, "generate", "--model", model.toString(), "--ids", "1,5,6", "--max-new-tokens", "5", "--greedy");
            String[] lines = out.strip().split("\n");
            assertEquals(format(greedy), lines[lines.length - 1].strip());
        }
        try (SafeTensors st = SafeTensors.open(logits)) {
            TensorInfo info = st.info("logits");
            assertArrayEquals(new long[]{4, 259}, info.shape());
            float[] v = st.read("logits");
            for (int r = 0; r < 4; r++) for (int c = 0; c < 259; c++) assertEquals(expected[r][c], v[r * 259 + c]);
        }
        run(0, "generate", "--model", model.toString(), "--prompt", "ab", "--max-new-tokens", "3", "--temperature", "0.8", "--top-p", "0.9", "--seed", "3");
    }

    @Test
    void badFlagsFailWithNamedCulprits() {
        Path model = tmp.resolve("m");
        run(0, "init", "--arch", "llama", "--out", model.toString());
        assertTrue(run(2, "init", "--arch", "gpt2", "--out", tmp.resolve("x").toString()).contains("gpt2"));
        assertTrue(run(2, "init", "--arch", "llama", "--size", "huge", "--out", tmp.resolve("y").toString()).contains("huge"));
        assertTrue(run(2, "logits", "--model", model.toString(), "--ids", "1,x", "--out", tmp.resolve("o.safetensors").toString()).contains("--ids"));
        assertTrue(run(2, "logits", "--model", model.toString(), "--ids", "1,999", "--out", tmp.resolve("o.safetensors").toString()).contains("999"));
        assertFalse(Files.exists(tmp.resolve("o.safetensors")));
        assertTrue(run(2, "generate", "--model", model.toString(), "--ids", "1", "--max-new-tokens", "2", "--greedy", "--temperature", "1").contains("--greedy"));
        assertTrue(run(2, "generate", "--model", tmp.resolve("none").toString(), "--ids", "1", "--max-new-tokens", "2").contains("none"));
    }
}
