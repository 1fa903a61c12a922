package dev.lfm2vl.runtime;

import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Observes one request through its stages, in order: each image read and planned, each image entry encoded, the
 * prefill, then the answer token by token. Every method is optional; {@link #cancelled()} is polled between encoder
 * blocks, between prefill layers and before each token, and a true answer stops the request there.
 */
public interface Listener {
    Listener NONE = new Listener() {};

    /** A listener that only receives the answer's text as it is generated. */
    static Listener onText(Consumer<String> text) {
        return new Listener() {
            @Override
            public void onToken(int id, String piece) {
                text.accept(piece);
            }
        };
    }

    /** An image was read and planned: its resize, tile grid and token count (before it is encoded). */
    default void planned(Path image, ImagePlan plan) {}

    /** Encoding entry {@code entry} of {@code entries} (tiles, then the thumbnail) of image {@code image} of {@code images}, 1-based. */
    default void encoding(int image, int images, int entry, int entries) {}

    /** The prompt's {@code positions} (text and image vectors) are about to be fed. */
    default void prefill(int positions) {}

    /** Called before each layer of each prefill batch: {@code done} of {@code total} such steps are finished. */
    default void prefilling(int done, int total) {}

    /** A generated token and the text it completed (may be empty, e.g. half of a UTF-8 character; id -1 for a final flush). */
    default void onToken(int id, String text) {}

    /** Return true to stop the request (Ctrl-C, a client that went away). */
    default boolean cancelled() {
        return false;
    }
}
