package dev.sculpt.clbench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the continual-learning benchmark in the layout of the O-LoRA repository and forms a task sequence.
 *
 * <p>Layout: {@code DIR/instruction_config.json} maps a family to its instruction
 * ({@code {"TC": [{"instruction_type": "zero-shot", "instruction": "..."}], ...}}); each task lives in
 * {@code DIR/FAMILY/TASK/} with {@code labels.json} (a JSON array of the label strings) and split files
 * {@code train.json}, {@code dev.json}, {@code test.json} (JSON arrays of {@code {"label","sentence"}}).
 *
 * <p>An example's prompt is {@link PromptFormat#prompt the family instruction, the sentence and the options};
 * its completion is the label text. Accuracy is exact match of the generated label.
 *
 * <p>Splits: training data comes from {@code train.json}, test data from {@code test.json} (or
 * {@code dev.json} when there is no test file). When only one of the two exists, it is split by a seeded
 * hold-out: its entries are permuted with {@link #HOLDOUT_SEED} (fixed, independent of the run's seed, so the
 * test set never moves between runs), the first {@link #HOLDOUT_TEST_FRACTION} become the test set and the
 * rest the training set; the two are disjoint, and the task's notes say so. Caps are then applied to each side
 * separately: the first N of a permutation seeded by the run's seed and the task, so the same seed always
 * gives the same sample and a smaller cap is a prefix of a larger one. Examples come back in that permuted
 * order, never in file order (some files are sorted by label).
 *
 * <p>Entries labelled {@code "-"} (GLUE's "no gold label", e.g. in MNLI's test file) are skipped and counted
 * in a note; any other label missing from {@code labels.json} is an error naming the file and entry index.
 * A family that {@code instruction_config.json} does not list (COPA, whose sentences carry their own question)
 * gets an empty instruction and a note.
 */
public final class ClBenchmark {
    /** Share of the donor split that becomes the test set when one split is missing. */
    public static final double HOLDOUT_TEST_FRACTION = 0.2;
    /** Seed of every hold-out; fixed so that the held-out test set is the same for every run. */
    public static final long HOLDOUT_SEED = 0x5C_0B_E7_C4L;
    /** Order prefix that asks for one task holding every listed task's data (the multitask upper bound). */
    public static final String MULTITASK_PREFIX = "multitask:";

    private static final Logger LOG = LoggerFactory.getLogger(ClBenchmark.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ClBenchmark() {}

    /**
     * The tasks of {@code order}, in order: a comma-separated list of task names (case-insensitive short names
     * such as {@code agnews,SST-2}, or {@code FAMILY/TASK}), a published order ({@code standard-1},
     * {@code standard-2}, {@code standard-3}, {@code long}), or {@code multitask:} followed by either, which
     * gives a single task holding all of their data (see {@link #multitask}).
     *
     * @param trainPerTask cap on training examples per task, 0 for all
     * @param testPerTask  cap on test examples per task, 0 for all
     * @param seed         seed of the caps (and of the multitask shuffle)
     */
    public static List<TaskData> load(Path dir, String order, int trainPerTask, int testPerTask, long seed) {
        return load(dir, order, new BenchmarkOptions(trainPerTask, testPerTask, seed, 0));
    }

    /** Every example of the tasks of {@code order}. */
    public static List<TaskData> load(Path dir, String order) {
        return load(dir, order, BenchmarkOptions.all());
    }

    /** The tasks of {@code order} (see {@link #load(Path, String, int, int, long)}), formed with {@code options}. */
    public static List<TaskData> load(Path dir, String order, BenchmarkOptions options) {
        return load(dir, order, options, null);
    }

    /**
     * As {@link #load(Path, String, BenchmarkOptions)}, and every sentence too long for {@code budget} (null:
     * no limit) is cut to its longest prefix that fits; each task's notes count the cut sentences.
     */
    public static List<TaskData> load(Path dir, String order, BenchmarkOptions options, ContextBudget budget) {
        if (order == null || order.isBlank()) throw new SculptException("--order is empty: give task names or a published order");
        String trimmed = order.trim();
        boolean multitask = trimmed.toLowerCase(Locale.ROOT).startsWith(MULTITASK_PREFIX);
        List<String> names = taskNames(multitask ? trimmed.substring(MULTITASK_PREFIX.length()) : trimmed);

        TaskCatalog catalog = TaskCatalog.scan(dir);
        List<TaskCatalog.TaskRef> refs = resolve(catalog, names, dir);
        Map<String, String> instructions = readInstructions(dir.resolve("instruction_config.json"));
        for (TaskCatalog.TaskRef ref : refs) checkFormable(ref, trimmed);

        List<TaskData> tasks = new ArrayList<>();
        for (TaskCatalog.TaskRef ref : refs) tasks.add(formTask(ref, instructions, options, budget));
        return multitask ? List.of(multitask(tasks, options.seed())) : List.copyOf(tasks);
    }

    /**
     * One task named {@code multitask} that holds the training data of every task, shuffled together with {@code seed}, and their test
     * data one task after another: training once on it gives the multitask upper bound of a sequence. With the
     * same test cap for every task its test accuracy is the mean of the per-task accuracies.
     */
    public static TaskData multitask(List<TaskData> tasks, long seed) {
        if (tasks.isEmpty()) throw new SculptException("multitask needs at least one task");
        List<TextPair> train = new ArrayList<>();
        List<TextPair> test = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (TaskData t : tasks) {
            names.add(t.name());
            train.addAll(t.train());
            test.addAll(t.test());
            notes.addAll(t.notes());
        }
        String name = "multitask";
        notes.add("multitask: the training examples of " + String.join(", ", names) + " (" + train.size()
                + ") shuffled together with seed " + seed + "; test = their test sets one after another (" + test.size() + ")");
        return new TaskData(name, Sampling.permuted(train, Sampling.seedFor(seed, String.join("+", names), "multitask")), test, notes);
    }

    /** The task names an order stands for: a published order's list, or the comma-separated names. */
    public static List<String> taskNames(String order) {
        String o = order.trim();
        var published = TaskOrders.published(o);
        if (published.isPresent()) return published.get();
        List<String> names = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String part : o.split(",", -1)) {
            String n = part.trim();
            if (n.isEmpty()) throw new SculptException("--order '" + order + "' has an empty task name");
            if (!seen.add(n.toLowerCase(Locale.ROOT))) {
                throw new SculptException("--order '" + order + "' names task '" + n + "' twice");
            }
            names.add(n);
        }
        return names;
    }

    private static List<TaskCatalog.TaskRef> resolve(TaskCatalog catalog, List<String> names, Path dir) {
        List<TaskCatalog.TaskRef> refs = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        for (String n : names) {
            TaskCatalog.TaskRef ref = catalog.find(n);
            if (ref == null) unknown.add(n);
            else refs.add(ref);
        }
        if (!unknown.isEmpty()) {
            throw new SculptException("unknown task" + (unknown.size() > 1 ? "s " : " ") + unknown + " in --order: no such folder in "
                    + dir + " (tasks there: " + catalog.ids() + "; published orders: " + TaskOrders.PUBLISHED.keySet() + ")");
        }
        return refs;
    }

    /** Fails before any reading when a task lacks its labels or every split file. */
    private static void checkFormable(TaskCatalog.TaskRef ref, String order) {
        String what = "--order '" + order + "': task " + ref.id() + " cannot be formed: missing ";
        Path labels = ref.dir().resolve("labels.json");
        if (!Files.isRegularFile(labels)) {
            throw new SculptException(what + labels);
        }
        if (!Files.isRegularFile(ref.dir().resolve("train.json")) && testFile(ref) == null) {
            throw new SculptException(what + ref.dir().resolve("train.json")
                    + " and " + ref.dir().resolve("test.json") + " (no dev.json either)");
        }
    }

    private static Path testFile(TaskCatalog.TaskRef ref) {
        for (String f : List.of("test.json", "dev.json")) {
            Path p = ref.dir().resolve(f);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static TaskData formTask(TaskCatalog.TaskRef ref, Map<String, String> instructions, BenchmarkOptions options,
                                     ContextBudget budget) {
        String name = ref.task();
        List<String> notes = new ArrayList<>();
        List<String> labels = readLabels(ref.dir().resolve("labels.json"));
        Set<String> labelSet = Set.copyOf(labels);

        String instruction = instructions.get(ref.family());
        if (instruction == null) {
            instruction = "";
            notes.add(name + ": instruction_config.json has no instruction for family " + ref.family()
                    + "; the prompt is the sentence and the options alone");
        }

        Path trainFile = ref.dir().resolve("train.json");
        Path testFile = testFile(ref);
        List<LabeledSentence> train;
        List<LabeledSentence> test;
        if (Files.isRegularFile(trainFile) && testFile != null) {
            train = readSplit(trainFile, labelSet, name, notes);
            test = readSplit(testFile, labelSet, name, notes);
            if (testFile.getFileName().toString().equals("dev.json")) {
                notes.add(name + ": no test.json; dev.json is the test set");
            }
        } else {
            Path donor = Files.isRegularFile(trainFile) ? trainFile : testFile;
            String missing = donor.equals(trainFile) ? "test.json (and dev.json)" : "train.json";
            List<LabeledSentence> all = Sampling.permuted(readSplit(donor, labelSet, name, notes),
                    Sampling.seedFor(HOLDOUT_SEED, ref.id(), "holdout"));
            if (all.size() < 2) throw new SculptException(donor + ": needs at least 2 entries to hold out a missing " + missing);
            int nTest = (int) Math.max(1, Math.min(all.size() - 1, Math.round(all.size() * HOLDOUT_TEST_FRACTION)));
            test = all.subList(0, nTest);
            train = all.subList(nTest, all.size());
            notes.add(String.format(Locale.ROOT, "%s: no %s; seeded hold-out of %s (seed %d): %d entries as test, %d as train, disjoint",
                    name, missing, donor.getFileName(), HOLDOUT_SEED, test.size(), train.size()));
        }

        List<TextPair> trainPairs = toPairs(capped(train, options.trainPerTask(), options.seed(), ref, "train", notes),
                instruction, labels, options.maxSentenceChars(), budget, name, "train", notes);
        List<TextPair> testPairs = toPairs(capped(test, options.testPerTask(), options.seed(), ref, "test", notes),
                instruction, labels, options.maxSentenceChars(), budget, name, "test", notes);
        if (trainPairs.isEmpty()) throw new SculptException("task " + ref.id() + " has no training examples");
        if (testPairs.isEmpty()) throw new SculptException("task " + ref.id() + " has no test examples");
        for (String note : notes) LOG.info(note);
        return new TaskData(name, trainPairs, testPairs, notes);
    }

    private static List<LabeledSentence> readSplit(Path file, Set<String> labels, String name, List<String> notes) {
        SplitReader.Split s = SplitReader.read(file, labels);
        if (s.skippedNoGold() > 0) {
            notes.add(name + ": skipped " + s.skippedNoGold() + " entries of " + file.getFileName()
                    + " labelled \"-\" (no gold label)");
        }
        return s.entries();
    }

    private static List<LabeledSentence> capped(List<LabeledSentence> items, int cap, long seed,
                                                TaskCatalog.TaskRef ref, String split, List<String> notes) {
        if (cap > items.size()) {
            notes.add(ref.task() + ": asked for " + cap + " " + split + " examples, only " + items.size() + " exist; using all");
        }
        return Sampling.sample(items, cap, Sampling.seedFor(seed, ref.id(), split));
    }

    private static List<TextPair> toPairs(List<LabeledSentence> items, String instruction, List<String> labels,
                                          int maxChars, ContextBudget budget, String name, String split, List<String> notes) {
        List<TextPair> out = new ArrayList<>(items.size());
        int cut = 0;
        int fitted = 0;
        for (LabeledSentence e : items) {
            String s = e.sentence();
            if (maxChars > 0 && s.length() > maxChars) {
                s = prefix(s, maxChars);
                cut++;
            }
            String prompt = PromptFormat.prompt(instruction, s, labels);
            if (budget != null && !budget.fits(prompt, e.label())) {
                if (!budget.fits(PromptFormat.prompt(instruction, "", labels), e.label())) {
                    throw new SculptException("task " + name + ": the instruction, options and label \"" + e.label()
                            + "\" alone exceed the model's " + budget.maxTokens() + " tokens");
                }
                int lo = 0;              // a prefix this long fits
                int hi = s.length();     // a prefix this long does not
                while (hi - lo > 1) {
                    int mid = (lo + hi) >>> 1;
                    if (budget.fits(PromptFormat.prompt(instruction, prefix(s, mid), labels), e.label())) lo = mid;
                    else hi = mid;
                }
                prompt = PromptFormat.prompt(instruction, prefix(s, lo), labels);
                fitted++;
            }
            out.add(new TextPair(prompt, e.label()));
        }
        if (cut > 0) notes.add(name + ": cut " + cut + " of " + items.size() + " " + split + " sentences to " + maxChars + " characters");
        if (fitted > 0) {
            notes.add(name + ": cut " + fitted + " of " + items.size() + " " + split + " sentences to fit the model's "
                    + budget.maxTokens() + " tokens");
        }
        return out;
    }

    /** The first n characters, one fewer when n would split a surrogate pair. */
    private static String prefix(String s, int n) {
        if (n >= s.length()) return s;
        int end = n > 0 && Character.isHighSurrogate(s.charAt(n - 1)) ? n - 1 : n;
        return s.substring(0, end);
    }

    static List<String> readLabels(Path file) {
        JsonNode node = readJson(file);
        if (!node.isArray() || node.isEmpty()) throw new SculptException(file + ": expected a non-empty JSON array of label strings");
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode l = node.get(i);
            if (!l.isTextual() || l.asText().isBlank()) throw new SculptException(file + ": label " + i + " is not a non-empty string");
            if (labels.contains(l.asText())) throw new SculptException(file + ": label \"" + l.asText() + "\" appears twice");
            labels.add(l.asText());
        }
        return labels;
    }

    /** Family -> instruction; the zero-shot entry when a family lists several. */
    static Map<String, String> readInstructions(Path file) {
        JsonNode root = readJson(file);
        if (!root.isObject()) throw new SculptException(file + ": expected an object mapping a family to its instructions");
        Map<String, String> out = new TreeMap<>();
        for (var it = root.fields(); it.hasNext(); ) {
            var e = it.next();
            JsonNode list = e.getValue();
            JsonNode chosen = null;
            if (list.isArray()) {
                for (JsonNode entry : list) {
                    boolean zeroShot = "zero-shot".equals(entry.path("instruction_type").asText());
                    if (chosen == null || zeroShot) chosen = entry;
                    if (zeroShot) break;
                }
            }
            if (chosen == null || !chosen.path("instruction").isTextual()) {
                throw new SculptException(file + ": family " + e.getKey() + " has no \"instruction\" string");
            }
            out.put(e.getKey(), chosen.path("instruction").asText());
        }
        return out;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) throw new SculptException("missing " + file);
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new SculptException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
