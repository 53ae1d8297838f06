package dev.sculpt.clbench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The published task orders of the continual-learning benchmark (as listed in the data's README). */
public final class TaskOrders {
    /** Standard benchmark (4 tasks), orders 1-3, and the 15-task long sequence of the O-LoRA repository. */
    public static final Map<String, List<String>> PUBLISHED = Map.of(
            "standard-1", List.of("dbpedia", "amazon", "yahoo", "agnews"),
            "standard-2", List.of("dbpedia", "amazon", "agnews", "yahoo"),
            "standard-3", List.of("yahoo", "amazon", "agnews", "dbpedia"),
            "long", List.of("yelp", "amazon", "MNLI", "CB", "COPA", "QQP", "RTE", "IMDB", "SST-2", "dbpedia",
                    "agnews", "yahoo", "MultiRC", "BoolQA", "WiC"));

    /** The 8-task sequence complete in the reference copy of the data (no hold-outs needed). */
    public static final List<String> COMPLETE_8 =
            List.of("agnews", "amazon", "MNLI", "SST-2", "QQP", "BoolQA", "WiC", "RTE");

    private TaskOrders() {}

    /** The published order of that name (case-insensitive), if it is one. */
    public static Optional<List<String>> published(String name) {
        return Optional.ofNullable(PUBLISHED.get(name.trim().toLowerCase(Locale.ROOT)));
    }
}
