package dev.lfm2vl.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopSequencesTest {

    @Test
    void aStopSequenceSplitAcrossPiecesCutsTheTextBeforeIt() {
        StopSequences s = new StopSequences(List.of("END"));
        assertEquals("abc", s.accept("abcE"), "the E may begin END: held back");
        assertEquals("", s.accept("N"));
        assertFalse(s.stopped());
        assertEquals("", s.accept("Dxyz"));
        assertTrue(s.stopped());
        assertEquals("abc", s.text());
        assertEquals("", s.accept("more"), "nothing after the stop");
        assertEquals("", s.finish());
    }

    @Test
    void heldBackTextThatDoesNotCompleteAStopIsReleased() {
        StopSequences s = new StopSequences(List.of("END", "\n\n"));
        assertEquals("a", s.accept("a"));
        assertEquals("", s.accept("E"));
        assertEquals("", s.accept("N"), "EN may still become END");
        assertEquals("ENx", s.accept("x"), "ENx cannot: released");
        assertEquals("", s.accept("\n"), "may begin a blank line");
        assertEquals("\nb", s.accept("b"));
        assertEquals("", s.accept("\n"));
        assertEquals("\n", s.finish(), "the answer ended: what was held back is the answer's");
        assertEquals("aENx\nb\n", s.text());
        assertFalse(s.stopped());
    }

    @Test
    void theEarliestOfSeveralStopsInOnePieceWins() {
        StopSequences s = new StopSequences(List.of("cd", "b"));
        assertEquals("a", s.accept("abcd"));
        assertEquals("a", s.text());
    }

    @Test
    void withoutStopSequencesEveryPieceIsShownAtOnce() {
        StopSequences s = new StopSequences(null);
        assertEquals("hello", s.accept("hello"));
        assertEquals(" world", s.accept(" world"));
        assertEquals("", s.finish());
        assertEquals("hello world", s.text());
        StopSequences empty = new StopSequences(List.of(""));
        assertEquals("x", empty.accept("x"), "an empty stop sequence is ignored");
    }
}
