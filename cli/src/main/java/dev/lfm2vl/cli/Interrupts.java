package dev.lfm2vl.cli;

/**
 * Ctrl-C (SIGINT) handling. The JDK has no public API for it; {@code sun.misc.Signal} (module jdk.unsupported)
 * is the supported-in-practice way. Where it is unavailable, Ctrl-C keeps its default meaning (exit).
 */
final class Interrupts {
    private Interrupts() {}

    static void onCtrlC(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // no SIGINT on this platform: default behaviour
        }
    }

    /** {@code action} on SIGTERM (e.g. from a service manager) instead of the default exit; ignored where there is none. */
    static void onTerminate(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // no SIGTERM on this platform: default behaviour
        }
    }
}
