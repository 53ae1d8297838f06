package dev.sculpt.cli;

import dev.sculpt.SculptException;
import dev.sculpt.ops.RunDevice;
import dev.sculpt.cem.ContinualRoundTrainer;
import dev.sculpt.cem.DataOptions;
import dev.sculpt.cem.Evolve;
import dev.sculpt.cem.EvolveCheckpoints;
import dev.sculpt.cem.EvolveInputs;
import dev.sculpt.cem.EvolveOptions;
import dev.sculpt.cem.EvolveResult;
import dev.sculpt.cem.LuceneRetriever;
import dev.sculpt.cem.MiningOptions;
import dev.sculpt.cem.PromptTemplate;
import dev.sculpt.continual.Method;
import dev.sculpt.continual.NonTargets;
import dev.sculpt.linalg.ProjectionMode;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.model.Models;
import dev.sculpt.linalg.SvdOptions;
import dev.sculpt.osft.RankPolicy;
import dev.sculpt.plan.ByteSize;
import dev.sculpt.plan.MemoryPlan;
import dev.sculpt.plan.PlanOptions;
import dev.sculpt.plan.Precision;
import dev.sculpt.plan.RunMemory;
import dev.sculpt.retention.Retention;
import dev.sculpt.text.Tokenizer;
import dev.sculpt.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sculpt evolve}: the CEM loop (evaluate, mine mistakes, knowledge points, BM25 retrieval, CPT + CIT data,
 * subspace-constrained training, re-evaluate) over a model directory. All inputs are read and checked before the
 * model is loaded; RUN_DIR receives per-round data, metrics.json, metrics.png and (with --save) the final model.
 */
@Command(name = "evolve", mixinStandardHelpOptions = true,
        description = "Continue evolving from mistakes (CEM): learn what the model gets wrong from a retrieval corpus.")
final class EvolveCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(EvolveCommand.class);

    @Option(names = "--model", required = true, description = "model directory (config.json, safetensors, tokenizer.json)") Path model;
    @Option(names = "--questions", required = true, description = "probe questions JSONL (mistakes are mined here)") Path questions;
    @Option(names = "--heldout", description = "held-out questions JSONL, evaluated but never mined (default: none)") Path heldout;
    @Option(names = "--ood", description = "out-of-domain questions JSONL, the forgetting check (default: none)") Path ood;
    @Option(names = "--corpus", required = true, split = ",", description = "corpus JSONL files {id,title,text}, comma-separated; each file's name is its source") List<Path> corpus;
    @Option(names = "--train-questions", description = "training split for normative items, never the evaluation sets (default: none, no normative items)") Path trainQuestions;
    @Option(names = "--general", description = "general data JSONL ({prompt,completion}, {instruction,input,output} or {text}) (default: none, no general items)") Path general;
    @Option(names = "--rounds", required = true, description = "round limit") int rounds;
    @Option(names = "--method", defaultValue = "osft", description = "osft (the published method: training under the subspace constraint) or seqft (default: ${DEFAULT-VALUE})") String method;
    @Option(names = "--out", required = true, description = "run directory") Path out;
    @Option(names = "--index", description = "BM25 index directory (default RUN_DIR/index; reused while the corpus is unchanged)") Path index;

    @Option(names = "--top-k", defaultValue = "3", description = "passages per knowledge point (default: ${DEFAULT-VALUE})") int topK;
    @Option(names = "--max-passages", defaultValue = "256", description = "passages per round (default: ${DEFAULT-VALUE})") int maxPassages;
    @Option(names = "--max-points", defaultValue = "6", description = "knowledge points per mistake (default: ${DEFAULT-VALUE})") int maxPoints;
    @Option(names = "--min-gain", defaultValue = "-1", description = "stop when a round gains less probe accuracy than this; negative = never stop early (default: ${DEFAULT-VALUE})") double minGain;
    @Option(names = "--samples", defaultValue = "4", description = "sampled answers per correct question for agreement; 0 = off (default: ${DEFAULT-VALUE})") int samples;
    @Option(names = "--sample-temperature", defaultValue = "0.7", description = "temperature of the agreement samples (default: ${DEFAULT-VALUE})") float sampleTemperature;
    @Option(names = "--sample-top-p", defaultValue = "0.95", description = "top-p (nucleus mass) of the agreement samples (default: ${DEFAULT-VALUE})") float sampleTopP;
    @Option(names = "--tau", defaultValue = "0.75", description = "agreement below this is uncertain (default: ${DEFAULT-VALUE})") double tau;
    @Option(names = "--delta", defaultValue = "0.1", description = "first-token probability margin below this is uncertain; 0 = off (default: ${DEFAULT-VALUE})") double delta;
    @Option(names = "--normative-per-passage", defaultValue = "2",
            description = "normative items (training questions paired with a passage) per retrieved passage (default: ${DEFAULT-VALUE})") int normativePerPassage;
    @Option(names = "--points-per-passage", defaultValue = "3",
            description = "most knowledge points per passage that get an extractive and a review item (default: ${DEFAULT-VALUE})") int pointsPerPassage;
    @Option(names = "--general-per-passage", defaultValue = "2",
            description = "general items per retrieved passage (default: ${DEFAULT-VALUE})") int generalPerPassage;
    @Option(names = "--no-extractive", description = "leave out extractive items") boolean noExtractive;
    @Option(names = "--no-review", description = "leave out review items") boolean noReview;
    @Option(names = "--ungrounded", description = "for ablation only: build items and retrieve as before grounding (issue 17):"
            + " extractive and review items for retrieved points whether or not the passage mentions them, the gold answer"
            + " a point without the question's entity, top-k passages per point; on/off switch (default: off, grounded)")
    boolean ungrounded;
    @Option(names = "--replay-share", defaultValue = "2.0", description = "replayed items from earlier rounds per new item (default: ${DEFAULT-VALUE})") double replayShare;
    @Option(names = "--lr", defaultValue = "1e-5", description = "peak learning rate (default: ${DEFAULT-VALUE})") float lr;
    @Option(names = "--epochs", defaultValue = "5", description = "epochs per round (default: ${DEFAULT-VALUE})") int epochs;
    @Option(names = "--batch-size", defaultValue = "8",
            description = "examples per micro-batch (default: ${DEFAULT-VALUE})") int batchSize;
    @Option(names = "--grad-accum", defaultValue = "1",
            description = "micro-batches per optimizer step (default: ${DEFAULT-VALUE})") int gradAccum;
    @Option(names = "--rank-policy", defaultValue = "importance", description = "importance, schedule or a ratio in [0, 1] (default: ${DEFAULT-VALUE})") String rankPolicy;
    @Option(names = "--projection", defaultValue = "two-sided",
            description = "osft: which part of each update is removed: two-sided, left, right or high-block (the published formula) (default: ${DEFAULT-VALUE})")
    String projection;
    @Option(names = "--accumulate", description = "osft: unite each round's protected bases with the earlier rounds'") boolean accumulate;
    @Option(names = "--non-targets", defaultValue = "train",
            description = "osft: embeddings, lm_head and norms while a subspace is protected: train, freeze or constrain (default: ${DEFAULT-VALUE})")
    String nonTargets;
    @Option(names = "--mrr", defaultValue = "0.1",
            description = "importance policy: the smallest preserved-rank ratio, in [0, 1] (default: ${DEFAULT-VALUE})") double mrr;
    @Option(names = "--trr", defaultValue = "0.8",
            description = "importance policy: the largest preserved-rank ratio, in [0, 1] (default: ${DEFAULT-VALUE})") double trr;
    @Option(names = "--max-new-tokens", defaultValue = "32", description = "answer length limit (default: ${DEFAULT-VALUE})") int maxNewTokens;
    @Option(names = "--max-tokens", defaultValue = "512", description = "training example length limit (default: ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--template-mc", description = "multiple-choice prompt template with {question} and {options} (default: the built-in template)") String templateMc;
    @Option(names = "--template-short", description = "short-answer prompt template with {question} (default: the built-in template)") String templateShort;
    @Option(names = "--seed", defaultValue = "42",
            description = "seed of sampling, data order and item choice (default: ${DEFAULT-VALUE})") long seed;
    @Option(names = "--save", description = "write the final model to RUN_DIR/model") boolean save;
    @Option(names = "--retain", paramLabel = "FILE",
            description = "plain-text file, one document per line: perplexity on it before round 1 and after every round "
                    + "(metrics.json \"retention\"); lines longer than the model's context are cut to it (default: none)") Path retain;
    @Option(names = "--resume", description = "continue the run in RUN_DIR after its last completed round"
            + " (every round leaves a checkpoint in RUN_DIR/checkpoints and RUN_DIR/evolve-state.json), and inside the next"
            + " round from RUN_DIR/training-state when --save-every left one (default: off, a new run)") boolean resume;
    @Option(names = "--device", defaultValue = "auto", description = "the ops provider the whole run computes on, with the matching SVD backend: cpu; cuda (a GPU, its driver and the CUDA libraries; fails at once without them); cuda-emulated (the CUDA kernels built for the host, for tests; SVD on cpu); auto (cuda where usable, else cpu) (default: ${DEFAULT-VALUE})") String device;
    @Option(names = "--device-memory", paramLabel = "SIZE",
            description = "device memory the run is planned against before it starts (it is refused, with the plan, when it does not fit;"
                    + " micro-batches are planned as --batch-size x --max-tokens tokens, evaluation as the KV-cached generation of"
                    + " --max-new-tokens after the longest question prompt) and its device arena is capped to, less the plan's"
                    + " 1 GiB runtime reserve: 141G = 141 x 10^9 bytes, 80GiB = 80 x 2^30 bytes, or plain bytes; not used on cpu"
                    + " (default: the GPU's total memory from cudaMemGetInfo on cuda, unlimited on cuda-emulated)") String deviceMemory;
    @Option(names = "--save-every", paramLabel = "STEPS",
            description = "write a training-state checkpoint (RUN_DIR/training-state: weights, AdamW moments, step, data order, OSFT bases)"
                    + " every STEPS optimizer steps inside a round, so that --resume continues inside it with the same final weights;"
                    + " an integer >= 1 (default: none, checkpoints only after each round)") Integer saveEvery;
    @Mixin TrainingPrecisionOptions numerics;

    private Tokenizer tokenizer;

    @Override
    public Integer call() {
        if (saveEvery != null && saveEvery < 1) throw new SculptException("--save-every must be >= 1 optimizer steps, got " + saveEvery);
        numerics.validate();
        OptionalLong memory = deviceMemory == null ? OptionalLong.empty() : OptionalLong.of(ByteSize.parse("--device-memory", deviceMemory));
        try (RunDevice run = RunDevice.open("--device", device)) {
            return call(run, memory);
        }
    }

    private Integer call(RunDevice run, OptionalLong memory) {
        if (!resume && dev.sculpt.continual.TrainingStateCheckpoint.exists(out)) {
            throw new SculptException("--out " + out + " already holds a run (" + dev.sculpt.continual.TrainingStateCheckpoint.DIR
                    + "); pass --resume to continue it or choose another directory");
        }
        Method m = Method.parse(method);
        if (m == Method.LORA) throw new SculptException("--method: evolve supports osft and seqft, got lora");
        PromptTemplate template = new PromptTemplate(templateMc == null ? PromptTemplate.DEFAULT_MULTIPLE_CHOICE : unescape(templateMc),
                templateShort == null ? PromptTemplate.DEFAULT_SHORT_ANSWER : unescape(templateShort));
        EvolveOptions options = new EvolveOptions(rounds, topK, maxPassages, maxPoints, minGain, maxTokens,
                new MiningOptions(samples, sampleTemperature, sampleTopP, tau, delta, seed),
                new DataOptions(normativePerPassage, !noExtractive, !noReview, pointsPerPassage, generalPerPassage, replayShare, seed, !ungrounded));
        TrainConfig tc = TrainConfig.defaults().withLr(lr).withEpochs(epochs).withBatchSize(batchSize).withGradAccum(gradAccum).withSeed(seed);
        RankPolicy policy = RankPolicy.parse(rankPolicy, mrr, trr);
        NonTargets nonTargetsChoice = NonTargets.parse(nonTargets);
        ProjectionMode projectionMode;
        try {
            projectionMode = ProjectionMode.parse(projection);
        } catch (SculptException e) {
            throw new SculptException("--projection: " + e.getMessage());
        }
        if (maxNewTokens < 1) throw new SculptException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        if (!Files.isDirectory(model)) throw new SculptException("--model: " + model + " is not a directory");
        List<Path> inputs = new ArrayList<>(corpus);
        inputs.add(questions);
        for (Path p : inputs) {
            if (p != null && p.toAbsolutePath().normalize().startsWith(out.toAbsolutePath().normalize())) {
                throw new SculptException("--out " + out + " must not contain the input " + p);
            }
        }
        EvolveInputs in = EvolveInputs.load(questions, heldout, ood, corpus, trainQuestions, general, index);
        try {
            Optional<MemoryPlan> plan = Optional.empty();
            if (run.ops().memory().isPresent()) {
                // the tokenizer is read before the plan: the longest evaluation prompt is counted in its tokens
                PlanOptions planned = planOptions(m, ContinualRoundTrainer.largestRankRatio(policy, rounds, accumulate), tokenizer(), template, in)
                        .withPrecision(numerics.precision(), numerics.basisPrecision());
                plan = RunMemory.check(model, run.ops(), planned, memory);   // before the index or anything else is written
                plan.ifPresent(p -> System.out.println(RunMemory.summary(p)));
            }
            run(run, m, in, template, options, tc, policy, nonTargetsChoice, projectionMode, plan);
        } finally {
            if (tokenizer instanceof AutoCloseable c) {
                try { c.close(); } catch (Exception ignored) { /* nothing held that matters */ }
            }
        }
        return 0;
    }

    /** The model directory's tokenizer, read once (for the plan, or else after the index). */
    private Tokenizer tokenizer() {
        if (tokenizer == null) {
            if (!Files.isRegularFile(model.resolve("tokenizer.json"))) throw new SculptException("--model: no tokenizer.json in " + model);
            tokenizer = Models.tokenizer(model);
        }
        return tokenizer;
    }

    /**
     * The settings this run is planned with ({@link RunMemory}), from the stated limits, since the training data is
     * built during the run. Training: micro-batches of --batch-size examples, each encoded with --max-tokens
     * ({@link dev.sculpt.eval.ExampleEncoder}: the target, completion and EOS, cut to --max-tokens - 1 tokens, the
     * prompt to what is left), so sequences of at most --max-tokens tokens with at most --max-tokens - 1 loss rows
     * each; for an encoder-decoder model (T5) encoder inputs (prompts) of at most --max-tokens - 1 tokens (--max-tokens
     * when the tokenizer has no EOS: the target may then be empty) and decoder inputs (as long as their targets) of at
     * most --max-tokens - 1. The layer-importance calibration runs passes of --batch-size such examples too.
     * Evaluation: every question of the probe, held-out and ood sets is answered by generation of at most
     * --max-new-tokens tokens from its prompt as the model sees it (the template, the tokenizer's special tokens;
     * prompts are not cut to --max-tokens), so the plan takes the longest of these prompts, counted here from the
     * loaded sets (an empty prompt counts as its one start token), and {@link dev.sculpt.plan.MemoryPlanner} widens
     * its bounds to it where it is longer.
     */
    PlanOptions planOptions(Method m, double rankRatio, Tokenizer tok, PromptTemplate template, EvolveInputs in) {
        int target = maxTokens - 1;
        int prompt = tok.eosId() >= 0 ? maxTokens - 1 : maxTokens;
        long longestEval = 1;
        String longestId = null;
        for (dev.sculpt.cem.QuestionSet set : in.evaluationSets()) {
            for (dev.sculpt.cem.Question q : set.questions()) {
                int n = tok.encodeInput(template.render(q)).length;
                if (n > longestEval) {
                    longestEval = n;
                    longestId = set.name() + " " + q.id();
                }
            }
        }
        if (longestEval > maxTokens) {
            LOG.info("the longest evaluation prompt ({}) has {} tokens, more than --max-tokens {}: the memory plan holds it",
                    longestId, longestEval, maxTokens);
        }
        return RunMemory.options(m == Method.OSFT, rankRatio, batchSize, maxTokens, target, numerics.recompute, SvdOptions.DEFAULT_OVERSAMPLE,
                prompt, target).withEvaluation(new PlanOptions.Evaluation(longestEval, maxNewTokens));
    }

    private void run(RunDevice run, Method m, EvolveInputs in, PromptTemplate template, EvolveOptions options, TrainConfig tc,
                     RankPolicy policy, NonTargets nonTargetsChoice, ProjectionMode projectionMode, Optional<MemoryPlan> plan) {
        try (LuceneRetriever retriever = Evolve.openIndex(in, out, System.out)) {
            Tokenizer tok = tokenizer();
            Retention retention = retain == null ? null : Retention.load(retain, tok, Retention.contextOf(model));
            LanguageModel lm = Models.load(model, run.ops());
            try (lm) {
                lm.recomputeActivations(numerics.recompute);
                lm.computeInBf16(numerics.precision() == Precision.BF16);   // evaluation too, from round 0
                ContinualRoundTrainer trainer = new ContinualRoundTrainer(m, tc, policy, projectionMode, run.backend(), rounds, 64)
                        .accumulate(accumulate).nonTargets(nonTargetsChoice)
                        .precision(numerics.precision(), numerics.basisPrecision())
                        .trainingState(out, new dev.sculpt.continual.HfModelStore(java.util.Map.of()), saveEvery == null ? 0 : saveEvery, resume);
                EvolveCheckpoints checkpoints = new EvolveCheckpoints(out, new dev.sculpt.continual.HfModelStore(java.util.Map.of()), resume);
                EvolveResult r = Evolve.run(lm, tok, in, retriever, template, maxNewTokens, options, trainer, checkpoints, retention, out, System.out);
                if (save) {
                    Models.save(lm, out.resolve("model"), model);
                    System.out.println("model written to " + out.resolve("model"));
                }
                System.out.printf(java.util.Locale.ROOT, "probe accuracy %.4f -> %.4f over %d rounds; metrics in %s%n",
                        r.first().probe().accuracy(), r.last().probe().accuracy(), r.rounds().size() - 1, out.resolve("metrics.json"));
                plan.ifPresent(p -> System.out.println(RunMemory.peak(p, run.ops())));
            }
        }
    }

    /** Lets templates be given on one shell line: "\n" becomes a newline. */
    private static String unescape(String s) {
        return s.replace("\\n", "\n");
    }
}
