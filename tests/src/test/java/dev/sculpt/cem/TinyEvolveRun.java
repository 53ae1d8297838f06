package dev.sculpt.cem;

import dev.sculpt.continual.HfModelStore;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.model.Parameter;
import dev.sculpt.text.Tokenizer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One evolve run of the resume tests on {@link TinyEvolveFiles}' inputs, through the Java API: the result, the final
 * weights and what the loop printed. Same settings every time, so that an interrupted and resumed run can be
 * compared with an uninterrupted one.
 */
record TinyEvolveRun(EvolveResult result, List<float[]> weights, String log) {
    static TinyEvolveRun run(Path model, EvolveInputs in, Path runDir, RoundTrainer trainer, boolean resume, int rounds) {
        EvolveOptions options = new EvolveOptions(rounds, 1, 8, 2, EvolveOptions.NO_MIN_GAIN, 96,
                new MiningOptions(0, 1f, 1f, 0, 0, 5), new DataOptions(1, true, true, 2, 0, 0.5, 5));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
        Tokenizer tok = Models.tokenizer(model);
        try (LanguageModel lm = Models.load(model); LuceneRetriever retriever = Evolve.openIndex(in, runDir, out)) {
            EvolveCheckpoints checkpoints = new EvolveCheckpoints(runDir, new HfModelStore(Map.of()), resume);
            EvolveResult r = Evolve.run(lm, tok, in, retriever, new PromptTemplate(PromptTemplate.DEFAULT_MULTIPLE_CHOICE,
                    PromptTemplate.DEFAULT_SHORT_ANSWER), 4, options, trainer, checkpoints, runDir, out);
            List<float[]> w = new ArrayList<>();
            for (Parameter p : lm.parameters()) w.add(p.toArray());
            return new TinyEvolveRun(r, w, log.toString(StandardCharsets.UTF_8));
        } finally {
            if (tok instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // nothing held that matters
                }
            }
        }
    }
}
