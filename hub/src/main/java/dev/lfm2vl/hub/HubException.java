package dev.lfm2vl.hub;

/**
 * A hub or cache failure the user can act on. The message is one complete line meant to be printed as is
 * (never contains the token); the cause, if any, is for debugging only. {@link #kind()} tells a request the user
 * got wrong (a bad {@code --hf} value, a repository or quant that does not exist) from a failure of the network,
 * the hub or the cache, so a command line can report them with different exit codes.
 */
public final class HubException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, as far as the user is concerned. */
    public enum Kind {
        /** The request names something invalid or absent: the user has to change it. */
        BAD_REQUEST,
        /** The hub could not be reached at all: no network, a firewall, a wrong HF_ENDPOINT host. */
        UNREACHABLE,
        /** Anything else: HTTP errors, interrupted or corrupt downloads, cache I/O. */
        FAILURE
    }

    private final Kind kind;

    public HubException(String message) {
        this(Kind.FAILURE, message, null);
    }

    public HubException(String message, Throwable cause) {
        this(Kind.FAILURE, message, cause);
    }

    public HubException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    static HubException badRequest(String message) {
        return new HubException(Kind.BAD_REQUEST, message, null);
    }

    public Kind kind() {
        return kind;
    }
}
