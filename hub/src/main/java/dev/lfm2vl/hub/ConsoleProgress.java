package dev.lfm2vl.hub;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A plain-text {@link DownloadProgress}. Interactive (a terminal): one line per file redrawn with {@code \r} at most
 * every 100 ms — a bar, the percentage, bytes done of total, the speed in MB/s and the ETA (speed and ETA count only
 * the bytes of this session, not a resumed part). Not interactive (a log, a pipe): a line when a file starts and
 * one each time another 10% is done.
 */
public final class ConsoleProgress implements DownloadProgress {

    private static final int BAR = 24;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean interactive;
    private final LongSupplier nanoClock;

    private String file;
    private long startNanos;
    private long startBytes;
    private long lastDrawNanos;
    private int lastDecile;
    private int lastWidth;

    /**
     * @param out         where to print (typically {@code System.err})
     * @param interactive whether {@code out} is a terminal ({@code System.console() != null} is a fair guess)
     */
    public ConsoleProgress(PrintStream out, boolean interactive) {
        this(out, interactive, System::nanoTime);
    }

    ConsoleProgress(PrintStream out, boolean interactive, LongSupplier nanoClock) {
        this.out = out;
        this.interactive = interactive;
        this.nanoClock = nanoClock;
    }

    @Override
    public synchronized void update(String name, long done, long total) {
        long now = nanoClock.getAsLong();
        if (!name.equals(file)) {
            start(name, done, total, now);
        } else if (done < startBytes) {
            startBytes = done; // the download restarted from an earlier point
            startNanos = now;
        }
        if (interactive) {
            if (now - lastDrawNanos >= REDRAW_NANOS || done >= total) {
                draw(name, done, total, now);
                lastDrawNanos = now;
            }
        } else if (total > 0) {
            int decile = (int) Math.min(10, done * 10 / total);
            if (decile > lastDecile) {
                lastDecile = decile;
                out.println(name + ": " + decile * 10 + "% (" + bytes(done) + " of " + bytes(total) + ")");
            }
        }
    }

    @Override
    public synchronized void finished(String name) {
        if (interactive && name.equals(file)) {
            out.print('\n');
            out.flush();
        } else if (!interactive) {
            out.println(name + ": done");
        }
        file = null;
    }

    private void start(String name, long done, long total, long now) {
        if (interactive && file != null) {
            out.print('\n');
        }
        file = name;
        startNanos = now;
        startBytes = done;
        lastDrawNanos = now - REDRAW_NANOS;
        lastWidth = 0;
        lastDecile = total > 0 ? (int) Math.min(10, done * 10 / total) : 0;
        if (!interactive) {
            out.println((done > 0 ? "resuming " + name + " at " + bytes(done) + " of " : "downloading " + name + " (")
                    + bytes(total) + (done > 0 ? "" : ")"));
        }
    }

    private void draw(String name, long done, long total, long now) {
        double frac = total > 0 ? Math.min(1.0, (double) done / total) : 0;
        int filled = (int) Math.round(frac * BAR);
        StringBuilder b = new StringBuilder(name).append(" [");
        for (int k = 0; k < BAR; k++) {
            b.append(k < filled ? '#' : '-');
        }
        b.append("] ").append(String.format(Locale.ROOT, "%5.1f%%", frac * 100)).append("  ")
                .append(bytes(done)).append(" / ").append(bytes(total));
        double secs = (now - startNanos) / 1e9;
        long session = done - startBytes;
        if (secs > 0.2 && session > 0) {
            double rate = session / secs;
            b.append(String.format(Locale.ROOT, "  %.1f MB/s", rate / 1e6));
            if (done < total) {
                b.append("  ETA ").append(duration((long) ((total - done) / rate)));
            }
        }
        int width = b.length();
        for (int k = width; k < lastWidth; k++) {
            b.append(' ');
        }
        lastWidth = width;
        out.print("\r" + b);
        out.flush();
    }

    static String bytes(long n) {
        if (n < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
        }
        if (n < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", n / 1e9);
    }

    static String duration(long secs) {
        if (secs >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", secs / 3600, secs / 60 % 60, secs % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", secs / 60, secs % 60);
    }
}
