package dev.lfm2vl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The progress display and the lenient JSONL reading of {@code caption}, without a model. */
class CaptionProgressTest {
    @Test
    void theTerminalBarShowsCountRateEtaAndTheShortenedFileName() {
        StringWriter s = new StringWriter();
        AtomicLong now = new AtomicLong();
        ProgressBar bar = new ProgressBar(new PrintWriter(s), true, true, 4, 60, now::get);
        bar.starting(Path.of("dir/a-very-long-file-name-that-does-not-fit-in-the-line-at-all.png"));
        now.set(30_000_000_000L);
        bar.finished(Path.of("x.png"), 30_000_000_000L, true);
        bar.starting(Path.of("dir/b.png"));
        String line = bar.line();
        assertTrue(line.startsWith("[#####...............] 1/4  2.0 img/min  ETA 1:30  b.png"), line);
        assertTrue(s.toString().contains("\r"), "redrawn in place");
        assertTrue(s.toString().contains("..."), "long names are shortened: " + s);
        bar.close();
        assertTrue(s.toString().endsWith("\r\033[K"), "the bar is cleared at the end");
    }

    @Test
    void withoutATerminalEachFinishedImageIsOnePlainLine() {
        StringWriter s = new StringWriter();
        ProgressBar bar = new ProgressBar(new PrintWriter(s), false, true, 2, 80, () -> 0L);
        bar.starting(Path.of("a.png"));
        bar.finished(Path.of("a.png"), 2_100_000_000L, true);
        bar.finished(Path.of("b.png"), 1L, false);
        assertEquals("[1/2] a.png: 2.1 s\n[2/2] b.png: failed\n", s.toString().replace(System.lineSeparator(), "\n"));
    }

    @Test
    void durationsAndShorteningAreReadable() {
        assertEquals("1:15", ProgressBar.duration(75));
        assertEquals("1:02:05", ProgressBar.duration(3725));
        assertEquals("abc...xyz", ProgressBar.shorten("abcdefghijklmnopqrstuvwxyz", 9));
        assertEquals("short", ProgressBar.shorten("short", 9));
    }

    @Test
    void jsonlLinesAreReadLenientlyAndWrittenOnOneLine() {
        assertNull(JsonlLog.parseObject("{\"path\":\"a.png\",\"capt"));
        assertNull(JsonlLog.parseObject("[1,2]"));
        assertNull(JsonlLog.parseObject("{\"a\":1} trailing"));
        Map<String, Object> o = JsonlLog.parseObject("{\"path\":\"a\\\"b.png\",\"n\":[1,2.5,-3e2],\"ok\":true,\"x\":null}");
        assertEquals("a\"b.png", o.get("path"));
        String line = JsonlLog.line(Map.of("caption", "two\nlines\u2028", "t", 1.5));
        assertEquals(1, line.lines().count(), line);
        assertEquals("two\nlines\u2028", JsonlLog.parseObject(line).get("caption"));
    }
}
