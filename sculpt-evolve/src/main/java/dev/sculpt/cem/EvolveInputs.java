package dev.sculpt.cem;

import dev.sculpt.SculptException;
import dev.sculpt.data.TextPair;
import java.nio.file.Path;
import java.util.List;

/**
 * The files of an evolve run, read and validated before any training: question sets (held-out and ood optional),
 * the corpus files, the training split and general data (both optional), and the BM25 index folder.
 */
public record EvolveInputs(QuestionSet probe, QuestionSet heldout, QuestionSet ood, List<Path> corpus,
                           List<Question> trainQuestions, List<TextPair> general, Path indexDir) {
    public EvolveInputs {
        if (probe == null) throw new SculptException("--questions is required");
        if (corpus == null || corpus.isEmpty()) throw new SculptException("--corpus: at least one corpus file is required");
        corpus = List.copyOf(corpus);
        trainQuestions = trainQuestions == null ? List.of() : List.copyOf(trainQuestions);
        general = general == null ? List.of() : List.copyOf(general);
    }

    /** Reads every file now, so that bad input fails before the model is touched. */
    public static EvolveInputs load(Path questions, Path heldout, Path ood, List<Path> corpus, Path trainQuestions,
                                    Path general, Path indexDir) {
        return new EvolveInputs(QuestionSet.load("probe", questions),
                heldout == null ? null : QuestionSet.load("heldout", heldout),
                ood == null ? null : QuestionSet.load("ood", ood),
                corpus,
                trainQuestions == null ? List.of() : QuestionSet.load("train", trainQuestions).questions(),
                general == null ? List.of() : GeneralData.load(general),
                indexDir);
    }

    public List<QuestionSet> evaluationSets() {
        List<QuestionSet> s = new java.util.ArrayList<>();
        s.add(probe);
        if (heldout != null) s.add(heldout);
        if (ood != null) s.add(ood);
        return s;
    }
}
