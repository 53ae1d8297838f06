package dev.sculpt.demo;

import dev.sculpt.cem.PromptTemplate;
import dev.sculpt.cem.Question;
import dev.sculpt.io.JsonLines;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * A small world for the new-world evolve test ({@code NewWorldEvolveTest}) and the CEM ablations
 * ({@code bench/cem/ablate.sh}), unlike the demo's {@code KnowledgeWorld}: people with a first name of
 * their own and a shared last name (Finn Okafor, Ada Okafor), each with a birthplace (a city) and a job, one
 * passage each ("Finn Okafor was born in Quito. Finn Okafor works as a baker."), and cloze questions in the style of
 * the LAMA knowledge probes ("Finn Okafor was born in", "Finn Okafor works as a"; {@code "cloze": true} in the
 * question files, so the prompt is the statement itself). A model this small, taught 24 people, does not learn to
 * answer a question about a person it met only in a passage when the question is worded or templated differently
 * from the passage: "Where was Finn Okafor born?" gave probe 0.00 -> 0.08 after three rounds, the cloze statement
 * inside the default template ("Question: Finn Okafor was born in\nAnswer:") 0.08 -> 0.17 with ood 0.67 -> 0.17.
 * <ul>
 *   <li>known people (the first half): taught before the loop, passages and both questions; the ood set asks both
 *       again;</li>
 *   <li>loop people (the second half): the probe set asks their birthplace; the training split (normative items)
 *       asks their job, which their passages support;</li>
 *   <li>bystanders: taught like the known people (more people to learn the question format from) and in the
 *       training split with both questions, so that the loop's normative items keep both question formats.</li>
 * </ul>
 */
public record PeopleWorld(List<Person> known, List<Person> loop, List<Person> bystanders) {
    static final List<String> FIRST = List.of("Finn", "Ada", "Lena", "Omar", "Ines", "Tomas", "Mira", "Jonah", "Kofi", "Yara",
            "Pavel", "Nadia", "Ravi", "Elsa", "Bruno", "Keiko", "Diego", "Hana", "Lars", "Amina", "Igor", "Sofia", "Malik",
            "Greta", "Emil", "Leila", "Oscar", "Zara", "Hugo", "Noor", "Felix", "Aiko", "Marco", "Ilse", "Tariq", "Vera");
    static final List<String> LAST = List.of("Okafor", "Tanaka", "Novak", "Silva", "Berg", "Haddad");
    static final List<String> CITIES = List.of("Quito", "Lima", "Oslo", "Porto", "Dakar", "Hanoi", "Perth", "Tunis");
    static final List<String> JOBS = List.of("baker", "potter", "weaver", "nurse", "pilot", "tailor", "farmer", "sailor");

    public record Person(String name, String city, String job) {
        public String passage() { return name + " was born in " + city + ". " + name + " works as a " + job + "."; }
        public Question born(String prefix) { return Question.cloze(prefix + "-born-" + name, name + " was born in", city); }
        public Question job(String prefix) { return Question.cloze(prefix + "-job-" + name, name + " works as a", job); }
    }

    /**
     * {@code 2 * half + bystanders} people (at most {@code FIRST.size()}), each with a first name of their own and a
     * last name that many share; cities and jobs drawn at random.
     */
    public static PeopleWorld generate(long seed, int half, int bystanders) {
        Random r = new Random(seed);
        List<String> first = new ArrayList<>(FIRST);
        java.util.Collections.shuffle(first, r);
        List<String> names = new ArrayList<>();
        for (String f : first) names.add(f + " " + LAST.get(r.nextInt(LAST.size())));
        List<Person> all = new ArrayList<>();
        for (int i = 0; i < 2 * half + bystanders; i++) all.add(new Person(names.get(i), CITIES.get(r.nextInt(CITIES.size())), JOBS.get(r.nextInt(JOBS.size()))));
        return new PeopleWorld(all.subList(0, half), all.subList(half, 2 * half), all.subList(2 * half, all.size()));
    }

    public List<Question> probe() { return map(loop, p -> p.born("probe")); }
    public List<Question> trainQuestions() {
        List<Question> out = map(loop, p -> p.job("train"));
        out.addAll(map(bystanders, p -> p.born("train")));
        out.addAll(map(bystanders, p -> p.job("train")));
        return out;
    }
    public List<Question> ood() {
        List<Question> out = map(known, p -> p.born("ood"));
        out.addAll(map(known, p -> p.job("ood")));
        return out;
    }

    /** What the teaching step trains on: the known people's and the bystanders' passages and both their questions. */
    public List<Map<String, String>> teachItems(PromptTemplate t) {
        List<Map<String, String>> out = new ArrayList<>();
        List<Person> taught = new ArrayList<>(known);
        taught.addAll(bystanders);
        for (Person p : taught) {
            out.add(Map.of("prompt", "", "completion", p.passage()));
            for (Question q : List.of(p.born("teach"), p.job("teach"))) out.add(Map.of("prompt", t.render(q), "completion", t.completion(q)));
        }
        return out;
    }

    private static <T> List<T> map(List<Person> people, Function<Person, T> f) {
        List<T> out = new ArrayList<>();
        for (Person p : people) out.add(f.apply(p));
        return out;
    }

    /**
     * The files of the user's workflow on this world (README, "Teaching a new world"): the corpus, the probe, ood and
     * training questions, the general data, and the teaching task with its check set (the first four ood questions).
     */
    public record Workflow(Path corpus, Path probe, Path ood, Path train, Path general, Path teach, Path teachCheck) {
        /** The learning rate and epochs that teach the format and the known half with {@code sculpt continual}. */
        public static final String TEACH_LR = "3e-3", TEACH_EPOCHS = "80";

        /** {@code sculpt init}: a tiny LLaMA whose vocabulary is the world's words. */
        public List<String> initArgs(Path model) {
            return List.of("init", "--arch", "llama", "--size", "tiny", "--out", model.toString(), "--seed", "5",
                    "--tokenizer", "words", "--corpus", corpus + "," + probe + "," + ood + "," + train);
        }

        /** {@code sculpt continual --method seqft}: teaches the question format and the known half. */
        public List<String> teachArgs(Path model, Path out) {
            return List.of("continual", "--model", model.toString(), "--tasks", teach.toString(), "--eval", teachCheck.toString(),
                    "--method", "seqft", "--out", out.toString(), "--lr", TEACH_LR, "--epochs", TEACH_EPOCHS, "--weight-decay", "0");
        }

        /** {@code sculpt evolve}, three rounds from the taught model in {@code taught}, plus {@code extra} flags. */
        public List<String> evolveArgs(Path taught, Path out, List<String> extra) {
            List<String> a = new ArrayList<>(List.of("evolve", "--model", taught.resolve("checkpoints/task-01-teach").toString(),
                    "--questions", probe.toString(), "--ood", ood.toString(), "--corpus", corpus.toString(),
                    "--train-questions", train.toString(), "--general", general.toString(), "--rounds", "3",
                    "--out", out.toString()));
            a.addAll(extra);
            return a;
        }
    }

    /** Writes the workflow's files into {@code dir}. */
    public Workflow writeWorkflow(Path dir, PromptTemplate template) throws IOException {
        Files.createDirectories(dir);
        List<Map<String, String>> check = new ArrayList<>();
        for (Question q : ood().subList(0, 4)) check.add(Map.of("prompt", template.render(q), "completion", template.completion(q)));
        return new Workflow(writeCorpus(dir.resolve("corpus.jsonl")), writeQuestions(dir.resolve("probe.jsonl"), probe()),
                writeQuestions(dir.resolve("ood.jsonl"), ood()), writeQuestions(dir.resolve("train.jsonl"), trainQuestions()),
                writeGeneral(dir.resolve("general.jsonl")), write(dir.resolve("teach.jsonl"), teachItems(template)),
                write(dir.resolve("teach-check.jsonl"), check));
    }

    /** The corpus: every person's passage, titled by name. */
    public Path writeCorpus(Path file) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        List<Person> all = new ArrayList<>(known);
        all.addAll(loop);
        all.addAll(bystanders);
        for (int i = 0; i < all.size(); i++) {
            Map<String, String> row = new LinkedHashMap<>();
            row.put("id", "p" + i);
            row.put("title", all.get(i).name());
            row.put("text", all.get(i).passage());
            rows.add(row);
        }
        return write(file, rows);
    }

    /** General data against forgetting: the known people's passages (never their questions, which ood asks). */
    public Path writeGeneral(Path file) throws IOException {
        return write(file, map(known, p -> Map.of("text", p.passage())));
    }

    public static Path writeQuestions(Path file, List<Question> qs) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        StringBuilder sb = new StringBuilder();
        for (Question q : qs) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", q.id());
            row.put("question", q.question());
            row.put("answer", q.answer());
            if (q.cloze()) row.put("cloze", true);
            sb.append(JsonLines.MAPPER.writeValueAsString(row)).append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    public static Path write(Path file, List<? extends Map<String, String>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, String> r : rows) sb.append(JsonLines.MAPPER.writeValueAsString(r)).append('\n');
        Files.writeString(file, sb.toString());
        return file;
    }
}
