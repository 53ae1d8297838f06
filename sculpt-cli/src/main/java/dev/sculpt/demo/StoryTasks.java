package dev.sculpt.demo;

import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A task sequence that draws on what the demo's base learned from the {@link StoryCorpus}: each task asks for one
 * part of a sentence of the corpus grammar, named by a keyword before the sentence, and the answer is copied from the
 * sentence. Each task has its own sentence form, so the tasks' prompts differ in keyword and in shape. Generated
 * deterministically from a seed; each task's test sentences are distinct from its training sentences.
 * <ul>
 * <li>{@code who}: "who: One day, Tom found a red ball in the park.=" -> "Tom"</li>
 * <li>{@code where}: "where: Mia walked by the river and felt sad.=" -> "by the river"</li>
 * <li>{@code what}: "what: Ben had a big kite. It was very old.=" -> "big kite"</li>
 * <li>{@code feel}: "feel: Later, the fox was proud because of the red cup.=" -> "proud"</li>
 * </ul>
 */
public final class StoryTasks {
    private StoryTasks() {}

    /** One task: its name, keyword and a generator of (sentence, answer). */
    private record Spec(String name, String keyword, java.util.function.Function<Random, String[]> draw) {}

    private static List<Spec> specs() {
        return List.of(
                new Spec("who", "who", r -> {
                    String who = StoryCorpus.pick(r, StoryCorpus.NAMES);
                    return new String[] {StoryCorpus.pick(r, StoryCorpus.TIMES) + ", " + who + " " + StoryCorpus.pick(r, StoryCorpus.VERBS_PAST) + " a "
                            + StoryCorpus.pick(r, StoryCorpus.ADJ) + " " + StoryCorpus.pick(r, StoryCorpus.THINGS) + " " + StoryCorpus.pick(r, StoryCorpus.PLACES) + ".", who};
                }),
                new Spec("where", "where", r -> {
                    String place = StoryCorpus.pick(r, StoryCorpus.PLACES);
                    return new String[] {StoryCorpus.capital(StoryCorpus.pick(r, StoryCorpus.NAMES)) + " " + StoryCorpus.pick(r, StoryCorpus.MOVES) + " " + place
                            + " and felt " + StoryCorpus.pick(r, StoryCorpus.FEELINGS) + ".", place};
                }),
                new Spec("what", "what", r -> {
                    String thing = StoryCorpus.pick(r, StoryCorpus.ADJ) + " " + StoryCorpus.pick(r, StoryCorpus.THINGS);
                    return new String[] {StoryCorpus.capital(StoryCorpus.pick(r, StoryCorpus.NAMES)) + " had a " + thing + ". It was very "
                            + StoryCorpus.pick(r, StoryCorpus.ADJ) + ".", thing};
                }),
                new Spec("feel", "feel", r -> {
                    String feeling = StoryCorpus.pick(r, StoryCorpus.FEELINGS);
                    return new String[] {StoryCorpus.pick(r, StoryCorpus.TIMES) + ", " + StoryCorpus.pick(r, StoryCorpus.NAMES) + " was " + feeling
                            + " because of the " + StoryCorpus.pick(r, StoryCorpus.ADJ) + " " + StoryCorpus.pick(r, StoryCorpus.THINGS) + ".", feeling};
                }));
    }

    /** All task names, in order. */
    public static List<String> names() {
        List<String> n = new ArrayList<>();
        for (Spec s : specs()) n.add(s.name());
        return n;
    }

    /** The sequence with {@code trainPerTask} training and {@code testPerTask} test examples each. */
    public static List<TaskData> generate(int trainPerTask, int testPerTask, long seed) {
        if (testPerTask < 1 || trainPerTask < 1) throw new SculptException("story tasks need at least one train and one test example");
        List<TaskData> out = new ArrayList<>();
        int i = 0;
        for (Spec s : specs()) {
            Random r = new Random(seed * 7919 + 104729L * ++i);
            Map<String, String> all = new LinkedHashMap<>();
            int tries = 0;
            while (all.size() < trainPerTask + testPerTask) {
                String[] d = s.draw().apply(r);
                all.putIfAbsent(d[0], d[1]);
                if (++tries > 50 * (trainPerTask + testPerTask)) {
                    throw new SculptException("task " + s.name() + " has fewer than " + (trainPerTask + testPerTask) + " distinct sentences");
                }
            }
            List<TextPair> pairs = new ArrayList<>();
            all.forEach((sentence, answer) -> pairs.add(new TextPair(s.keyword() + ": " + sentence + "=", answer)));
            out.add(new TaskData(s.name(), List.copyOf(pairs.subList(0, trainPerTask)), List.copyOf(pairs.subList(trainPerTask, pairs.size())), List.of()));
        }
        return out;
    }
}
