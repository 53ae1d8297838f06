package dev.sculpt.demo;

import dev.sculpt.backend.Backend;
import dev.sculpt.backend.Backends;
import dev.sculpt.backend.cpu.BlasThreads;
import dev.sculpt.cem.ContinualRoundTrainer;
import dev.sculpt.cem.DataOptions;
import dev.sculpt.cem.EvalReport;
import dev.sculpt.cem.Examiner;
import dev.sculpt.cem.Evolve;
import dev.sculpt.cem.EvolveInputs;
import dev.sculpt.cem.EvolveOptions;
import dev.sculpt.cem.EvolveResult;
import dev.sculpt.cem.MiningOptions;
import dev.sculpt.cem.PromptTemplate;
import dev.sculpt.cem.AnswerParser;
import dev.sculpt.cem.Question;
import dev.sculpt.cem.RoundMetrics;
import dev.sculpt.cem.TrainingItem;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.data.TextPair;
import dev.sculpt.eval.ExampleEncoder;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.Example;
import dev.sculpt.model.llama.LlamaConfig;
import dev.sculpt.model.llama.LlamaModel;
import dev.sculpt.ops.Ops;
import dev.sculpt.ops.cpu.CpuOps;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.osft.UpdateConstraint;
import dev.sculpt.text.ByteTokenizer;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.text.WordTokenizer;
import dev.sculpt.train.LrSchedule;
import dev.sculpt.train.TrainConfig;
import dev.sculpt.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code sculpt demo --evolve}: the CEM loop on {@link KnowledgeWorld} with a tiny LLaMA and a word-level tokenizer
 * over the world's vocabulary ({@link WordTokenizer}; the byte tokenizer is a setting).
 * The model is first pre-trained on the known people (passages and questions) and general items; the loop then
 * learns the loop people from its probe mistakes, retrieving their passages from the world's corpus. Rounds train
 * with osft (bases carried across rounds; embeddings and norms train freely, as in the published method) and
 * replay a sample of the pre-training passages as general data; the same loop then runs with seqft from the same
 * pre-trained weights for comparison.
 */
public final class EvolveDemo {
    private EvolveDemo() {}

    /**
     * The demo's knobs; {@link #defaults()} is what {@code sculpt demo --evolve} runs.
     *
     * @param rankRatio        osft preserved share of every constrained matrix (a fixed ratio policy)
     * @param accumulate       carry the protected bases from round to round (osft)
     * @param nonTargets       what osft does with embeddings and norms while protecting
     * @param generalPerPassage general items per retrieved passage
     * @param replayPretrain   put the pre-training passages (known people) into the general pool, so that rounds
     *                         replay a sample of what the model learned before the loop (never the questions)
     * @param replayShare      share of items replayed from earlier rounds
     * @param compareSeqft     after the loop with {@code method}, restore the pre-trained weights and run the same
     *                         loop with seqft (RUN_DIR run-seqft/), then print both side by side
     * @param wordTokens       the world's words as single tokens ({@link WordTokenizer}) instead of bytes: a byte-level
     *                         model this small garbles the spelling of values it has to recall, and that failure
     *                         dominated the ood losses, not the forgetting the demo is meant to show
     */
    public record Settings(long seed, int loopPeople, int knownPeople, int bystanders, int hidden, int layers, int heads,
                           int pretrainEpochs, float pretrainLr, int rounds, int roundEpochs, float roundLr,
                           int batchSize, Method method, double rankRatio, boolean accumulate, NonTargets nonTargets,
                           int generalPerPassage, boolean replayPretrain, double replayShare, boolean compareSeqft,
                           boolean wordTokens, ProjectionMode projection) {
        public static Settings defaults() {
            return new Settings(11L, 24, 24, 16, 96, 2, 4, 80, 3e-3f, 3, 20, 6e-3f, 8, Method.OSFT,
                    0.5, true, NonTargets.TRAIN, 15, true, 1.0, true, true, ProjectionMode.TWO_SIDED);
        }

        /** A seconds-long version for tests. */
        public static Settings tiny() {
            return new Settings(3L, 3, 4, 2, 32, 1, 2, 2, 3e-3f, 1, 1, 1e-3f, 8, Method.OSFT,
                    0.5, true, NonTargets.TRAIN, 1, true, 0.3, true, true, ProjectionMode.TWO_SIDED);
        }

        public Settings withMethod(Method m) {
            return new Settings(seed, loopPeople, knownPeople, bystanders, hidden, layers, heads, pretrainEpochs, pretrainLr,
                    rounds, roundEpochs, roundLr, batchSize, m, rankRatio, accumulate, nonTargets, generalPerPassage,
                    replayPretrain, replayShare, compareSeqft, wordTokens, projection);
        }

        /** The same settings with another seed (world, model, mining and data). */
        public Settings withSeed(long s) {
            return new Settings(s, loopPeople, knownPeople, bystanders, hidden, layers, heads, pretrainEpochs, pretrainLr,
                    rounds, roundEpochs, roundLr, batchSize, method, rankRatio, accumulate, nonTargets, generalPerPassage,
                    replayPretrain, replayShare, compareSeqft, wordTokens, projection);
        }

        /** The same settings with other replay: general items per passage and the share replayed from earlier rounds. */
        public Settings withReplay(int general, double share) {
            return new Settings(seed, loopPeople, knownPeople, bystanders, hidden, layers, heads, pretrainEpochs, pretrainLr,
                    rounds, roundEpochs, roundLr, batchSize, method, rankRatio, accumulate, nonTargets, general,
                    replayPretrain, share, compareSeqft, wordTokens, projection);
        }
    }

    /**
     * One loop of an ablation ({@link #ablate}): its name, the settings whose method and replay it runs with (the
     * world, model and pre-training come from the base settings), and whether items are grounded
     * ({@link DataOptions#grounded()}; false for ablation only).
     */
    public record Variant(String name, Settings settings, boolean grounded) {}

    public static EvolveResult run(PrintStream out, Path workDir) {
        return run(out, workDir, Settings.defaults());
    }

    /** Runs the demo on a cpu provider of its own, decompositions on cpu. */
    public static EvolveResult run(PrintStream out, Path workDir, Settings s) {
        try (Ops cpu = new CpuOps()) {
            return run(out, workDir, s, cpu, Backends.cpu());
        }
    }

    /**
     * Runs the demo with its model on {@code ops} (pre-training, the loop's training, examining and the guard compute
     * there; the caller closes it afterwards) and the osft decompositions on {@code backend}.
     */
    public static EvolveResult run(PrintStream out, Path workDir, Settings s, Ops ops, Backend backend) {
        // the demo's matrices are tiny: one BLAS thread beats OpenBLAS's thread start-up on every call
        return BlasThreads.singleThreaded(() -> runTiny(out, workDir, s, ops, backend));
    }

    private static EvolveResult runTiny(PrintStream out, Path workDir, Settings s, Ops ops, Backend backend) {
        long t0 = System.nanoTime();
        KnowledgeWorld world = KnowledgeWorld.generate(s.seed(), s.loopPeople(), s.knownPeople(), s.bystanders());
        Tokenizer tok = s.wordTokens() ? WordTokenizer.fromTexts(world.texts()) : new ByteTokenizer();
        LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), s.hidden(), s.hidden() * 3, s.layers(), s.heads(), s.heads())
                .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(512).withTiedEmbeddings(true);
        // cloze template: the prompt is the question itself, so the answer is the fact's continuation (LAMA style)
        PromptTemplate template = new PromptTemplate(PromptTemplate.DEFAULT_MULTIPLE_CHOICE, "{question}");
        try (LlamaModel model = LlamaModel.create(cfg, s.seed(), ops)) {
            out.printf(Locale.ROOT, "CEM demo: tiny LLaMA (%d layers, hidden %d, %,d parameters), %s; world of %d loop, %d known, %d bystander people%n",
                    s.layers(), s.hidden(), cfg.parameterCount(),
                    s.wordTokens() ? "word tokenizer (" + (tok.vocabSize() - ByteTokenizer.VOCAB_SIZE) + " words + bytes)" : "byte tokenizer",
                    s.loopPeople(), s.knownPeople(), s.bystanders());
            pretrain(model, tok, world, template, s, out);
            Examiner ev = new Examiner(model, tok, template, new AnswerParser(), 12);
            EvalReport ood = ev.evaluate(world.ood());
            out.printf(Locale.ROOT, "pre-trained in %.1fs: ood accuracy %.3f (known people)%n", (System.nanoTime() - t0) / 1e9, ood.accuracy());

            List<Path> corpus = world.writeCorpus(workDir.resolve("corpus"));
            List<TextPair> general = new ArrayList<>(world.general());
            // replay of pre-training data: the known people's passages (never their questions, which ood asks)
            if (s.replayPretrain()) for (String p : world.pretrainPassages()) general.add(new TextPair("", p));
            EvolveInputs in = new EvolveInputs(world.probe(), world.heldout(), world.ood(), corpus, world.trainQuestions(),
                    general, workDir.resolve("index"));
            List<float[]> pretrained = new ArrayList<>();
            for (var p : model.parameters()) pretrained.add(p.toArray());
            EvolveResult r = loop(model, tok, in, template, s, s.method(), workDir.resolve("run"), out, backend, true);
            summary(out, s.method(), r, t0, workDir.resolve("run"));
            if (s.compareSeqft() && s.method() != Method.SEQFT) {
                out.println("the same loop from the same pre-trained weights with seqft (no constraint):");
                int i = 0;
                for (var p : model.parameters()) p.copyFrom(pretrained.get(i++));
                EvolveResult q = loop(model, tok, in, template, s, Method.SEQFT, workDir.resolve("run-seqft"), out, backend, true);
                summary(out, Method.SEQFT, q, t0, workDir.resolve("run-seqft"));
                table(out, s.method(), r, q);
            }
            return r;
        }
    }

    /**
     * Pre-trains once with {@code base}, then runs every variant's loop from the same pre-trained weights (RUN_DIR
     * {@code workDir/run-NAME}); the results in the variants' order.
     */
    public static List<EvolveResult> ablate(PrintStream out, Path workDir, Settings base, List<Variant> variants) {
        return BlasThreads.singleThreaded(() -> {
            KnowledgeWorld world = KnowledgeWorld.generate(base.seed(), base.loopPeople(), base.knownPeople(), base.bystanders());
            Tokenizer tok = base.wordTokens() ? WordTokenizer.fromTexts(world.texts()) : new ByteTokenizer();
            LlamaConfig cfg = LlamaConfig.of(tok.vocabSize(), base.hidden(), base.hidden() * 3, base.layers(), base.heads(), base.heads())
                    .withSpecialTokens(tok.bosId(), new int[] {tok.eosId()}, tok.padId()).withMaxPositions(512).withTiedEmbeddings(true);
            PromptTemplate template = new PromptTemplate(PromptTemplate.DEFAULT_MULTIPLE_CHOICE, "{question}");
            try (LlamaModel model = LlamaModel.create(cfg, base.seed())) {
                pretrain(model, tok, world, template, base, out);
                List<TextPair> general = new ArrayList<>(world.general());
                if (base.replayPretrain()) for (String p : world.pretrainPassages()) general.add(new TextPair("", p));
                EvolveInputs in = new EvolveInputs(world.probe(), world.heldout(), world.ood(),
                        world.writeCorpus(workDir.resolve("corpus")), world.trainQuestions(), general, workDir.resolve("index"));
                List<float[]> pretrained = new ArrayList<>();
                for (var p : model.parameters()) pretrained.add(p.toArray());
                List<EvolveResult> results = new ArrayList<>();
                for (Variant v : variants) {
                    int i = 0;
                    for (var p : model.parameters()) p.copyFrom(pretrained.get(i++));
                    out.println("variant " + v.name());
                    results.add(loop(model, tok, in, template, v.settings(), v.settings().method(), workDir.resolve("run-" + v.name()), out, Backends.cpu(), v.grounded()));
                }
                return results;
            }
        });
    }

    private static EvolveResult loop(LlamaModel model, Tokenizer tok, EvolveInputs in, PromptTemplate template, Settings s,
                                     Method method, Path runDir, PrintStream out, Backend backend, boolean grounded) {
        TrainConfig tc = TrainConfig.defaults().withLr(s.roundLr()).withEpochs(s.roundEpochs()).withBatchSize(s.batchSize())
                .withWarmup(0.05f).withWeightDecay(0f).withSeed(s.seed());
        ContinualRoundTrainer trainer = new ContinualRoundTrainer(method, tc, RankPolicy.ratio(s.rankRatio()),
                s.projection(), backend, s.rounds(), 64).accumulate(s.accumulate()).nonTargets(s.nonTargets());
        // top-1 passage for each of a mistake's first two points (the gold answer and the person's name); no
        // extractive items: their prompts repeat whole passages, which costs more CPU time than they teach here
        EvolveOptions eo = new EvolveOptions(s.rounds(), 1, 64, 2, EvolveOptions.NO_MIN_GAIN, 320,
                new MiningOptions(0, 1f, 1f, 0, 0.05, s.seed()),
                new DataOptions(1, false, true, 2, s.generalPerPassage(), s.replayShare(), s.seed(), grounded));
        return Evolve.run(model, tok, in, template, 12, eo, trainer, runDir, out);
    }

    private static void summary(PrintStream out, Method method, EvolveResult r, long t0, Path runDir) {
        RoundMetrics a = r.first();
        RoundMetrics b = r.last();
        out.printf(Locale.ROOT, "%s: probe %.3f -> %.3f, held-out %.3f -> %.3f, ood %.3f -> %.3f (%.1fs so far); run in %s%n",
                method.label(), a.probe().accuracy(), b.probe().accuracy(), a.heldout().accuracy(), b.heldout().accuracy(),
                a.ood().accuracy(), b.ood().accuracy(), (System.nanoTime() - t0) / 1e9, runDir);
    }

    /** Both loops round by round; fixed, broken and forgetting are the probe set's, ood-broken the ood set's. */
    private static void table(PrintStream out, Method method, EvolveResult a, EvolveResult b) {
        out.println("method round  probe  held-out  ood    fixed broken forgetting ood-broken");
        for (EvolveResult r : List.of(a, b)) {
            for (RoundMetrics m : r.rounds()) {
                out.printf(Locale.ROOT, "%-6s %5d  %.3f  %.3f     %.3f  %5d %6d %10.3f %10d%n", r == a ? method.label() : Method.SEQFT.label(),
                        m.round(), m.probe().accuracy(), m.heldout().accuracy(), m.ood().accuracy(), m.probe().fixed(),
                        m.probe().broken(), m.probe().forgettingRate(), m.ood().broken());
            }
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
        for (TrainingItem t : items) ex.add(ExampleEncoder.encode(tok, t.prompt(), t.completion(), 320));
        TrainConfig tc = TrainConfig.defaults().withLr(s.pretrainLr()).withEpochs(s.pretrainEpochs()).withBatchSize(s.batchSize())
                .withWarmup(0.05f).withSchedule(LrSchedule.Kind.COSINE).withWeightDecay(0f).withSeed(s.seed());
        int total = tc.totalSteps(ex.size());
        long t0 = System.nanoTime();
        new Trainer(model, tc).train(ex, UpdateConstraint.NONE, (step, steps, loss, lr, norm) -> {
            if (step % Math.max(1, total / 20) == 0 || step == total) out.printf(Locale.ROOT, "  pre-train step %d/%d loss %.3f (%.0fs)%n", step, steps, loss, (System.nanoTime() - t0) / 1e9);
        });
    }
}
