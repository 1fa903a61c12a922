package dev.lfm2vl.loader;

import java.io.IOException;

/** A GGUF file that is malformed, truncated or unsupported; the message says what and where. */
public final class GgufFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public GgufFormatException(String message) {
        super(message);
    }
}
