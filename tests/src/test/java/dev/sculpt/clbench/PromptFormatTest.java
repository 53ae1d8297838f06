package dev.sculpt.clbench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromptFormatTest {
    @Test
    void instructionSentenceOptionsAnswer() {
        assertEquals("What is the topic? Choose one from the option.\nTitle: Rain\nText: It rained.\nOption: World, Sports, Science or Technology\nAnswer:",
                PromptFormat.prompt("What is the topic? Choose one from the option.\n", "Title: Rain\nText: It rained.\n",
                        List.of("World", "Sports", "Science or Technology")));
    }

    @Test
    void addsTheNewlineAnInstructionLacksAndDropsTrailingBlanks() {
        assertEquals("Sentiment?\nfine movie\nOption: Good, Bad\nAnswer:",
                PromptFormat.prompt("Sentiment?", "fine movie  \n\n", List.of("Good", "Bad")));
    }

    @Test
    void emptyInstructionLeavesTheSentenceFirst() {
        assertEquals("Which is the cause?\nA: x\nB: y\nOption: A, B\nAnswer:",
                PromptFormat.prompt("", "Which is the cause?\nA: x\nB: y", List.of("A", "B")));
    }
}
