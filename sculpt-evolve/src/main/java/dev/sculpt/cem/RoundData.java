package dev.sculpt.cem;

import dev.sculpt.io.JsonLines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A round's training data: CPT passages, CIT items built from the same passages, and replayed items. */
public record RoundData(int round, List<TrainingItem> cpt, List<TrainingItem> cit, List<TrainingItem> replay) {
    public RoundData {
        cpt = List.copyOf(cpt);
        cit = List.copyOf(cit);
        replay = List.copyOf(replay);
    }

    /** The new items of this round (CPT then CIT), without replay. */
    public List<TrainingItem> fresh() {
        List<TrainingItem> all = new ArrayList<>(cpt);
        all.addAll(cit);
        return all;
    }

    public List<TrainingItem> all() {
        List<TrainingItem> all = fresh();
        all.addAll(replay);
        return all;
    }

    /** Writes cpt.jsonl, cit.jsonl and replay.jsonl into {@code dir}, each atomically. */
    public void write(Path dir) {
        JsonLines.write(dir.resolve("cpt.jsonl"), cpt);
        JsonLines.write(dir.resolve("cit.jsonl"), cit);
        JsonLines.write(dir.resolve("replay.jsonl"), replay);
    }
}
