package dev.lfm2vl.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The text renderings of {@link ConsoleProgress}. */
class HubProgressTest {

    private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    private final AtomicLong clock = new AtomicLong();

    private String text() {
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void nonInteractivePrintsALineEveryTenPercent() {
        ConsoleProgress p = new ConsoleProgress(out, false, clock::get);
        for (long done = 0; done <= 2_000_000; done += 50_000) {
            p.update("m.gguf", done, 2_000_000);
        }
        p.finished("m.gguf");
        List<String> lines = text().lines().toList();
        assertEquals("downloading m.gguf (2.0 MB)", lines.get(0));
        assertEquals("m.gguf: 10% (200.0 kB of 2.0 MB)", lines.get(1));
        assertEquals("m.gguf: 100% (2.0 MB of 2.0 MB)", lines.get(10));
        assertEquals("m.gguf: done", lines.get(11));
        assertEquals(12, lines.size());
        assertTrue(!text().contains("\r"));
    }

    @Test
    void nonInteractiveResumeStartsAtTheResumedDecile() {
        ConsoleProgress p = new ConsoleProgress(out, false, clock::get);
        p.update("m.gguf", 550, 1000);
        p.update("m.gguf", 600, 1000);
        p.update("m.gguf", 1000, 1000);
        assertEquals(List.of("resuming m.gguf at 0.6 kB of 1.0 kB", "m.gguf: 60% (0.6 kB of 1.0 kB)",
                "m.gguf: 100% (1.0 kB of 1.0 kB)"), text().lines().toList());
    }

    @Test
    void interactiveRedrawsOneLineWithPercentSpeedAndEta() {
        ConsoleProgress p = new ConsoleProgress(out, true, clock::get);
        p.update("m.gguf", 0, 100_000_000);
        clock.set(1_000_000_000L); // 1 s later, 25 MB done: 25 MB/s, 75 MB left: 3 s
        p.update("m.gguf", 25_000_000, 100_000_000);
        clock.addAndGet(10_000_000L); // too soon to redraw
        p.update("m.gguf", 26_000_000, 100_000_000);
        String t = text();
        String last = t.substring(t.lastIndexOf('\r') + 1);
        assertEquals("m.gguf [######------------------]  25.0%  25.0 MB / 100.0 MB  25.0 MB/s  ETA 0:03", last);
        assertEquals(2, t.chars().filter(c -> c == '\r').count());
        clock.addAndGet(3_000_000_000L);
        p.update("m.gguf", 100_000_000, 100_000_000);
        p.finished("m.gguf");
        assertTrue(text().matches("(?s).*\r[^\r]* 100\\.0%  100\\.0 MB / 100\\.0 MB  24\\.9 MB/s *\n"), text());
    }

    @Test
    void formatsSizesAndDurations() {
        assertEquals("2.02 GB", ConsoleProgress.bytes(2_018_040_128L));
        assertEquals("1:01:05", ConsoleProgress.duration(3665));
        assertEquals("0:59", ConsoleProgress.duration(59));
    }
}
