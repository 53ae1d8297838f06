package dev.sculpt.clbench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Writes a tiny benchmark in the CL_Benchmark layout into a temporary directory, with fresh random sentences. */
final class BenchmarkFixture {
    static final String TC_INSTRUCTION = "What is the topic of the following paragraph? Choose one from the option.\n";
    static final String SC_INSTRUCTION = "What is the sentiment of the following paragraph? Choose one from the option."; // no trailing newline

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[] WORDS = {"river", "stock", "goal", "vote", "chip", "storm", "match", "bank", "film", "moon"};

    final Path root;
    /** Per task ("news", ...) and split file ("train.json", ...): the entries written, as label -> sentence pairs. */
    final Map<String, List<String[]>> written = new LinkedHashMap<>();
    private final SplittableRandom random = new SplittableRandom();

    BenchmarkFixture(Path root) throws IOException {
        this.root = root;
        ObjectNode config = JSON.createObjectNode();
        config.putArray("TC").addObject().put("instruction_type", "zero-shot").put("instruction", TC_INSTRUCTION);
        ObjectNode sc = config.putArray("SC").addObject();
        sc.put("instruction_type", "zero-shot").put("instruction", SC_INSTRUCTION);
        Files.writeString(root.resolve("instruction_config.json"), JSON.writeValueAsString(config));

        // news: complete task; reviews: train only (test held out); mood: test and dev only (train held out);
        // puzzle: a family without instruction; empty: labels only.
        task("TC", "news", List.of("World", "Sports", "Science or Technology"), Map.of("train.json", 40, "dev.json", 25, "test.json", 25));
        task("SC", "reviews", List.of("very negative", "positive"), Map.of("train.json", 30));
        task("SC", "mood", List.of("Good", "Bad"), Map.of("test.json", 21));
        task("COPA", "puzzle", List.of("A", "B"), Map.of("train.json", 6, "test.json", 4));
        task("TC", "empty", List.of("x", "y"), Map.of());
    }

    void task(String family, String name, List<String> labels, Map<String, Integer> splits) throws IOException {
        Path dir = Files.createDirectories(root.resolve(family).resolve(name));
        Files.writeString(dir.resolve("labels.json"), JSON.writeValueAsString(labels));
        for (var e : splits.entrySet()) {
            List<String[]> entries = new ArrayList<>();
            for (int i = 0; i < e.getValue(); i++) {
                String label = labels.get(random.nextInt(labels.size()));
                String sentence = "Title: " + name + " " + e.getKey() + " " + i + "\nText: "
                        + WORDS[random.nextInt(WORDS.length)] + " " + random.nextLong() + (i % 3 == 0 ? "\n" : "");
                entries.add(new String[] {label, sentence});
            }
            writeSplit(dir.resolve(e.getKey()), entries);
            written.put(name + "/" + e.getKey(), entries);
        }
    }

    static void writeSplit(Path file, List<String[]> entries) throws IOException {
        ArrayNode arr = JSON.createArrayNode();
        for (String[] e : entries) arr.addObject().put("label", e[0]).put("sentence", e[1]);
        Files.writeString(file, JSON.writeValueAsString(arr));
    }
}
