package dev.lfm2vl.spark;

/** Bad input or usage: one line on stderr, exit code 2, no stack trace. */
final class UserError extends RuntimeException {
    UserError(String message) {
        super(message);
    }
}
