package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.Listener;
import java.io.Console;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * A one-line status on stderr for long work ("loading model...", "encoding image 1/2 (tile 3/7)...", "prefill 812
 * positions... 40%"), redrawn in place with {@code \r} and cleared before anything else is printed. Only when stderr is a
 * terminal and not {@code --quiet}; otherwise every call does nothing.
 */
final class Status {
    private static final Status OFF = new Status(null, false);

    private final PrintWriter err;
    private final boolean enabled;
    private boolean shown;
    /** The text last shown, which {@link #progress} extends. */
    private String text = "";
    private int percent = -1;

    Status(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled && err != null;
    }

    /** A status on {@code err} when it is a terminal and not {@code quiet}. */
    static Status on(PrintWriter err, boolean quiet) {
        return new Status(err, !quiet && stderrIsTerminal());
    }

    /** A status that prints nothing. */
    static Status off() {
        return OFF;
    }

    /** Whether stderr is a terminal (or the {@code lfm2vl.stderr.tty} property says so, for tests). */
    static boolean stderrIsTerminal() {
        if (Boolean.getBoolean("lfm2vl.stderr.tty")) {
            return true;
        }
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    boolean enabled() {
        return enabled;
    }

    /** Replaces the status line with {@code text}. */
    void show(String text) {
        if (!enabled) {
            return;
        }
        this.text = text;
        this.percent = -1;
        draw(text);
    }

    /** Adds how far the shown step has got ("prefill 812 positions... 40%"); redrawn only when the percentage changes. */
    void progress(int done, int total) {
        if (!enabled || !shown || total <= 0) {
            return;
        }
        int p = (int) (100L * done / total);
        if (p != percent) {
            percent = p;
            draw(text + " " + p + "%");
        }
    }

    private void draw(String line) {
        err.print("\r" + line + "\033[K");
        err.flush();
        shown = true;
    }

    /** Takes the status line off the terminal (before an answer or another message is printed). */
    void clear() {
        if (shown) {
            err.print("\r\033[K");
            err.flush();
            shown = false;
        }
    }

    /**
     * {@code answer} with the request's stages shown on the status line ("encoding image 1/2 (tile 3/7)...",
     * "prefill 812 positions... 40%"), cleared before the first token is passed on. With {@code plans} not null,
     * each image's plan is printed there ({@code --verbose}).
     */
    Listener showing(Listener answer, PrintWriter plans) {
        return new Listener() {
            @Override
            public void planned(Path image, ImagePlan plan) {
                if (plans != null) {
                    clear();
                    plans.println("image " + image + ": " + plan.describe());
                    plans.flush();
                }
                answer.planned(image, plan);
            }

            @Override
            public void encoding(int image, int images, int entry, int entries) {
                show("encoding image " + image + "/" + images + " (tile " + entry + "/" + entries + ")...");
                answer.encoding(image, images, entry, entries);
            }

            @Override
            public void prefill(int positions) {
                show("prefill " + positions + " positions...");
                answer.prefill(positions);
            }

            @Override
            public void prefilling(int done, int total) {
                progress(done, total);
                answer.prefilling(done, total);
            }

            @Override
            public void onToken(int id, String text) {
                clear();
                answer.onToken(id, text);
            }

            @Override
            public boolean cancelled() {
                return answer.cancelled();
            }
        };
    }
}
