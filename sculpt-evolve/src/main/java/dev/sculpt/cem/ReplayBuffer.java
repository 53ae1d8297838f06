package dev.sculpt.cem;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Every earlier round's training items; a round replays a seeded random sample of them. */
public final class ReplayBuffer {
    private final List<TrainingItem> items = new ArrayList<>();

    public void add(List<TrainingItem> roundItems) {
        items.addAll(roundItems);
    }

    public int size() { return items.size(); }

    /** {@code n} distinct items (all of them when fewer), drawn without replacement. */
    public List<TrainingItem> sample(int n, Random random) {
        if (n >= items.size()) return List.copyOf(items);
        List<TrainingItem> copy = new ArrayList<>(items);
        Collections.shuffle(copy, random);
        return List.copyOf(copy.subList(0, n));
    }
}
