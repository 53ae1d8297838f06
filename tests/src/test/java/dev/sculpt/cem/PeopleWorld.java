package dev.sculpt.cem;

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
 * A small world for the new-world evolve test, unlike the demo's {@code KnowledgeWorld}: people whose names share
 * first and last names (Finn Okafor, Finn Tanaka, Ada Okafor), each with a birthplace (a city) and a job, one
 * passage each ("Finn Okafor was born in Quito. Finn Okafor works as a baker."), and real-style questions ("Where
 * was Finn Okafor born?", "What is the job of Finn Okafor?").
 * <ul>
 *   <li>known people (the first half): taught before the loop, passages and both questions; the ood set asks both
 *       again;</li>
 *   <li>loop people (the second half): the probe set asks their birthplace; the training split (normative items)
 *       asks their job, which their passages support.</li>
 * </ul>
 */
record PeopleWorld(List<Person> known, List<Person> loop) {
    static final List<String> FIRST = List.of("Finn", "Ada", "Lena", "Omar", "Ines", "Tomas", "Mira", "Jonah");
    static final List<String> LAST = List.of("Okafor", "Tanaka", "Novak", "Silva", "Berg", "Haddad");
    static final List<String> CITIES = List.of("Quito", "Lima", "Oslo", "Porto", "Dakar", "Hanoi", "Perth", "Tunis");
    static final List<String> JOBS = List.of("baker", "potter", "weaver", "nurse", "pilot", "tailor", "farmer", "sailor");

    record Person(String name, String city, String job) {
        String passage() { return name + " was born in " + city + ". " + name + " works as a " + job + "."; }
        Question born(String prefix) { return Question.shortAnswer(prefix + "-born-" + name, "Where was " + name + " born?", city); }
        Question job(String prefix) { return Question.shortAnswer(prefix + "-job-" + name, "What is the job of " + name + "?", job); }
    }

    /** {@code 2 * half} distinct people with shuffled first-last pairs; cities and jobs drawn at random. */
    static PeopleWorld generate(long seed, int half) {
        Random r = new Random(seed);
        List<String> names = new ArrayList<>();
        for (String f : FIRST) for (String l : LAST) names.add(f + " " + l);
        java.util.Collections.shuffle(names, r);
        List<Person> all = new ArrayList<>();
        for (int i = 0; i < 2 * half; i++) all.add(new Person(names.get(i), CITIES.get(r.nextInt(CITIES.size())), JOBS.get(r.nextInt(JOBS.size()))));
        return new PeopleWorld(all.subList(0, half), all.subList(half, 2 * half));
    }

    List<Question> probe() { return map(loop, p -> p.born("probe")); }
    List<Question> trainQuestions() { return map(loop, p -> p.job("train")); }
    List<Question> ood() {
        List<Question> out = map(known, p -> p.born("ood"));
        out.addAll(map(known, p -> p.job("ood")));
        return out;
    }

    /** What the teaching step trains on: the known people's passages and both their questions. */
    List<Map<String, String>> teachItems(PromptTemplate t) {
        List<Map<String, String>> out = new ArrayList<>();
        for (Person p : known) {
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

    /** The corpus: every person's passage, titled by name. */
    Path writeCorpus(Path file) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        List<Person> all = new ArrayList<>(known);
        all.addAll(loop);
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
    Path writeGeneral(Path file) throws IOException {
        return write(file, map(known, p -> Map.of("text", p.passage())));
    }

    static Path writeQuestions(Path file, List<Question> qs) throws IOException {
        List<Map<String, String>> rows = new ArrayList<>();
        for (Question q : qs) rows.add(Map.of("id", q.id(), "question", q.question(), "answer", q.answer()));
        return write(file, rows);
    }

    static Path write(Path file, List<? extends Map<String, String>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, String> r : rows) sb.append(JsonLines.MAPPER.writeValueAsString(r)).append('\n');
        Files.writeString(file, sb.toString());
        return file;
    }
}
