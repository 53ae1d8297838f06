package dev.sculpt.cem;

import dev.sculpt.data.TextPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a round's training data in parallel pairs: for each retrieved passage, one CPT item (the passage) and
 * CIT items from the same passage, each of them true of that passage:
 * <ul>
 *   <li>normative: task-format QA from the training questions, rendered with the evaluation template. Questions
 *       whose entity and gold answer both occur in the passage ({@link PassageRetrieval#supports}) are built from
 *       it and carry its key; when there are fewer than {@code normativePerPassage} of them, seeded random picks
 *       fill up, carrying no passage key (they teach the format, not the passage). Training questions whose
 *       normalised text equals an evaluation question are dropped when the builder is made, so evaluation
 *       questions never become training data;</li>
 *   <li>extractive: "Passage: ... What does the passage say about POINT? Sentence:" -> the passage sentence that
 *       contains POINT;</li>
 *   <li>review: "What do you know about POINT? Fact:" -> the same sentence, without the passage;</li>
 *   <li>general: general instruction items, dealt from a seeded shuffle of the pool (every item once before
 *       any twice).</li>
 * </ul>
 * Extractive and review items are made only for the knowledge points that occur in the passage
 * ({@link KnowledgePoint#occursIn}, on normalised tokens), answer points first, at most {@code pointsPerPassage};
 * a point retrieved with a passage that does not mention it ("Finn Tanaka" with Finn Okafor's passage) makes no
 * item there. The sentence that contains a point is the first sentence containing all its parts, else the first
 * containing its last part (an answer point's gold answer).
 *
 * <p>With {@link DataOptions#grounded()} false (ablation only, {@code sculpt evolve --ungrounded}) items are built
 * as before issue 17: a passage's first {@code pointsPerPassage} retrieved points get extractive and review items
 * whether or not the passage mentions them, answered with the sentence that contains the point (substring) or
 * shares most words with it; normative questions whose gold answer or any capitalised span occurs in the passage
 * come first, and every normative item carries the passage key.
 */
public final class DataBuilder {
    private static final Logger LOG = LoggerFactory.getLogger(DataBuilder.class);
    /** Extractive and review items end in their own cue words, so that their sentence-long answers do not teach
     *  the model to answer task questions ("...Answer:") with whole sentences. */
    public static final String EXTRACTIVE_PROMPT = "Passage: {passage}\nWhat does the passage say about {point}?\nSentence:";
    public static final String REVIEW_PROMPT = "What do you know about {point}?\nFact:";

    private final List<Question> trainQuestions;
    private final List<TextPair> general;
    private final PromptTemplate template;
    private final DataOptions options;
    private final int droppedTrainQuestions;

    public DataBuilder(List<Question> trainQuestions, List<QuestionSet> evaluationSets, List<TextPair> general,
                       PromptTemplate template, DataOptions options) {
        Set<String> evalTexts = new HashSet<>();
        for (QuestionSet s : evaluationSets) for (Question q : s.questions()) evalTexts.add(TextNorm.normalize(q.question()));
        List<Question> kept = new ArrayList<>();
        for (Question q : trainQuestions) if (!evalTexts.contains(TextNorm.normalize(q.question()))) kept.add(q);
        this.droppedTrainQuestions = trainQuestions.size() - kept.size();
        if (droppedTrainQuestions > 0) {
            LOG.warn("dropped {} training questions that repeat an evaluation question", droppedTrainQuestions);
        }
        this.trainQuestions = List.copyOf(kept);
        this.general = List.copyOf(general);
        this.template = template;
        this.options = options;
    }

    /** Training questions left out because they repeat an evaluation question. */
    public int droppedTrainQuestions() { return droppedTrainQuestions; }

    public List<Question> trainQuestions() { return trainQuestions; }

    public RoundData build(int round, List<RetrievedPassage> passages, ReplayBuffer replay) {
        Random rnd = new Random(options.seed() * 1_000_003L + round);
        List<TrainingItem> cpt = new ArrayList<>();
        List<TrainingItem> cit = new ArrayList<>();
        // general items come from a shuffled deck, reshuffled when used up: every item once before any twice, so
        // a round's general share covers the whole pool instead of a random sample with repeats and gaps
        List<TextPair> deck = List.of();
        int deckNext = 0;
        for (RetrievedPassage rp : passages) {
            Passage p = rp.passage();
            cpt.add(new TrainingItem(TrainingItem.CPT, "", p.fullText(), p.key(), null, round));
            List<Question> grounded = new ArrayList<>();
            for (Question q : normativeFor(p, rnd, grounded)) {
                cit.add(new TrainingItem(TrainingItem.NORMATIVE, template.render(q), template.completion(q),
                        grounded.contains(q) || !options.grounded() ? p.key() : null, null, round));
            }
            List<KnowledgePoint> points = options.grounded() ? groundedPoints(rp, options.pointsPerPassage())
                    : rp.points().subList(0, Math.min(options.pointsPerPassage(), rp.points().size()));
            for (KnowledgePoint kp : points) {
                String sentence = " " + (options.grounded() ? sentenceAbout(p.text(), kp) : sentenceNear(p.text(), kp.text()));
                if (options.extractive()) {
                    String prompt = EXTRACTIVE_PROMPT.replace("{passage}", p.fullText()).replace("{point}", kp.text());
                    cit.add(new TrainingItem(TrainingItem.EXTRACTIVE, prompt, sentence, p.key(), kp.text(), round));
                }
                if (options.review()) {
                    cit.add(new TrainingItem(TrainingItem.REVIEW, REVIEW_PROMPT.replace("{point}", kp.text()), sentence,
                            p.key(), kp.text(), round));
                }
            }
            for (int i = 0; i < options.generalPerPassage() && !general.isEmpty(); i++) {
                if (deckNext == deck.size()) {
                    deck = new ArrayList<>(general);
                    Collections.shuffle(deck, rnd);
                    deckNext = 0;
                }
                TextPair g = deck.get(deckNext++);
                cit.add(new TrainingItem(TrainingItem.GENERAL, g.prompt(), g.completion(), null, null, round));
            }
        }
        int fresh = cpt.size() + cit.size();
        List<TrainingItem> replayed = replay == null ? List.of()
                : replay.sample((int) Math.round(options.replayShare() * fresh), rnd);
        return new RoundData(round, cpt, cit, replayed);
    }

    /** The passage's points that occur in it, answer points first, one per text, at most {@code max}. */
    static List<KnowledgePoint> groundedPoints(RetrievedPassage rp, int max) {
        String text = rp.passage().fullText();
        java.util.Map<String, KnowledgePoint> out = new java.util.LinkedHashMap<>();
        for (KnowledgePoint kp : rp.points()) if (kp.kind().equals("answer") && kp.occursIn(text)) out.putIfAbsent(kp.text(), kp);
        for (KnowledgePoint kp : rp.points()) if (!kp.kind().equals("answer") && kp.occursIn(text)) out.putIfAbsent(kp.text(), kp);
        List<KnowledgePoint> list = new ArrayList<>(out.values());
        return list.size() > max ? list.subList(0, max) : list;
    }

    /**
     * Up to normativePerPassage training questions: those the passage supports first (also added to
     * {@code grounded}), then seeded random picks.
     */
    private List<Question> normativeFor(Passage p, Random rnd, List<Question> grounded) {
        int n = Math.min(options.normativePerPassage(), trainQuestions.size());
        if (n == 0) return List.of();
        List<Question> relevant = new ArrayList<>();
        for (Question q : trainQuestions) if (options.grounded() ? PassageRetrieval.supports(p, q) : mentionsAny(p, q)) relevant.add(q);
        List<Question> out = new ArrayList<>();
        while (out.size() < n && !relevant.isEmpty()) out.add(relevant.remove(rnd.nextInt(relevant.size())));
        grounded.addAll(out);
        int guard = 0;
        while (out.size() < n && guard++ < 10 * n) {
            Question q = trainQuestions.get(rnd.nextInt(trainQuestions.size()));
            if (!out.contains(q)) out.add(q);
        }
        return out;
    }

    /** Ungrounded (ablation only): the passage mentions the question's gold answer or any of its capitalised spans. */
    private static boolean mentionsAny(Passage p, Question q) {
        String text = TextNorm.padded(p.fullText());
        if (TextNorm.containsPhrase(text, q.goldText())) return true;
        for (String s : KnowledgePoints.capitalizedSpans(q.question())) if (TextNorm.containsPhrase(text, s)) return true;
        return false;
    }

    /**
     * Ungrounded (ablation only): the first sentence containing the point as a case-insensitive substring, else the
     * one sharing the most words with it, whether or not the passage mentions the point.
     */
    static String sentenceNear(String text, String point) {
        List<String> sentences = TextNorm.sentences(text);
        if (sentences.isEmpty()) return text.trim();
        String needle = point.toLowerCase(java.util.Locale.ROOT);
        for (String s : sentences) if (s.toLowerCase(java.util.Locale.ROOT).contains(needle)) return s;
        return mostOverlap(sentences, point);
    }

    /** {@link #sentenceAbout(String, KnowledgePoint)} for a one-part point. */
    public static String sentenceAbout(String text, String point) {
        return sentenceAbout(text, new KnowledgePoint(point, "text", ""));
    }

    /**
     * The first sentence containing all the point's parts (normalised tokens), else the first containing its last
     * part, else the one sharing the most words with it.
     */
    public static String sentenceAbout(String text, KnowledgePoint point) {
        List<String> sentences = TextNorm.sentences(text);
        if (sentences.isEmpty()) return text.trim();
        for (String s : sentences) if (point.occursIn(s)) return s;
        String last = point.parts().get(point.parts().size() - 1);
        for (String s : sentences) if (TextNorm.containsPhrase(TextNorm.padded(s), last)) return s;
        return mostOverlap(sentences, point.text());
    }

    private static String mostOverlap(List<String> sentences, String point) {
        Set<String> pw = new HashSet<>(TextNorm.words(point));
        String best = sentences.get(0);
        int bestOverlap = -1;
        for (String s : sentences) {
            int overlap = 0;
            for (String w : TextNorm.words(s)) if (pw.contains(w)) overlap++;
            if (overlap > bestOverlap) {
                bestOverlap = overlap;
                best = s;
            }
        }
        return best;
    }
}
