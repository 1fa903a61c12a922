package dev.lfm2vl.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Batch progress on stderr. On a terminal: one line redrawn with {@code \r} (bar, done/total, images per minute,
 * time left, the current file's name), cleared whenever something else is printed. Elsewhere: one plain line
 * per finished image, {@code [3/10] path: 2.1 s}. Disabled, it prints nothing but the messages given to
 * {@link #message}.
 */
final class ProgressBar {
    private final PrintWriter err;
    private final boolean terminal;
    private final boolean enabled;
    private final int total;
    private final int width;
    private final LongSupplier clock;
    private final long start;
    private int done;
    private String current = "";
    private boolean drawn;

    ProgressBar(PrintWriter err, boolean terminal, boolean enabled, int total, int width, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.enabled = enabled;
        this.total = total;
        this.width = Math.max(40, width);
        this.clock = clock;
        this.start = clock.getAsLong();
    }

    /** The terminal width from {@code COLUMNS}, else 80. */
    static int terminalWidth() {
        try {
            String c = System.getenv("COLUMNS");
            return c == null ? 80 : Integer.parseInt(c.strip());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** {@code image} is being worked on. */
    void starting(Path image) {
        current = image.getFileName() == null ? image.toString() : image.getFileName().toString();
        redraw();
    }

    /** {@code image} is finished (captioned or failed) after {@code nanos}. */
    void finished(Path image, long nanos, boolean ok) {
        done++;
        if (!enabled) {
            return;
        }
        if (terminal) {
            current = "";
            redraw();
        } else {
            err.println("[" + done + "/" + total + "] " + image + ": "
                    + (ok ? String.format(Locale.ROOT, "%.1f s", nanos / 1e9) : "failed"));
            err.flush();
        }
    }

    /** Prints a line (error, note) on stderr, clearing the bar first and redrawing it after. */
    void message(String line) {
        clear();
        err.println(line);
        err.flush();
        redraw();
    }

    /** Takes the bar off the terminal line, before other output (e.g. a caption on stdout). */
    void clear() {
        if (drawn) {
            err.print("\r\033[K");
            err.flush();
            drawn = false;
        }
    }

    /** Draws the bar again (terminal only). */
    void redraw() {
        if (!enabled || !terminal) {
            return;
        }
        err.print("\r" + line() + "\033[K");
        err.flush();
        drawn = true;
    }

    /** Ends the bar: the terminal line is cleared. */
    void close() {
        clear();
    }

    /** The bar's text, without control characters. */
    String line() {
        long elapsed = clock.getAsLong() - start;
        StringBuilder b = new StringBuilder();
        int cells = 20;
        int filled = total == 0 ? cells : (int) ((long) cells * done / total);
        b.append('[').append("#".repeat(filled)).append(".".repeat(cells - filled)).append("] ");
        b.append(done).append('/').append(total);
        if (done > 0 && elapsed > 0) {
            double perMinute = done * 60e9 / elapsed;
            long left = (long) ((double) elapsed / done * (total - done) / 1e9);
            b.append(String.format(Locale.ROOT, "  %.1f img/min  ETA %s", perMinute, duration(left)));
        }
        if (!current.isEmpty()) {
            b.append("  ");
            int room = width - 1 - b.length();
            b.append(shorten(current, Math.max(8, room)));
        }
        return b.length() > width - 1 ? b.substring(0, width - 1) : b.toString();
    }

    /** {@code s} cut to {@code max} characters with a {@code ...} in the middle. */
    static String shorten(String s, int max) {
        if (s.length() <= max) {
            return s;
        }
        int keep = max - 3;
        int head = keep / 2;
        return s.substring(0, head) + "..." + s.substring(s.length() - (keep - head));
    }

    /** {@code 75} -> {@code 1:15}, {@code 3725} -> {@code 1:02:05}. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
