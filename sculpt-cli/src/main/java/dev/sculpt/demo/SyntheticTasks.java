package dev.sculpt.demo;

import dev.sculpt.SculptException;
import dev.sculpt.data.TaskData;
import dev.sculpt.data.TextPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * The demo's built-in task sequence: short string transformations with clearly different skills, generated
 * deterministically from a seed. Inputs are fixed-length words over a small alphabet; each task's test words are
 * disjoint from its training words, so test accuracy measures the skill, not memory.
 * <ul>
 * <li>{@code reverse}: "rev abc=" -> "cba" (a positional permutation)</li>
 * <li>{@code shift}: "shift abc=" -> "bcd" (a per-letter map, h wraps to a)</li>
 * <li>{@code double}: "dup abc=" -> "aabbcc" (a positional expansion)</li>
 * <li>{@code count}: "cnt abcab=" -> "2" (how many a's: aggregation into a digit)</li>
 * </ul>
 */
public final class SyntheticTasks {
    public static final String ALPHABET = "abcdefgh";

    private SyntheticTasks() {}

    /** One task's generator: the prompt prefix, word length, alphabet and the rule. */
    record Spec(String name, String prefix, int length, String alphabet, Function<String, String> rule) {}

    static List<Spec> specs() {
        return List.of(
                new Spec("reverse", "rev ", 3, ALPHABET, w -> new StringBuilder(w).reverse().toString()),
                new Spec("shift", "shift ", 3, ALPHABET, SyntheticTasks::shift),
                new Spec("double", "dup ", 3, ALPHABET, SyntheticTasks::dup),
                new Spec("count", "cnt ", 5, "abc", w -> Long.toString(w.chars().filter(c -> c == 'a').count())));
    }

    /**
     * The same kinds of skill with one-character answers, so that exact match credits a partly kept skill:
     * {@code last} ("last abcd=" -> "d"), {@code next} ("next abcd=" -> "e", the successor of the last letter, h wraps
     * to a), {@code count} ("cnt abcab=" -> "2") and {@code mid} ("mid abc=" -> "b").
     */
    static List<Spec> shortSpecs() {
        return List.of(
                new Spec("last", "last ", 4, ALPHABET, w -> w.substring(w.length() - 1)),
                new Spec("next", "next ", 4, ALPHABET, w -> shift(w.substring(w.length() - 1))),
                new Spec("count", "cnt ", 5, "abc", w -> Long.toString(w.chars().filter(c -> c == 'a').count())),
                new Spec("mid", "mid ", 3, ALPHABET, w -> w.substring(1, 2)));
    }

    /** All task names, in the default order. */
    public static List<String> names() {
        return names(specs());
    }

    static List<String> names(List<Spec> specs) {
        List<String> n = new ArrayList<>();
        for (Spec s : specs) n.add(s.name());
        return n;
    }

    /** The default sequence with {@code trainPerTask} training and {@code testPerTask} test examples each. */
    public static List<TaskData> generate(int trainPerTask, int testPerTask, long seed) {
        return generate(specs(), trainPerTask, testPerTask, seed);
    }

    static List<TaskData> generate(List<Spec> specs, int trainPerTask, int testPerTask, long seed) {
        List<TaskData> out = new ArrayList<>();
        int i = 0;
        for (Spec s : specs) out.add(generate(s, trainPerTask, testPerTask, seed * 7919 + i++));
        return out;
    }

    static TaskData generate(Spec s, int trainCount, int testCount, long seed) {
        long space = (long) Math.pow(s.alphabet().length(), s.length());
        if (testCount < 1 || trainCount < 1) throw new SculptException("task " + s.name() + " needs at least one train and one test example");
        if (testCount >= space) throw new SculptException("task " + s.name() + " has only " + space + " distinct inputs for " + testCount + " test examples");
        Random r = new Random(seed);
        List<String> words = new ArrayList<>();
        for (long k = 0; k < space; k++) words.add(word(k, s.length(), s.alphabet()));
        Collections.shuffle(words, r);
        Set<String> test = new LinkedHashSet<>(words.subList(0, testCount));
        List<String> pool = words.subList(testCount, words.size());
        List<TextPair> train = new ArrayList<>();
        for (int k = 0; k < trainCount; k++) {
            String w = pool.get(k < pool.size() ? k : r.nextInt(pool.size()));
            train.add(pair(s, w));
        }
        List<TextPair> testPairs = new ArrayList<>();
        for (String w : test) testPairs.add(pair(s, w));
        return new TaskData(s.name(), train, testPairs, List.of());
    }

    private static TextPair pair(Spec s, String w) {
        return new TextPair(s.prefix() + w + "=", s.rule().apply(w));
    }

    private static String word(long k, int len, String alphabet) {
        char[] c = new char[len];
        for (int i = len - 1; i >= 0; i--) {
            c[i] = alphabet.charAt((int) (k % alphabet.length()));
            k /= alphabet.length();
        }
        return new String(c);
    }

    static String shift(String w) {
        StringBuilder sb = new StringBuilder();
        for (char c : w.toCharArray()) sb.append(ALPHABET.charAt((ALPHABET.indexOf(c) + 1) % ALPHABET.length()));
        return sb.toString();
    }

    static String dup(String w) {
        StringBuilder sb = new StringBuilder();
        for (char c : w.toCharArray()) sb.append(c).append(c);
        return sb.toString();
    }
}
