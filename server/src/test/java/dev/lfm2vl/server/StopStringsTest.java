package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code stop} parameter on a stream of pieces: cut before the first stop string, never showing part of one. */
class StopStringsTest {
    @Test
    void noStopStringsPassEverythingThrough() {
        StopStrings s = new StopStrings(List.of());
        assertEquals("abc", s.accept("abc"));
        assertEquals("", s.flush());
        assertFalse(s.matched());
    }

    @Test
    void aStopStringSplitAcrossPiecesIsHeldBackThenCut() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("hello ", s.accept("hello E"));
        assertEquals("", s.accept("N"));
        assertEquals("", s.accept("D more"));
        assertTrue(s.matched());
        assertEquals("", s.flush());
    }

    @Test
    void textBeforeTheStopIsKeptAndNothingAfterIt() {
        StopStrings s = new StopStrings(List.of("END"));
        StringBuilder shown = new StringBuilder();
        for (String piece : new String[] {"one E", "N", "D two", " three"}) {
            shown.append(s.accept(piece));
        }
        shown.append(s.flush());
        assertEquals("one ", shown.toString());
        assertTrue(s.matched());
    }

    @Test
    void aFalseStartIsShownOnceItCannotBeAStopString() {
        StopStrings s = new StopStrings(List.of("\n\n", "User:"));
        StringBuilder shown = new StringBuilder();
        for (String piece : new String[] {"a\n", "b Us", "e", "r", " c"}) {
            shown.append(s.accept(piece));
        }
        shown.append(s.flush());
        assertEquals("a\nb User c", shown.toString());
        assertFalse(s.matched());
    }

    @Test
    void theEarliestOfSeveralStopStringsWins() {
        StopStrings s = new StopStrings(List.of("cd", "b"));
        assertEquals("a", s.accept("abcd"));
        assertTrue(s.matched());
        assertEquals("", s.accept("more"));
    }
}
