package dev.sculpt.cem;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerParserTest {
    private final AnswerParser parser = new AnswerParser();
    private final Question mc = new Question("q1", "Capital of France?", List.of("Berlin", "Paris", "Paris Hilton", "Rome"), "Paris", 1, "t:1");
    private final Question sa = Question.shortAnswer("q2", "Capital of France?", "Paris");

    private ParsedAnswer p(Question q, String s) { return parser.parse(q, s); }

    @Test
    void lettersInTheirUsualForms() {
        for (String s : List.of("B", " B", "B.", "(B)", "B) Paris", "B: Paris", "Answer: B", "The answer is B.", "b", "(b)", "\n\nB\nC")) {
            ParsedAnswer a = p(mc, s);
            assertEquals("1", a.key(), s);
            assertEquals("letter", a.how(), s);
            assertTrue(a.correct(), s);
        }
        assertEquals("0", p(mc, "A. Berlin").key());
        assertFalse(p(mc, "A. Berlin").correct());
        // E is no option: falls through to the text rules and finds nothing
        assertTrue(p(mc, "E").unparseable());
        // a lower-case word is not a letter answer
        assertTrue(p(mc, "a city").unparseable());
    }

    @Test
    void optionTextLongestPrefixWins() {
        assertEquals("1", p(mc, "paris").key());
        assertEquals("text", p(mc, "Paris!").how());
        assertEquals("2", p(mc, "Paris Hilton is the answer").key());
        assertEquals("1", p(mc, "Paris, of course").key());
        assertEquals("3", p(mc, "rome").key());
    }

    @Test
    void fuzzyNeedsThresholdAndNoTie() {
        ParsedAnswer a = p(mc, "Berlinn");
        assertEquals("0", a.key());
        assertEquals("fuzzy", a.how());
        // similarity of "rom" to "rome" is 0.75 < 0.8
        assertTrue(p(mc, "rom").unparseable());
        assertEquals("3", new AnswerParser(0.7).parse(mc, "rom").key());
        Question tie = new Question("t", "?", List.of("abcx", "abcy"), "abcx", 0, "t:1");
        assertTrue(new AnswerParser(0.5).parse(tie, "abcz").unparseable());
        assertTrue(p(mc, "").unparseable());
        assertTrue(p(mc, "   \n  ").unparseable());
    }

    @Test
    void shortAnswerIsSquadExactMatch() {
        assertTrue(p(sa, "Paris").correct());
        assertTrue(p(sa, " the  PARIS.").correct());
        assertTrue(p(sa, "Paris\nmore text").correct());
        ParsedAnswer wrong = p(sa, "Lyon");
        assertFalse(wrong.correct());
        assertFalse(wrong.unparseable());
        assertEquals("lyon", wrong.key());
        assertFalse(p(sa, "Paris Hilton").correct());
        assertTrue(p(sa, "...").unparseable());
    }

    @Test
    void shortAnswerFollowedByMoreSentencesCountsByItsFirstSentence() {
        Question born = Question.cloze("c", "Finn Okafor was born in", "Quito");
        ParsedAnswer a = p(born, " Quito. Finn Okafor works as a baker.");
        assertTrue(a.correct());
        assertEquals("quito", a.key());
        assertEquals("first-sentence", a.how());
        assertFalse(p(born, " Lima. Finn Okafor was born in Quito.").correct(), "only the first sentence counts");
        assertFalse(p(born, " Quito and Lima. More.").correct());
        assertFalse(p(born, " Quitor. More.").correct(), "whole answer only");
        // a dot inside a token is no sentence end; the whole line still counts
        Question st = Question.shortAnswer("s", "Which city?", "St. Louis");
        assertTrue(p(st, "St. Louis").correct());
        assertEquals("exact", p(st, "St. Louis").how());
        assertTrue(p(sa, "Paris! It is big.").correct());
    }

    @Test
    void levenshteinHandValues() {
        assertEquals(3, TextNorm.levenshtein("kitten", "sitting"));
        assertEquals(0, TextNorm.levenshtein("", ""));
        assertEquals(4, TextNorm.levenshtein("", "abcd"));
        assertEquals(1.0 - 3.0 / 7, TextNorm.similarity("kitten", "sitting"), 1e-12);
    }
}
