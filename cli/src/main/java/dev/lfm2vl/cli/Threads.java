package dev.lfm2vl.cli;

import java.io.PrintWriter;

/** The worker thread count of {@code -t/--threads}, shared by every command that has the option. */
final class Threads {
    private Threads() {}

    /**
     * {@code requested}, or all cores when null. Fewer than one is a usage error. More than the cores is capped at
     * the cores, with a warning on {@code err}: the workers split every step evenly and wait for the slowest, so
     * threads beyond the cores only take turns on them and make each step several times slower.
     */
    static int count(Integer requested, PrintWriter err) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (requested == null) {
            return cores;
        }
        if (requested < 1) {
            throw new UserError("--threads must be at least 1, got " + requested);
        }
        if (requested > cores) {
            err.println("warning: -t " + requested + " is more than the " + cores + " CPU cores here; using " + cores);
            err.flush();
            return cores;
        }
        return requested;
    }
}
