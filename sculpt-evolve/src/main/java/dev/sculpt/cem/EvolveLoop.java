package dev.sculpt.cem;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sculpt.continual.ChartFile;
import dev.sculpt.SculptException;
import dev.sculpt.eval.ExampleEncoder;
import dev.sculpt.io.AtomicFiles;
import dev.sculpt.io.JsonLines;
import dev.sculpt.model.Example;
import dev.sculpt.model.LanguageModel;
import dev.sculpt.retention.Retention;
import dev.sculpt.retention.RetentionRecord;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sculpt.text.Tokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CEM loop: evaluate -> mine mistakes -> knowledge points -> retrieve -> build data -> train -> re-evaluate,
 * round after round, from the previous round's weights. Mistakes are mined on the probe set only; the held-out
 * set (other facts of the same passages) measures generalisation and the ood set measures forgetting.
 *
 * <p>RUN_DIR receives, each written atomically: {@code round-NN/} with mistakes, points, passages, the training
 * data (cpt, cit, replay) and every set's answers as JSONL; {@code metrics.json} (rewritten after every round)
 * and {@code metrics.png}.
 */
public final class EvolveLoop {
    private static final Logger LOG = LoggerFactory.getLogger(EvolveLoop.class);

    private final LanguageModel model;
    private final Tokenizer tokenizer;
    private final Examiner evaluator;
    private final Retriever retriever;
    private final DataBuilder builder;
    private final RoundTrainer trainer;
    private final EvolveOptions options;
    private EvolveCheckpoints checkpoints;
    private Retention retention;
    private RetentionRecord retained;

    public EvolveLoop(LanguageModel model, Tokenizer tokenizer, Examiner evaluator, Retriever retriever,
                      DataBuilder builder, RoundTrainer trainer, EvolveOptions options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.evaluator = evaluator;
        this.retriever = retriever;
        this.builder = builder;
        this.trainer = trainer;
        this.options = options;
    }

    /**
     * Checkpoint after every completed round (and resume from the last one), see {@link EvolveCheckpoints};
     * null (the default) keeps no checkpoints.
     */
    public EvolveLoop checkpoints(EvolveCheckpoints c) {
        this.checkpoints = c;
        return this;
    }

    /**
     * Measures perplexity on {@code r}'s text before the first round and after every round (metrics.json's
     * "retention"); null (the default) measures nothing.
     */
    public EvolveLoop retention(Retention r) {
        this.retention = r;
        return this;
    }

    /** Runs the loop; {@code heldout} and {@code ood} may be null. Progress lines go to {@code out}. */
    public EvolveResult run(QuestionSet probe, QuestionSet heldout, QuestionSet ood, Path runDir, PrintStream out) {
        MistakeMiner miner = new MistakeMiner(options.mining());
        KnowledgePoints pointer = new KnowledgePoints(options.maxPointsPerMistake(), options.data().grounded());
        ReplayBuffer replay = new ReplayBuffer();
        List<RoundMetrics> rounds = new ArrayList<>();
        String stop = "round limit (" + options.rounds() + ")";

        long t0 = System.nanoTime();
        if (retention != null) out.println(retention.describe());
        EvolveCheckpoints.State resumed = checkpoints == null ? null : checkpoints.begin(out::println);
        Map<String, EvalReport> now;
        int first = 1;
        if (resumed != null) {
            int done = resumed.completedRounds();
            String was = resumed.stopReason();
            if (was != null && !(was.startsWith("round limit") && done < options.rounds())) {
                rounds.addAll(checkpoints.readMetrics(done));
                checkpoints.restore(resumed, model, trainer, List.of());   // the caller may save the final model
                out.println("--resume: the run in " + runDir + " is complete after round " + done + " (" + was + ")");
                return new EvolveResult(rounds, was);
            }
            now = resume(resumed, replay, rounds, probe, heldout, ood, out);
            retained = resumedRetention(runDir, done);
            first = done + 1;
        } else {
            now = evaluateAll(probe, heldout, ood);
            if (retention != null) {
                retained = new RetentionRecord(retention.name(), retention.perplexity(model));
                out.printf(Locale.ROOT, "retention perplexity before round 1: %.3f%n", retained.baseline);
            }
            writeAnswers(runDir.resolve(roundDir(0)), now);
            rounds.add(metrics(0, now, null, 0, 0, 0, 0, null, null, seconds(t0)));
            print(out, rounds.get(0));
            writeMetrics(runDir, rounds, null);
        }

        for (int round = first; round <= options.rounds(); round++) {
            long start = System.nanoTime();
            Path dir = runDir.resolve(roundDir(round));
            List<Mistake> mistakes = miner.mine(now.get("probe"), evaluator);
            if (mistakes.isEmpty()) {
                stop = "no mistakes left";
                break;
            }
            List<KnowledgePoint> points = pointer.extractAll(mistakes);
            MistakeRetrieval found = options.data().grounded()
                    ? PassageRetrieval.forMistakes(retriever, mistakes, pointer, options.topK(), options.maxPassages())
                    : PassageRetrieval.perPoint(retriever, mistakes, pointer, options.topK(), options.maxPassages());
            List<RetrievedPassage> passages = found.passages();
            out.printf(Locale.ROOT, "round %d: retrieval hits %.3f (%d of %d mistakes have a passage with the entity and the gold answer)%n",
                    round, found.hitShare(), found.hits(), found.mistakes());
            writeMistakes(dir, mistakes, points, passages);
            if (passages.isEmpty()) {
                stop = "nothing retrieved for the mistakes' knowledge points";
                break;
            }
            RoundData data = builder.build(round, passages, replay);
            data.write(dir);
            List<Example> examples = new ArrayList<>();
            for (TrainingItem item : data.all()) examples.add(ExampleEncoder.encode(tokenizer, item.prompt(), item.completion(), options.maxTokens()));
            RoundTrainer.TrainSummary ts = trainer.train(model, examples, round);
            replay.add(data.fresh());

            Map<String, EvalReport> next = evaluateAll(probe, heldout, ood);
            if (retention != null) {
                retained.perplexity.add(retention.perplexity(model));
                out.printf(Locale.ROOT, "retention perplexity after round %d: %.3f%n", round, retained.last());
            }
            writeAnswers(dir, next);
            int uncertain = (int) mistakes.stream().filter(Mistake::uncertainOnly).count();
            RoundMetrics m = new RoundMetrics(round, SetMetrics.of(next.get("probe"), now.get("probe")),
                    set(next, now, "heldout"), set(next, now, "ood"), mistakes.size(), uncertain, points.size(),
                    passages.size(), data.cpt().size(), data.cit().size(), data.replay().size(), ts.steps(),
                    finite(ts.firstLoss()), finite(ts.lastLoss()), seconds(start), found.hitShare());
            rounds.add(m);
            print(out, m);
            writeMetrics(runDir, rounds, null);
            if (checkpoints != null) checkpoints.save(round, model, trainer);
            double gain = m.probe().accuracy() - rounds.get(rounds.size() - 2).probe().accuracy();
            now = next;
            if (gain < options.minGain()) {
                stop = String.format(Locale.ROOT, "probe gain %.4f below --min-gain %.4f", gain, options.minGain());
                break;
            }
        }
        writeMetrics(runDir, rounds, stop);
        ChartFile.write(runDir.resolve("metrics.png"), () -> MetricsPlot.write(runDir.resolve("metrics.png"), rounds, retained));
        if (checkpoints != null) checkpoints.finish(stop);
        out.println("stopped: " + stop);
        if (retained != null) out.println("retention perplexity (" + retained.file + "): " + retained.summary());
        return new EvolveResult(rounds, stop);
    }

    /**
     * Restores a killed run after its last completed round: weights and trainer state from the checkpoint, the
     * replay buffer and the trainer's seen examples from the rounds' data files, the metrics so far from
     * metrics.json; returns a fresh evaluation of the restored model (deterministic, so equal to the killed run's).
     */
    private Map<String, EvalReport> resume(EvolveCheckpoints.State state, ReplayBuffer replay, List<RoundMetrics> rounds,
                                           QuestionSet probe, QuestionSet heldout, QuestionSet ood, PrintStream out) {
        int done = state.completedRounds();
        List<Example> seen = new ArrayList<>();
        for (int r = 1; r <= done; r++) {
            List<TrainingItem> fresh = new ArrayList<>(checkpoints.roundItems(r, "cpt"));
            fresh.addAll(checkpoints.roundItems(r, "cit"));
            List<TrainingItem> all = new ArrayList<>(fresh);
            all.addAll(checkpoints.roundItems(r, "replay"));
            for (TrainingItem item : all) seen.add(ExampleEncoder.encode(tokenizer, item.prompt(), item.completion(), options.maxTokens()));
            replay.add(fresh);
        }
        checkpoints.restore(state, model, trainer, seen);
        rounds.addAll(checkpoints.readMetrics(done));
        Map<String, EvalReport> now = evaluateAll(probe, heldout, ood);
        double recorded = rounds.get(done).probe().accuracy();
        if (Math.abs(now.get("probe").accuracy() - recorded) > 1e-9) {
            out.printf(Locale.ROOT, "--resume: warning: the restored model scores %.4f on the probe set, the killed run recorded %.4f%n",
                    now.get("probe").accuracy(), recorded);
        }
        out.println("--resume: continuing after round " + done + " from " + state.checkpoint());
        return now;
    }

    /** The killed run's retention measurements up to round {@code done}; the run must have measured on the same file. */
    private RetentionRecord resumedRetention(Path runDir, int done) {
        Path file = runDir.resolve("metrics.json");
        RetentionRecord was;
        try {
            JsonNode node = JsonLines.MAPPER.readTree(file.toFile()).get("retention");
            was = node == null || node.isNull() ? null : JsonLines.MAPPER.treeToValue(node, RetentionRecord.class);
        } catch (java.io.IOException e) {
            throw new SculptException("--resume: cannot read " + file + ": " + e.getMessage(), e);
        }
        if (retention == null && was == null) return null;
        if (retention == null) throw new SculptException("--resume: the run measured retention on " + was.file + "; pass --retain with that file again");
        if (was == null) throw new SculptException("--resume: the run did not measure retention from its start; --retain cannot be added now");
        if (!was.file.equals(retention.name())) throw new SculptException("--resume: the run measured retention on " + was.file + ", not " + retention.name());
        if (was.perplexity.size() < done) throw new SculptException("--resume: " + file + " holds retention for " + was.perplexity.size() + " rounds, the state says " + done);
        was.perplexity = new ArrayList<>(was.perplexity.subList(0, done));
        return was;
    }

    private Map<String, EvalReport> evaluateAll(QuestionSet probe, QuestionSet heldout, QuestionSet ood) {
        Map<String, EvalReport> m = new LinkedHashMap<>();
        m.put("probe", evaluator.evaluate(probe));
        if (heldout != null) m.put("heldout", evaluator.evaluate(heldout));
        if (ood != null) m.put("ood", evaluator.evaluate(ood));
        return m;
    }

    private static SetMetrics set(Map<String, EvalReport> now, Map<String, EvalReport> before, String name) {
        return now.containsKey(name) ? SetMetrics.of(now.get(name), before.get(name)) : null;
    }

    private static RoundMetrics metrics(int round, Map<String, EvalReport> now, Map<String, EvalReport> before,
                                        int mistakes, int uncertain, int points, int passages, Double l0, Double l1, double secs) {
        Map<String, EvalReport> b = before == null ? Map.of() : before;
        return new RoundMetrics(round, SetMetrics.of(now.get("probe"), b.get("probe")), set(now, b, "heldout"),
                set(now, b, "ood"), mistakes, uncertain, points, passages, 0, 0, 0, 0, l0, l1, secs, null);
    }

    private static Double finite(double v) { return Double.isFinite(v) ? v : null; }

    private static double seconds(long start) { return (System.nanoTime() - start) / 1e9; }

    static String roundDir(int round) { return String.format(Locale.ROOT, "round-%02d", round); }

    private static void print(PrintStream out, RoundMetrics m) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "round %d: probe %.3f", m.round(), m.probe().accuracy()));
        if (m.heldout() != null) sb.append(String.format(Locale.ROOT, "  held-out %.3f", m.heldout().accuracy()));
        if (m.ood() != null) sb.append(String.format(Locale.ROOT, "  ood %.3f", m.ood().accuracy()));
        if (m.round() > 0) {
            sb.append(String.format(Locale.ROOT, "  | fixed %d broken %d forgetting %.3f | mistakes %d points %d passages %d retrieval hits %s items %d+%d+%d loss %s",
                    m.probe().fixed(), m.probe().broken(), m.probe().forgettingRate(), m.mistakes(), m.points(), m.passages(),
                    m.retrievalHits() == null ? "-" : String.format(Locale.ROOT, "%.3f", m.retrievalHits()),
                    m.cptItems(), m.citItems(), m.replayItems(),
                    m.lastLoss() == null ? "-" : String.format(Locale.ROOT, "%.3f", m.lastLoss())));
        }
        sb.append(String.format(Locale.ROOT, "  unparseable %d  (%.1fs)", m.probe().unparseable(), m.seconds()));
        out.println(sb);
        LOG.info(sb.toString());
    }

    private void writeMetrics(Path runDir, List<RoundMetrics> rounds, String stop) {
        ObjectNode root = JsonLines.MAPPER.createObjectNode();
        ArrayNode arr = root.putArray("rounds");
        for (RoundMetrics r : rounds) arr.add(JsonLines.MAPPER.valueToTree(r));
        root.put("stopReason", stop);
        if (retained != null) root.set("retention", JsonLines.MAPPER.valueToTree(retained));
        root.set("options", JsonLines.MAPPER.valueToTree(options));
        try {
            AtomicFiles.writeString(runDir.resolve("metrics.json"),
                    JsonLines.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SculptException("cannot serialise metrics: " + e.getMessage(), e);
        }
    }

    private static void writeAnswers(Path dir, Map<String, EvalReport> reports) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (EvalReport r : reports.values()) {
            for (Answered a : r.answers()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("set", r.set());
                row.put("id", a.question().id());
                row.put("gold", a.question().goldText());
                row.put("generated", a.generated());
                row.put("parsedBy", a.parsed().how());
                row.put("correct", a.correct());
                rows.add(row);
            }
        }
        JsonLines.write(dir.resolve("answers.jsonl"), rows);
    }

    private static void writeMistakes(Path dir, List<Mistake> mistakes, List<KnowledgePoint> points, List<RetrievedPassage> passages) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Mistake m : mistakes) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("id", m.question().id());
            row.put("question", m.question().question());
            row.put("gold", m.question().goldText());
            row.put("generated", m.answered().generated());
            row.put("reasons", m.reasons());
            row.put("agreement", finite(m.agreement()));
            row.put("margin", finite(m.margin()));
            rows.add(row);
        }
        JsonLines.write(dir.resolve("mistakes.jsonl"), rows);
        JsonLines.write(dir.resolve("points.jsonl"), points);
        List<Map<String, Object>> ps = new ArrayList<>();
        for (RetrievedPassage rp : passages) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("key", rp.passage().key());
            row.put("source", rp.passage().source());
            row.put("title", rp.passage().title());
            row.put("score", rp.bestScore());
            row.put("points", rp.points().stream().map(KnowledgePoint::text).toList());
            ps.add(row);
        }
        JsonLines.write(dir.resolve("passages.jsonl"), ps);
    }
}
