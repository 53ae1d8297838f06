package dev.sculpt.cem;

import dev.sculpt.model.LanguageModel;
import dev.sculpt.retention.Retention;
import dev.sculpt.text.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * One call that runs the CEM loop from loaded inputs: opens (or builds) the BM25 index, wires evaluator, data
 * builder and loop, and returns the per-round metrics. The command line and the demo are thin shells over it.
 */
public final class Evolve {
    private Evolve() {}

    public static EvolveResult run(LanguageModel model, Tokenizer tokenizer, EvolveInputs in, PromptTemplate template,
                                   int maxNewTokens, EvolveOptions options, RoundTrainer trainer, Path runDir, PrintStream out) {
        try (LuceneRetriever retriever = openIndex(in, runDir, out)) {
            return run(model, tokenizer, in, retriever, template, maxNewTokens, options, trainer, runDir, out);
        }
    }

    /** Opens (building when needed) the BM25 index of the inputs' corpus: RUN_DIR/index unless the inputs name one. */
    public static LuceneRetriever openIndex(EvolveInputs in, Path runDir, PrintStream out) {
        Path index = in.indexDir() != null ? in.indexDir() : runDir.resolve("index");
        LuceneRetriever retriever = LuceneRetriever.open(in.corpus(), index);
        out.println("corpus: " + retriever.size() + " passages" + (retriever.rebuilt() ? " (index built)" : " (index reused)"));
        return retriever;
    }

    /** The loop with any retriever (an OpenSearch or Elasticsearch client can stand in for Lucene). */
    public static EvolveResult run(LanguageModel model, Tokenizer tokenizer, EvolveInputs in, Retriever retriever,
                                   PromptTemplate template, int maxNewTokens, EvolveOptions options, RoundTrainer trainer,
                                   Path runDir, PrintStream out) {
        return run(model, tokenizer, in, retriever, template, maxNewTokens, options, trainer, null, runDir, out);
    }

    /** As above, checkpointing every completed round (and resuming) through {@code checkpoints} when not null. */
    public static EvolveResult run(LanguageModel model, Tokenizer tokenizer, EvolveInputs in, Retriever retriever,
                                   PromptTemplate template, int maxNewTokens, EvolveOptions options, RoundTrainer trainer,
                                   EvolveCheckpoints checkpoints, Path runDir, PrintStream out) {
        return run(model, tokenizer, in, retriever, template, maxNewTokens, options, trainer, checkpoints, null, runDir, out);
    }

    /** As above, measuring retention perplexity before the loop and after every round when {@code retention} is not null. */
    public static EvolveResult run(LanguageModel model, Tokenizer tokenizer, EvolveInputs in, Retriever retriever,
                                   PromptTemplate template, int maxNewTokens, EvolveOptions options, RoundTrainer trainer,
                                   EvolveCheckpoints checkpoints, Retention retention, Path runDir, PrintStream out) {
        {
            Examiner evaluator = new Examiner(model, tokenizer, template, new AnswerParser(), maxNewTokens);
            DataBuilder builder = new DataBuilder(in.trainQuestions(), in.evaluationSets(), in.general(), template, options.data());
            if (builder.droppedTrainQuestions() > 0) {
                out.println("dropped " + builder.droppedTrainQuestions() + " training questions that repeat an evaluation question");
            }
            return new EvolveLoop(model, tokenizer, evaluator, retriever, builder, trainer, options).checkpoints(checkpoints).retention(retention)
                    .run(in.probe(), in.heldout(), in.ood(), runDir, out);
        }
    }
}
