package dev.sculpt.demo;

import dev.sculpt.cem.Passage;
import dev.sculpt.cem.Question;
import dev.sculpt.cem.QuestionSet;
import dev.sculpt.data.TextPair;
import dev.sculpt.io.JsonLines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic synthetic world for the CEM demo. Invented people (pronounceable made-up names) each have five
 * attributes (town, color, pet, job, food) drawn from small value lists, rendered into one corpus passage per
 * person ("The town of Zorvath is Quill. ...", sentence order shuffled per person).
 *
 * <ul>
 *   <li>loop people: the model has never seen them. Probe questions ask their town and pet; held-out questions ask
 *       their color and job (other facts of the same passages); their food is never asked.</li>
 *   <li>known people: the model is pre-trained on their passages and on questions about all five attributes before
 *       the loop begins; the out-of-domain set asks their town, color, pet and job again (forgetting check).</li>
 *   <li>bystanders: in the corpus (retrieval distractors); questions on all their attributes are the training
 *       split (normative items, never evaluated).</li>
 * </ul>
 * Passages alternate between the "wiki" and "web" sources.
 */
public final class KnowledgeWorld {
    public static final List<String> ATTRIBUTES = List.of("town", "color", "pet", "job", "food");
    public static final List<String> PROBE_ATTRIBUTES = List.of("town", "pet");
    public static final List<String> HELDOUT_ATTRIBUTES = List.of("color", "job");
    public static final List<String> OOD_ATTRIBUTES = List.of("town", "color", "pet", "job");
    private static final Map<String, List<String>> VALUES = Map.of(
            "town", List.of("Quill", "Brill", "Dune", "Fenn", "Ost", "Marrow", "Pell", "Vane", "Hollin", "Tarn"),
            "color", List.of("teal", "amber", "crimson", "ivory", "olive", "violet", "cobalt", "coral", "ochre", "slate"),
            "pet", List.of("cat", "owl", "fox", "hare", "goat", "newt", "crow", "toad", "mole", "wren"),
            "job", List.of("baker", "miner", "potter", "weaver", "smith", "tailor", "fisher", "mason", "brewer", "carter"),
            "food", List.of("plums", "figs", "leeks", "oats", "pears", "beans", "dates", "kale", "rye", "nuts"));
    private static final String CONSONANTS = "bdfgklmnprstvz";
    private static final String VOWELS = "aeiou";

    /** One invented person and their attribute values. */
    public record Person(String name, Map<String, String> facts, List<String> order) {
        public String passageText() {
            StringBuilder sb = new StringBuilder();
            for (String a : order) {
                if (sb.length() > 0) sb.append(' ');
                sb.append(sentence(a));
            }
            return sb.toString();
        }

        public String sentence(String attribute) {
            return "The " + attribute + " of " + name + " is " + facts.get(attribute) + ".";
        }
    }

    private final List<Person> loop;
    private final List<Person> known;
    private final List<Person> bystanders;

    private KnowledgeWorld(List<Person> loop, List<Person> known, List<Person> bystanders) {
        this.loop = List.copyOf(loop);
        this.known = List.copyOf(known);
        this.bystanders = List.copyOf(bystanders);
    }

    public static KnowledgeWorld generate(long seed, int loopPeople, int knownPeople, int bystanders) {
        Random r = new Random(seed);
        Set<String> names = new LinkedHashSet<>();
        Set<String> reserved = new LinkedHashSet<>();
        for (List<String> vs : VALUES.values()) for (String v : vs) reserved.add(v.toLowerCase());
        int total = loopPeople + knownPeople + bystanders;
        while (names.size() < total) {
            String n = name(r);
            if (!reserved.contains(n.toLowerCase())) names.add(n);
        }
        List<Person> all = new ArrayList<>();
        for (String n : names) {
            Map<String, String> facts = new LinkedHashMap<>();
            for (String a : ATTRIBUTES) facts.put(a, VALUES.get(a).get(r.nextInt(VALUES.get(a).size())));
            List<String> order = new ArrayList<>(ATTRIBUTES);
            java.util.Collections.shuffle(order, r);
            all.add(new Person(n, facts, order));
        }
        return new KnowledgeWorld(all.subList(0, loopPeople), all.subList(loopPeople, loopPeople + knownPeople),
                all.subList(loopPeople + knownPeople, total));
    }

    /** Two or three syllables, consonant-vowel each, with a closing consonant: "Zorvath"-like. */
    private static String name(Random r) {
        StringBuilder sb = new StringBuilder();
        int syllables = 2 + r.nextInt(2);
        for (int i = 0; i < syllables; i++) {
            sb.append(CONSONANTS.charAt(r.nextInt(CONSONANTS.length()))).append(VOWELS.charAt(r.nextInt(VOWELS.length())));
        }
        sb.append(CONSONANTS.charAt(r.nextInt(CONSONANTS.length())));
        return Character.toUpperCase(sb.charAt(0)) + sb.substring(1);
    }

    public List<Person> loopPeople() { return loop; }
    public List<Person> knownPeople() { return known; }

    /**
     * Questions are cloze prompts in the style of LAMA knowledge probes ("The town of Zorvath is"): a
     * tiny byte-level model trained from scratch for a minute cannot learn to answer reworded questions about
     * facts it saw only in passages, but it can complete a stated fact.
     */
    public static String question(Person p, String attribute) {
        return "The " + attribute + " of " + p.name() + " is";
    }

    private static List<Question> questions(List<Person> people, List<String> attributes, String prefix) {
        List<Question> out = new ArrayList<>();
        for (Person p : people) {
            for (String a : attributes) out.add(Question.shortAnswer(prefix + "-" + p.name() + "-" + a, question(p, a), p.facts().get(a)));
        }
        return out;
    }

    public QuestionSet probe() { return new QuestionSet("probe", questions(loop, PROBE_ATTRIBUTES, "probe")); }
    public QuestionSet heldout() { return new QuestionSet("heldout", questions(loop, HELDOUT_ATTRIBUTES, "heldout")); }
    public QuestionSet ood() { return new QuestionSet("ood", questions(known, OOD_ATTRIBUTES, "ood")); }

    /**
     * The training split (normative items): every attribute of the bystanders, so that task-format training
     * covers all five attributes instead of teaching the model one kind of answer.
     */
    public List<Question> trainQuestions() {
        return questions(bystanders, ATTRIBUTES, "train");
    }

    /** Every person's passage; even positions are "wiki", odd "web". */
    public List<Passage> corpus() {
        List<Person> all = new ArrayList<>(loop);
        all.addAll(known);
        all.addAll(bystanders);
        List<Passage> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Person p = all.get(i);
            out.add(new Passage("p" + i, p.name(), p.passageText(), i % 2 == 0 ? "wiki" : "web"));
        }
        return out;
    }

    /** Writes the corpus as wiki.jsonl and web.jsonl in {@code dir}; returns both paths. */
    public List<Path> writeCorpus(Path dir) {
        List<Map<String, String>> wiki = new ArrayList<>();
        List<Map<String, String>> web = new ArrayList<>();
        for (Passage p : corpus()) {
            Map<String, String> row = new LinkedHashMap<>();
            row.put("id", p.id());
            row.put("title", p.title());
            row.put("text", p.text());
            (p.source().equals("wiki") ? wiki : web).add(row);
        }
        Path a = dir.resolve("wiki.jsonl");
        Path b = dir.resolve("web.jsonl");
        JsonLines.write(a, wiki);
        JsonLines.write(b, web);
        return List.of(a, b);
    }

    /** Pre-training texts: the known people's passages (language-model loss on all tokens). */
    public List<String> pretrainPassages() {
        List<String> out = new ArrayList<>();
        for (Person p : known) out.add(p.name() + ". " + p.passageText());
        return out;
    }

    /** Pre-training questions: all five attributes of every known person (prompt without the template). */
    public List<Question> pretrainQuestions() {
        return questions(known, ATTRIBUTES, "pre");
    }

    /** General instructions (against forgetting): spelling and repetition tasks on some of the world's words. */
    public List<TextPair> general() {
        List<TextPair> out = new ArrayList<>();
        for (String a : ATTRIBUTES) {
            for (String v : VALUES.get(a).subList(0, 4)) {
                out.add(new TextPair("Repeat the word " + v + ".\nAnswer:", " " + v));
                out.add(new TextPair("Spell " + v + " backwards.\nAnswer:", " " + new StringBuilder(v).reverse()));
            }
        }
        return out;
    }

    /** Every text the world makes (corpus, every question set with its answers, general items): a vocabulary source. */
    public List<String> texts() {
        List<String> out = new ArrayList<>();
        for (Passage p : corpus()) out.add(p.text());
        out.addAll(pretrainPassages());
        List<Question> qs = new ArrayList<>(pretrainQuestions());
        qs.addAll(trainQuestions());
        qs.addAll(probe().questions());
        qs.addAll(heldout().questions());
        qs.addAll(ood().questions());
        for (Question q : qs) {
            out.add(q.question());
            out.add(" " + q.answer());
        }
        for (TextPair g : general()) {
            out.add(g.prompt());
            out.add(g.completion());
        }
        return out;
    }
}
