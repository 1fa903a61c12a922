package dev.lfm2vl.cli;

/** A problem with what the user asked for or gave us: printed as one {@code error:} line, exit code 2. */
final class UserError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UserError(String message) {
        super(message);
    }
}
