package dev.lfm2vl.runtime;

/**
 * Restricts which tokens {@link Generator} may sample next (structured output). Before each token the generator asks
 * for the allowed set, given how many tokens it may still generate, and the sampler draws only from that set; the
 * chosen token is then reported back. A constraint must always allow at least one token while its budget lasts.
 */
public interface TokenConstraint {
    /**
     * Fills {@code allowed} (one bit per token id, {@code allowed[id >> 6] >>> (id & 63) & 1}) with the tokens that
     * may come next when at most {@code budget} tokens, this one included, can still be generated.
     */
    void allowed(long[] allowed, int budget);

    /** Records the sampled token (one of the allowed ones). */
    void accept(int token);

    /** The fewest tokens that complete the output from here (a budget below it cannot end well). */
    int minTokens();
}
