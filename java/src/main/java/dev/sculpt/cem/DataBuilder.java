package dev.sculpt.cem;

import dev.sculpt.data.TextPair;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a round's training data in parallel pairs: for each retrieved passage, one CPT item (the passage) and
 * CIT items from the same passage:
 * <ul>
 *   <li>normative: task-format QA from the training questions, rendered with the evaluation template. Questions
 *       whose gold answer or capitalised spans occur in the passage come first, the rest are seeded random picks.
 *       Training questions whose normalised text equals an evaluation question are dropped when the builder is
 *       made, so evaluation questions never become training data;</li>
 *   <li>extractive: "Passage: ... What does the passage say about POINT? Sentence:" -> the passage sentence about
 *       POINT;</li>
 *   <li>review: "What do you know about POINT? Fact:" -> the same sentence, without the passage;</li>
 *   <li>general: general instruction items, dealt from a seeded shuffle of the pool (every item once before
 *       any twice).</li>
 * </ul>
 * The sentence about a point is the first sentence containing it (case-insensitive), else the sentence sharing
 * the most words with it.
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
            for (Question q : normativeFor(p, rnd)) {
                cit.add(new TrainingItem(TrainingItem.NORMATIVE, template.render(q), template.completion(q), p.key(), null, round));
            }
            List<KnowledgePoint> points = rp.points().subList(0, Math.min(options.pointsPerPassage(), rp.points().size()));
            for (KnowledgePoint kp : points) {
                String sentence = " " + sentenceAbout(p.text(), kp.text());
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

    private List<Question> normativeFor(Passage p, Random rnd) {
        int n = Math.min(options.normativePerPassage(), trainQuestions.size());
        if (n == 0) return List.of();
        String text = " " + TextNorm.normalize(p.fullText()) + " ";
        List<Question> relevant = new ArrayList<>();
        for (Question q : trainQuestions) {
            if (mentions(text, q.goldText()) || KnowledgePoints.capitalizedSpans(q.question()).stream().anyMatch(s -> mentions(text, s))) {
                relevant.add(q);
            }
        }
        List<Question> out = new ArrayList<>();
        while (out.size() < n && !relevant.isEmpty()) out.add(relevant.remove(rnd.nextInt(relevant.size())));
        int guard = 0;
        while (out.size() < n && guard++ < 10 * n) {
            Question q = trainQuestions.get(rnd.nextInt(trainQuestions.size()));
            if (!out.contains(q)) out.add(q);
        }
        return out;
    }

    private static boolean mentions(String normalizedPaddedText, String phrase) {
        String n = TextNorm.normalize(phrase);
        return !n.isEmpty() && normalizedPaddedText.contains(" " + n + " ");
    }

    /** The first sentence containing the point, else the one sharing the most words with it. */
    public static String sentenceAbout(String text, String point) {
        List<String> sentences = TextNorm.sentences(text);
        if (sentences.isEmpty()) return text.trim();
        String needle = point.toLowerCase(Locale.ROOT);
        for (String s : sentences) if (s.toLowerCase(Locale.ROOT).contains(needle)) return s;
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
