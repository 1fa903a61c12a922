package dev.lfm2vl.runtime;

import java.io.IOException;

/** An image file could not be loaded; the message is one line naming the file and the reason. */
public class ImageLoadException extends IOException {
    public ImageLoadException(String message) {
        super(message);
    }

    public ImageLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
