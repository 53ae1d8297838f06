package dev.sculpt.cem;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The small CEM input set the end-to-end evolve tests share: two probe questions (short answer and multiple
 * choice), one held-out question about another fact of the same passage, a wiki and a web corpus file, and one
 * training question.
 */
record TinyEvolveFiles(Path probe, Path heldout, Path wiki, Path web, Path train) {
    static TinyEvolveFiles write(Path dir) throws IOException {
        return new TinyEvolveFiles(
                lines(dir.resolve("probe.jsonl"),
                        "{\"id\":\"p1\",\"question\":\"What is the town of Ansel?\",\"answer\":\"Brill\"}",
                        "{\"id\":\"p2\",\"question\":\"Which pet does Cora keep?\",\"options\":[\"cat\",\"owl\"],\"answer\":\"owl\"}"),
                lines(dir.resolve("heldout.jsonl"), "{\"id\":\"h1\",\"question\":\"What is the color of Ansel?\",\"answer\":\"teal\"}"),
                lines(dir.resolve("wiki.jsonl"),
                        "{\"id\":\"1\",\"title\":\"Ansel\",\"text\":\"The town of Ansel is Brill. The color of Ansel is teal.\"}",
                        "{\"id\":\"2\",\"title\":\"Cora\",\"text\":\"Cora keeps an owl.\"}"),
                lines(dir.resolve("web.jsonl"), "{\"id\":\"1\",\"title\":\"Brill\",\"text\":\"Brill is a river town.\"}"),
                lines(dir.resolve("train.jsonl"), "{\"id\":\"t1\",\"question\":\"What is the town of Oskar?\",\"answer\":\"Fenn\"}"));
    }

    private static Path lines(Path f, String... lines) throws IOException {
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }
}
