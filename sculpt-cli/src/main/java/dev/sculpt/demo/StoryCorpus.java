package dev.sculpt.demo;

import dev.sculpt.SculptException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The demo's built-in pre-training corpus: short English sentences from a small generated grammar (who does what to
 * which thing, where and when), deterministic for a seed. It gives the demo's tiny model a general ability that can
 * be measured (perplexity on held-out sentences) and lost. Training and held-out sentences are distinct strings.
 */
public final class StoryCorpus {
    static final String[] NAMES = {"Tom", "Mia", "Ben", "Lily", "Sam", "Anna", "Max", "Zoe", "the dog", "the cat",
            "a little bird", "the old man", "a small girl", "the fox", "a happy boy", "the farmer"};
    static final String[] ADJ = {"big", "red", "small", "shiny", "old", "soft", "blue", "funny", "green", "tiny"};
    static final String[] THINGS = {"ball", "box", "kite", "cake", "hat", "boat", "book", "flower", "stone", "cup", "toy", "apple"};
    static final String[] PLACES = {"in the park", "at home", "by the river", "in the garden", "under the tree",
            "on the hill", "at school", "near the sea"};
    static final String[] TIMES = {"One day", "In the morning", "At night", "After lunch", "Later", "Once upon a time"};
    static final String[] VERBS_PAST = {"found", "saw", "made", "lost", "wanted", "liked", "took", "gave away"};
    static final String[] FEELINGS = {"happy", "sad", "surprised", "sleepy", "proud", "scared"};
    static final String[] MOVES = {"ran", "walked", "jumped", "went", "played"};

    private StoryCorpus() {}

    /** One sentence drawn from the grammar. */
    static String sentence(Random r) {
        String who = pick(r, NAMES);
        String thing = pick(r, ADJ) + " " + pick(r, THINGS);
        String s = switch (r.nextInt(5)) {
            case 0 -> pick(r, TIMES) + ", " + who + " " + pick(r, VERBS_PAST) + " a " + thing + " " + pick(r, PLACES) + ".";
            case 1 -> capital(who) + " " + pick(r, MOVES) + " " + pick(r, PLACES) + " and felt " + pick(r, FEELINGS) + ".";
            case 2 -> capital(who) + " had a " + thing + ". It was very " + pick(r, ADJ) + ".";
            case 3 -> pick(r, TIMES) + ", " + who + " was " + pick(r, FEELINGS) + " because of the " + thing + ".";
            default -> capital(who) + " said, \"I like the " + thing + "!\" and " + pick(r, MOVES) + " " + pick(r, PLACES) + ".";
        };
        return s;
    }

    /**
     * {@code train} training sentences and {@code heldout} held-out sentences, all distinct, in a deterministic order.
     * Returns [training, held-out].
     */
    public static List<List<String>> generate(int train, int heldout, long seed) {
        if (train < 1 || heldout < 1) throw new SculptException("the story corpus needs at least one training and one held-out sentence");
        Random r = new Random(seed);
        Set<String> all = new LinkedHashSet<>();
        int tries = 0;
        while (all.size() < train + heldout) {
            all.add(sentence(r));
            if (++tries > 50 * (train + heldout)) throw new SculptException("the story grammar cannot give " + (train + heldout) + " distinct sentences");
        }
        List<String> list = new ArrayList<>(all);
        Collections.shuffle(list, r);
        return List.of(List.copyOf(list.subList(0, train)), List.copyOf(list.subList(train, train + heldout)));
    }

    static String pick(Random r, String[] a) {
        return a[r.nextInt(a.length)];
    }

    static String capital(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
