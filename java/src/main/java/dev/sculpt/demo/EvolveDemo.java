package dev.sculpt.demo;

import dev.sculpt.backend.Backends;
import dev.sculpt.cem.ContinualRoundTrainer;
import dev.sculpt.cem.DataOptions;
import dev.sculpt.cem.EvalReport;
import dev.sculpt.cem.Evaluator;
import dev.sculpt.cem.Evolve;
import dev.sculpt.cem.EvolveInputs;
import dev.sculpt.cem.EvolveOptions;
import dev.sculpt.cem.EvolveResult;
import dev.sculpt.cem.ExampleEncoder;
import dev.sculpt.cem.MiningOptions;
import dev.sculpt.cem.PromptTemplate;
import dev.sculpt.cem.AnswerParser;
import dev.sculpt.cem.Question;
import dev.sculpt.cem.RoundMetrics;
import dev.sculpt.cem.TrainingItem;
import dev.sculpt.continual.Method;
import dev.sculpt.data.TextPair;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.LrSchedule;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import dev.sculpt.train.UpdateConstraint;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.openblas.global.openblas_full;

/**
 * {@code sculpt demo --evolve}: the CEM loop on {@link KnowledgeWorld} with a tiny LLaMA and the byte tokenizer.
 * The model is first pre-trained on the known people (passages and questions) and general items; the loop then
 * learns the loop people from its probe mistakes, retrieving their passages from the world's corpus.
 */
public final class EvolveDemo {
    private EvolveDemo() {}

    /** The demo's knobs; {@link #defaults()} is what {@code sculpt demo --evolve} runs. */
    public record Settings(long seed, int loopPeople, int knownPeople, int bystanders, int hidden, int layers, int heads,
                           int pretrainEpochs, float pretrainLr, int rounds, int roundEpochs, float roundLr,
                           int batchSize, Method method) {
        public static Settings defaults() {
            return new Settings(11L, 16, 32, 16, 128, 3, 4, 40, 2e-3f, 3, 6, 1e-3f, 8, Method.OSFT);
        }

        /** A seconds-long version for tests. */
        public static Settings tiny() {
            return new Settings(3L, 3, 4, 2, 32, 1, 2, 2, 3e-3f, 1, 1, 1e-3f, 8, Method.OSFT);
        }
    }

    public static EvolveResult run(PrintStream out, Path workDir) {
        return run(out, workDir, Settings.defaults());
    }

    public static EvolveResult run(PrintStream out, Path workDir, Settings s) {
        // the demo's matrices are tiny: one BLAS thread beats OpenBLAS's thread start-up on every call
        int blasThreads = openblas_full.openblas_get_num_threads();
        openblas_full.openblas_set_num_threads(1);
        try {
            return runTiny(out, workDir, s);
        } finally {
            openblas_full.openblas_set_num_threads(blasThreads);
        }
    }

    private static EvolveResult runTiny(PrintStream out, Path workDir, Settings s) {
        long t0 = System.nanoTime();
        KnowledgeWorld world = KnowledgeWorld.generate(s.seed(), s.loopPeople(), s.knownPeople(), s.bystanders());
        Tokenizer tok = new ByteTokenizer();
        LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), s.hidden(), s.hidden() * 3, s.layers(), s.heads(), s.heads())
                .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(512).withTiedEmbeddings(true);
        // cloze template: the prompt is the question itself, so the answer is the fact's continuation (LAMA style)
        PromptTemplate template = new PromptTemplate(PromptTemplate.DEFAULT_MULTIPLE_CHOICE, "{question}");
        try (LlamaModel model = LlamaModel.create(cfg, s.seed())) {
            out.printf(Locale.ROOT, "CEM demo: tiny LLaMA (%d layers, hidden %d, %,d parameters), byte tokenizer; world of %d loop, %d known, %d bystander people%n",
                    s.layers(), s.hidden(), cfg.parameterCount(), s.loopPeople(), s.knownPeople(), s.bystanders());
            pretrain(model, tok, world, template, s, out);
            Evaluator ev = new Evaluator(model, tok, template, new AnswerParser(), 12);
            EvalReport ood = ev.evaluate(world.ood());
            out.printf(Locale.ROOT, "pre-trained in %.1fs: ood accuracy %.3f (known people)%n", (System.nanoTime() - t0) / 1e9, ood.accuracy());

            List<Path> corpus = world.writeCorpus(workDir.resolve("corpus"));
            EvolveInputs in = new EvolveInputs(world.probe(), world.heldout(), world.ood(), corpus, world.trainQuestions(),
                    world.general(), workDir.resolve("index"));
            TrainConfig tc = TrainConfig.defaults().withLr(s.roundLr()).withEpochs(s.roundEpochs()).withBatchSize(s.batchSize())
                    .withWarmup(0.05f).withWeightDecay(0f).withSeed(s.seed());
            ContinualRoundTrainer trainer = new ContinualRoundTrainer(s.method(), tc, RankPolicy.importance(),
                    ProjectionMode.TWO_SIDED, Backends.cpu(), s.rounds(), 64);
            // top-1 passage for each of a mistake's first two points (the gold answer and the person's name); no
            // extractive items: their prompts repeat whole passages, which costs more CPU time than they teach here
            EvolveOptions eo = new EvolveOptions(s.rounds(), 1, 64, 2, EvolveOptions.NO_MIN_GAIN, 320,
                    new MiningOptions(0, 1f, 1f, 0, 0.05, s.seed()), new DataOptions(1, false, true, 2, 1, 0.3, s.seed()));
            EvolveResult r = Evolve.run(model, tok, in, template, 12, eo, trainer, workDir.resolve("run"), out);
            RoundMetrics a = r.first();
            RoundMetrics b = r.last();
            out.printf(Locale.ROOT, "probe %.3f -> %.3f, held-out %.3f -> %.3f, ood %.3f -> %.3f in %.1fs; run in %s%n",
                    a.probe().accuracy(), b.probe().accuracy(), a.heldout().accuracy(), b.heldout().accuracy(),
                    a.ood().accuracy(), b.ood().accuracy(),
                    (System.nanoTime() - t0) / 1e9, workDir.resolve("run"));
            return r;
        }
    }

    /** Plain fine-tuning on the known people's passages and questions plus the general items. */
    static void pretrain(LlamaModel model, Tokenizer tok, KnowledgeWorld world, PromptTemplate template, Settings s, PrintStream out) {
        List<TrainingItem> items = new ArrayList<>();
        for (String p : world.pretrainPassages()) items.add(new TrainingItem(TrainingItem.CPT, "", p, null, null, 0));
        for (Question q : world.pretrainQuestions()) {
            items.add(new TrainingItem(TrainingItem.NORMATIVE, template.render(q), template.completion(q), null, null, 0));
        }
        for (TextPair g : world.general()) items.add(new TrainingItem(TrainingItem.GENERAL, g.prompt(), g.completion(), null, null, 0));
        List<Example> ex = new ArrayList<>();
        for (TrainingItem t : items) ex.add(ExampleEncoder.encode(tok, t, 320));
        TrainConfig tc = TrainConfig.defaults().withLr(s.pretrainLr()).withEpochs(s.pretrainEpochs()).withBatchSize(s.batchSize())
                .withWarmup(0.05f).withSchedule(LrSchedule.Kind.COSINE).withWeightDecay(0f).withSeed(s.seed());
        int total = tc.totalSteps(ex.size());
        long t0 = System.nanoTime();
        new Trainer(model, tc).train(ex, UpdateConstraint.NONE, (step, steps, loss, lr, norm) -> {
            if (step % Math.max(1, total / 20) == 0 || step == total) out.printf(Locale.ROOT, "  pre-train step %d/%d loss %.3f (%.0fs)%n", step, steps, loss, (System.nanoTime() - t0) / 1e9);
        });
    }
}
