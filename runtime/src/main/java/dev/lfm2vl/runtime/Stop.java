package dev.lfm2vl.runtime;

import java.util.function.BooleanSupplier;

/** The stop signals the long calls poll (before each layer, each encoder block): Ctrl-C, a client gone away. */
final class Stop {
    private Stop() {}

    /** For callers that cannot stop: decode steps, embeddings computed without a user waiting. */
    static final BooleanSupplier NEVER = () -> false;
}
