package dev.lfm2vl.runtime;

/** The conversation needs more positions than the context (KV cache) holds. */
public final class ContextFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContextFullException(int needed, int capacity) {
        super("the context is full: " + needed + " positions needed, " + capacity + " available (raise --ctx-size)");
    }

    /** The context cannot hold {@code what} (e.g. a prompt and the shortest answer its constraint allows). */
    public ContextFullException(String what, int needed, int capacity) {
        super("the context is full: " + what + " need " + needed + " positions, " + capacity + " available (raise --ctx-size)");
    }
}
