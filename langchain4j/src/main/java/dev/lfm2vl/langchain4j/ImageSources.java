package dev.lfm2vl.langchain4j;

import dev.langchain4j.data.image.Image;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.lfm2vl.runtime.ImageLoadException;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.PreprocessedImage;
import java.net.URI;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;

/**
 * Reads the picture of an {@code ImageContent}: base64 data, a {@code data:} URL or a {@code file:} URL (never the
 * network: an {@code http(s):} URL is refused, the application downloads what it wants to send). The bytes are
 * decoded and checked by the runtime's image loader (format sniffed from the data, pixel and heap limits).
 */
final class ImageSources {
    private ImageSources() {}

    /** The image loaded and pre-processed for {@code vlm}; {@code n} (1-based) names it in errors. */
    static PreprocessedImage preprocess(Lfm2Vl vlm, Image image, int n) {
        String name = "image " + n;
        try {
            if (image.base64Data() != null) {
                checkMimeType(image.mimeType(), name);
                return vlm.preprocess(base64(image.base64Data(), name), name + " (base64 data)");
            }
            URI url = image.url();
            if (url == null) {
                throw new InvalidRequestException(name + " has neither data nor a URL");
            }
            String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
            switch (scheme) {
                case "data" -> {
                    return vlm.preprocess(dataUrl(url.toString(), name), name + " (data: URL)");
                }
                case "file" -> {
                    checkMimeType(image.mimeType(), name);
                    return vlm.preprocess(filePath(url, name));
                }
                default -> throw new UnsupportedFeatureException(name + ": URL scheme '" + scheme + ":' is not supported; "
                        + "pass the image as base64 data or a data: or file: URL (this model never downloads)");
            }
        } catch (ImageLoadException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw new InvalidRequestException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    /** {@code data:[<mime type>][;base64],<data>}: only base64 data carries an image's bytes intact. */
    private static byte[] dataUrl(String url, String name) {
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw new InvalidRequestException(name + ": malformed data: URL (no comma before the data)");
        }
        String header = url.substring("data:".length(), comma);
        if (!header.toLowerCase(Locale.ROOT).endsWith(";base64")) {
            throw new InvalidRequestException(name + ": a data: URL image must be base64 encoded (data:image/png;base64,...)");
        }
        checkMimeType(header.substring(0, header.length() - ";base64".length()), name);
        return base64(url.substring(comma + 1), name);
    }

    private static byte[] base64(String data, String name) {
        try {
            return Base64.getMimeDecoder().decode(data);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(name + ": invalid base64 data (" + e.getMessage() + ")", e);
        }
    }

    private static Path filePath(URI url, String name) {
        try {
            return Path.of(url);
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw new InvalidRequestException(name + ": not a usable file: URL (" + url + "): " + e.getMessage(), e);
        }
    }

    /** A declared MIME type must be an image's; none (or empty) leaves it to the format sniffing. */
    private static void checkMimeType(String mimeType, String name) {
        if (mimeType != null && !mimeType.isBlank() && !mimeType.toLowerCase(Locale.ROOT).startsWith("image/")) {
            throw new UnsupportedFeatureException(name + " has MIME type " + mimeType + ": LFM2-VL reads images (image/*) only");
        }
    }
}
