package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.cli.Sculpt;
import dev.sculpt.demo.PeopleWorld;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The loop teaches a world it has not seen (issue 17): a user's workflow on {@link PeopleWorld}, all through the
 * command line. {@code sculpt init --tokenizer words} makes a tiny LLaMA over the world's words;
 * {@code sculpt continual --method seqft} teaches it the question format and the known half of the people; then
 * {@code sculpt evolve} with its defaults (osft, the published method) and {@code --lr} only runs three rounds on the
 * other half. Probe accuracy must rise by at least 0.2 while ood (the known half) falls by at most 0.1.
 *
 * <p>The world's seed is 17; {@code -Dsculpt.newWorldSeed=N} draws another world. Measured on 2026-12-04 at commit
 * 86e3c32 (2 shared CPU cores; bench/RESULTS.md, "Can sculpt evolve's default (osft) meet the new-world criterion"):
 * seed 17 gave probe 0.00 -> 0.25 (+0.25, three of the 12 probe questions, the least that passes) and ood
 * 1.00 -> 1.00 under osft, against +0.42 under seqft; about 2 min per run under load (evolve ~110 s).
 */
class NewWorldEvolveTest {
    @TempDir Path dir;

    static final int HALF = 12;
    static final String EVOLVE_LR = "1e-3";

    private static void sculpt(String... args) {
        CommandLine cl = Sculpt.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        long t0 = System.nanoTime();
        int code = cl.execute(args);
        System.out.printf(Locale.ROOT, "sculpt %s: %.1fs%n", args[0], (System.nanoTime() - t0) / 1e9);
        assertEquals(0, code, String.join(" ", args) + "\n" + err);
    }

    @Test
    void threeRoundsTeachTheNewHalfWithoutForgettingTheFirst() throws IOException {
        PeopleWorld w = PeopleWorld.generate(Long.getLong("sculpt.newWorldSeed", 17L), HALF, HALF);
        PeopleWorld.Workflow f = w.writeWorkflow(dir, PromptTemplate.defaults());
        Path model = dir.resolve("model");
        sculpt(f.initArgs(model).toArray(String[]::new));
        Path taught = dir.resolve("teach");
        sculpt(f.teachArgs(model, taught).toArray(String[]::new));
        Path run = dir.resolve("run");
        sculpt(f.evolveArgs(taught, run, List.of("--lr", EVOLVE_LR)).toArray(String[]::new));

        JsonNode rounds = new ObjectMapper().readTree(run.resolve("metrics.json").toFile()).get("rounds");
        JsonNode first = rounds.get(0);
        JsonNode last = rounds.get(rounds.size() - 1);
        for (JsonNode r : rounds) {
            System.out.printf(Locale.ROOT, "round %d probe %.3f ood %.3f retrievalHits %s%n", r.get("round").asInt(),
                    r.get("probe").get("accuracy").asDouble(), r.get("ood").get("accuracy").asDouble(), r.get("retrievalHits"));
        }
        double probeGain = last.get("probe").get("accuracy").asDouble() - first.get("probe").get("accuracy").asDouble();
        double oodLoss = first.get("ood").get("accuracy").asDouble() - last.get("ood").get("accuracy").asDouble();
        assertTrue(first.get("ood").get("accuracy").asDouble() >= 0.5, "the teaching step taught the known half: " + first);
        assertTrue(probeGain >= 0.2, "probe gain " + probeGain + ": " + rounds);
        assertTrue(oodLoss <= 0.1, "ood loss " + oodLoss + ": " + rounds);
        for (int i = 1; i < rounds.size(); i++) {
            assertTrue(rounds.get(i).get("retrievalHits").asDouble() > 0.9, "retrieval finds the mistakes' passages: " + rounds.get(i));
        }
    }
}
