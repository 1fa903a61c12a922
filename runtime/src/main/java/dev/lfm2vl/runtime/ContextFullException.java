package dev.lfm2vl.runtime;

/** The conversation needs more positions than the context (KV cache) holds. */
public final class ContextFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ContextFullException(int needed, int capacity) {
        super("the context is full: " + needed + " positions needed, " + capacity + " available (raise --ctx-size)");
    }
}
