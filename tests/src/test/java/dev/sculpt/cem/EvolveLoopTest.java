package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvolveLoopTest {
    @TempDir Path dir;

    private static String passage(String id, String entity, String... attrValue) {
        StringBuilder t = new StringBuilder();
        for (int i = 0; i < attrValue.length; i += 2) {
            t.append("The ").append(attrValue[i]).append(" of ").append(entity).append(" is ").append(attrValue[i + 1]).append(". ");
        }
        return "{\"id\":\"" + id + "\",\"title\":\"" + entity + "\",\"text\":\"" + t.toString().trim() + "\"}";
    }

    @Test
    void loopFixesMistakesGeneralisesToHeldOutAndWritesTheRun() throws IOException {
        Path wiki = dir.resolve("wiki.jsonl");
        Files.writeString(wiki, String.join("\n",
                passage("1", "Ansel", "home", "Brill", "color", "teal"),
                passage("2", "Cora", "home", "Dune", "color", "red"),
                passage("3", "Oskar", "home", "Fenn", "color", "blue")) + "\n");
        Path web = dir.resolve("web.jsonl");
        Files.writeString(web, passage("9", "Pim", "pet", "cat") + "\n");
        QuestionSet probe = new QuestionSet("probe", List.of(
                Question.shortAnswer("p1", "What is the home of Ansel?", "Brill"),
                Question.shortAnswer("p2", "What is the home of Cora?", "Dune"),
                Question.shortAnswer("p3", "What is the pet of Pim?", "cat")));
        QuestionSet heldout = new QuestionSet("heldout", List.of(
                Question.shortAnswer("h1", "What is the color of Ansel?", "teal"),
                Question.shortAnswer("h2", "What is the color of Cora?", "red")));
        QuestionSet ood = new QuestionSet("ood", List.of(
                Question.shortAnswer("o1", "What is the size of Zed?", "big"),
                Question.shortAnswer("o2", "What is the size of Yul?", "small")));
        FactModel model = new FactModel();
        model.learn("The size of Zed is big. The size of Yul is small.");
        List<Integer> trained = new ArrayList<>();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Path run = dir.resolve("run");
        try (LuceneRetriever r = LuceneRetriever.open(List.of(wiki, web), dir.resolve("index"))) {
            Examiner ev = new Examiner(model, model.tok, PromptTemplate.defaults(), new AnswerParser(), 24);
            DataBuilder b = new DataBuilder(List.of(Question.shortAnswer("t1", "What is the home of Oskar?", "Fenn")),
                    List.of(probe, heldout, ood), List.of(), PromptTemplate.defaults(), DataOptions.defaults());
            EvolveOptions o = new EvolveOptions(3, 1, 64, 6, EvolveOptions.NO_MIN_GAIN, 256, MiningOptions.wrongOnly(), DataOptions.defaults());
            EvolveResult res = new EvolveLoop(model, model.tok, ev, r, b, FactModel.trainer(trained), o)
                    .run(probe, heldout, ood, run, new PrintStream(log, true));
            assertEquals(2, res.rounds().size(), "round 0 and one training round; then nothing left");
            assertEquals("no mistakes left", res.stopReason());
            RoundMetrics r0 = res.first();
            RoundMetrics r1 = res.last();
            assertEquals(0.0, r0.probe().accuracy());
            assertEquals(0.0, r0.heldout().accuracy());
            assertEquals(1.0, r0.ood().accuracy());
            assertEquals(1.0, r1.probe().accuracy());
            assertEquals(3, r1.probe().fixed());
            assertEquals(1.0, r1.heldout().accuracy(), "other facts of the same passages were learned");
            assertEquals(2, r1.heldout().fixed());
            assertEquals(1.0, r1.ood().accuracy());
            assertEquals(0, r1.ood().broken());
            assertEquals(0.0, r1.ood().forgettingRate());
            assertEquals(3, r1.mistakes());
            assertEquals(3, r1.cptItems(), "Ansel, Cora (wiki) and Pim (web), top-1 per point");
            assertEquals(1, trained.size());
        }
        JsonNode metrics = new ObjectMapper().readTree(run.resolve("metrics.json").toFile());
        assertEquals(2, metrics.get("rounds").size());
        assertEquals(1.0, metrics.get("rounds").get(1).get("heldout").get("accuracy").asDouble());
        assertEquals("no mistakes left", metrics.get("stopReason").asText());
        byte[] png = Files.readAllBytes(run.resolve("metrics.png"));
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
        for (String f : List.of("mistakes", "points", "passages", "cpt", "cit", "replay", "answers")) {
            assertTrue(Files.isRegularFile(run.resolve("round-01/" + f + ".jsonl")), f);
        }
        String passages = Files.readString(run.resolve("round-01/passages.jsonl"));
        assertTrue(passages.contains("\"source\":\"web\"") && passages.contains("\"source\":\"wiki\""), passages);
        String cit = Files.readString(run.resolve("round-01/cit.jsonl"));
        assertTrue(!cit.contains("home of Ansel?") && cit.contains("home of Oskar?"), "normative items come from the training questions");
        String out = log.toString();
        assertTrue(out.contains("round 0: probe 0.000  held-out 0.000  ood 1.000"), out);
        assertTrue(out.contains("round 1: probe 1.000  held-out 1.000  ood 1.000"), out);
    }

    @Test
    void stopsWhenTheGainIsBelowTheThreshold() throws IOException {
        Path wiki = dir.resolve("wiki.jsonl");
        Files.writeString(wiki, passage("1", "Ansel", "home", "Brill") + "\n");
        QuestionSet probe = new QuestionSet("probe", List.of(Question.shortAnswer("p1", "What is the home of Nobody?", "Brill")));
        FactModel model = new FactModel();
        List<Integer> trained = new ArrayList<>();
        try (LuceneRetriever r = LuceneRetriever.open(List.of(wiki), dir.resolve("index"))) {
            Examiner ev = new Examiner(model, model.tok, PromptTemplate.defaults(), new AnswerParser(), 24);
            DataBuilder b = new DataBuilder(List.of(), List.of(probe), List.of(), PromptTemplate.defaults(), DataOptions.defaults());
            EvolveOptions o = new EvolveOptions(5, 2, 64, 6, 0.01, 256, MiningOptions.wrongOnly(), DataOptions.defaults());
            EvolveResult res = new EvolveLoop(model, model.tok, ev, r, b, FactModel.trainer(trained), o)
                    .run(probe, null, null, dir.resolve("run"), new PrintStream(new ByteArrayOutputStream()));
            assertEquals(2, res.rounds().size());
            assertTrue(res.stopReason().contains("below --min-gain"), res.stopReason());
            assertEquals(null, res.last().heldout());
        }
    }
}
