package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.CliRun;
import dev.sculpt.cli.Sculpt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvolveCommandTest {
    @TempDir Path dir;

    private static CliRun sculpt(String... args) {
        return CliRun.of(args);
    }

    private Path write(String name, String... lines) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    private List<String> args(Path model, Path probe, Path corpus, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("evolve", "--model", model.toString(), "--questions", probe.toString(),
                "--corpus", corpus.toString(), "--rounds", "1", "--out", out.toString(), "--samples", "0", "--delta", "0",
                "--max-new-tokens", "4", "--lr", "1e-3", "--max-tokens", "96"));
        a.addAll(List.of(more));
        return a;
    }

    @Test
    void runsOneRoundOnATinyModelEndToEnd() throws IOException {
        Path model = dir.resolve("model");
        assertEquals(0, Sculpt.execute("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "3"));
        TinyEvolveFiles f = TinyEvolveFiles.write(dir);
        Path out = dir.resolve("run");
        List<String> a = args(model, f.probe(), f.wiki(), out, "--heldout", f.heldout().toString(),
                "--train-questions", f.train().toString(), "--save", "--method", "osft", "--accumulate", "--non-targets", "constrain");
        a.set(a.indexOf(f.wiki().toString()), f.wiki() + "," + f.web());
        CliRun r = sculpt(a.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        JsonNode m = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        JsonNode rounds = m.get("rounds");
        assertEquals(2, rounds.size(), "a random model gets these wrong, so one training round runs");
        assertEquals(2, rounds.get(0).get("probe").get("total").asInt());
        assertEquals(1, rounds.get(1).get("heldout").get("total").asInt());
        assertTrue(Files.size(out.resolve("metrics.png")) > 1000);
        assertTrue(rounds.get(1).get("cptItems").asInt() >= 1);
        assertTrue(rounds.get(1).get("trainSteps").asInt() >= 1);
        assertTrue(Files.isRegularFile(out.resolve("round-01/cit.jsonl")));
        assertTrue(Files.isRegularFile(out.resolve("model/config.json")));
        assertTrue(Files.isRegularFile(out.resolve("model/tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("index/sculpt-fingerprint.txt")));
        assertTrue(Files.isRegularFile(out.resolve("evolve-state.json")));
        assertTrue(Files.isRegularFile(out.resolve("checkpoints/round-01/model.safetensors")));

        CliRun again = sculpt(a.toArray(String[]::new));
        assertEquals(2, again.code(), "a RUN_DIR that holds a run needs --resume");
        assertTrue(again.err().contains("--resume"), again.err());
        a.add("--resume");
        CliRun resumed = sculpt(a.toArray(String[]::new));
        assertEquals(0, resumed.code(), resumed.err());
    }

    @Test
    void badInputFailsBeforeTraining() throws IOException {
        Path model = dir.resolve("no-model");
        Files.createDirectories(model);
        Path good = write("good.jsonl", "{\"id\":\"p1\",\"question\":\"Q?\",\"answer\":\"A\"}");
        Path corpus = write("c.jsonl", "{\"id\":\"1\",\"title\":\"T\",\"text\":\"Text.\"}");
        Path out = dir.resolve("run");

        Path malformed = write("bad.jsonl", "{\"id\":\"p1\",\"question\":\"Q?\",\"answer\":\"A\"}", "{\"id\":\"p2\",\"question\":");
        CliRun r = sculpt(args(model, malformed, corpus, out).toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl:2") && r.err().contains("malformed JSON"), r.err());

        Path missing = write("mc.jsonl", "{\"id\":\"p1\",\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"answer\":\"c\"}");
        r = sculpt(args(model, missing, corpus, out).toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("mc.jsonl:1") && r.err().contains("not one of its options"), r.err());

        Path empty = write("empty.jsonl", "");
        r = sculpt(args(model, good, empty, out).toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("empty.jsonl") && r.err().contains("empty"), r.err());

        r = sculpt(args(model, good, corpus, out, "--method", "lora").toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--method"), r.err());
        r = sculpt(args(model, good, corpus, out, "--method", "bogus").toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown method"), r.err());
        r = sculpt(args(model, good, corpus, out, "--non-targets", "sometimes").toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--non-targets") && r.err().contains("sometimes"), r.err());
        r = sculpt(args(model, good, corpus, out, "--projection", "diagonal").toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--projection") && r.err().contains("diagonal"), r.err());
        r = sculpt(args(model, good, corpus, out, "--tau", "1.5").toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--tau"), r.err());
        r = sculpt(args(model, good, corpus, out, "--general", dir.resolve("nope.jsonl").toString()).toArray(String[]::new));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("nope.jsonl") && r.err().contains("no such file"), r.err());
        assertFalse(Files.exists(out.resolve("metrics.json")), "nothing written for bad input");
    }
}
