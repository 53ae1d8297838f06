package dev.sculpt.cem;

import dev.sculpt.model.Example;
import dev.sculpt.model.GenerationOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test double that "learns" facts: training on text containing "The ATTR of ENTITY is VALUE." stores the fact,
 * and "What is the ATTR of ENTITY?" is answered from the stored facts ("unknown" otherwise). It lets the loop's
 * plumbing (mining, points, retrieval, data, training, metrics) be checked in milliseconds; the real tiny
 * LLaMA end-to-end run is in the demo test.
 */
final class FactModel extends ScriptedModel {
    private static final Pattern FACT = Pattern.compile("The (\\w+) of (\\w+) is (\\w+)\\.");
    private static final Pattern ASK = Pattern.compile("What is the (\\w+) of (\\w+)\\?");
    final Map<String, String> facts = new HashMap<>();

    void learn(String text) {
        Matcher m = FACT.matcher(text);
        while (m.find()) facts.put(m.group(1) + "/" + m.group(2), m.group(3));
    }

    @Override public int[] generate(int[] prompt, GenerationOptions options) {
        generateCalls++;
        Matcher m = ASK.matcher(prompt(prompt));
        String ans = m.find() ? facts.getOrDefault(m.group(1) + "/" + m.group(2), "unknown") : "unknown";
        return tok.encode(" " + ans + "\nQuestion:");
    }

    /** Trains on CPT examples only (empty prompt but BOS): the facts they state. */
    static RoundTrainer trainer(List<Integer> sizes) {
        return (model, examples, round) -> {
            sizes.add(examples.size());
            FactModel fm = (FactModel) model;
            for (Example e : examples) if (e.prompt().length == 1) fm.learn(fm.prompt(e.target()));
            return new RoundTrainer.TrainSummary(examples.size(), 2.0, 1.0, 0.0);
        };
    }
}
