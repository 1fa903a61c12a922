package dev.lfm2vl.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;

/**
 * The bytes behind an image URL, under the server's rules (issue #18, Safety): {@code data:} URLs (base64) always;
 * {@code file://} only for files whose real path (symbolic links resolved) lies under {@code --media-root}, so no
 * other path is ever read; {@code http(s)://} only with {@code --allow-remote-images}, with a size cap and time
 * limits. Every refusal is a one-line 4xx {@link ApiError}.
 */
final class ImageSources {
    private final Path mediaRoot;
    private final boolean allowRemote;
    private final long maxImageBytes;
    private final Duration remoteTimeout;
    private final HttpClient http;

    /**
     * @param mediaRoot     the folder {@code file://} URLs may read from (its real path), or null: none
     * @param allowRemote   whether {@code http(s)://} URLs are fetched
     * @param maxImageBytes the largest image accepted from a file or the network
     * @param remoteTimeout the limit on connecting and on the whole download of a remote image
     */
    ImageSources(Path mediaRoot, boolean allowRemote, long maxImageBytes, Duration remoteTimeout) throws IOException {
        this.mediaRoot = mediaRoot == null ? null : mediaRoot.toRealPath();
        this.allowRemote = allowRemote;
        this.maxImageBytes = maxImageBytes;
        this.remoteTimeout = remoteTimeout;
        this.http = allowRemote ? HttpClient.newBuilder().connectTimeout(remoteTimeout).followRedirects(HttpClient.Redirect.NORMAL).build() : null;
    }

    /** The bytes of image {@code number} (1-based, for messages) at {@code url}. */
    byte[] fetch(String url, int number) throws ApiError {
        String scheme = url.length() >= 5 ? url.substring(0, Math.min(url.length(), 8)).toLowerCase(Locale.ROOT) : "";
        if (scheme.startsWith("data:")) {
            return dataUrl(url, number);
        }
        if (scheme.startsWith("file:")) {
            return file(url, number);
        }
        if (scheme.startsWith("http://") || scheme.startsWith("https://")) {
            return remote(url, number);
        }
        throw ApiError.badRequest("invalid_image_url", "image " + number + ": unsupported URL (expected data:, file:// or http(s)://): "
                + ChatRequestParser.clip(url));
    }

    private static byte[] dataUrl(String url, int number) throws ApiError {
        int comma = url.indexOf(',');
        if (comma < 0) {
            throw ApiError.badRequest("invalid_image_url", "image " + number + ": a data URL needs a ',' before its data");
        }
        String meta = url.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!meta.endsWith(";base64")) {
            throw ApiError.badRequest("invalid_image_url", "image " + number + ": only base64 data URLs are accepted (data:image/png;base64,...)");
        }
        try {
            return Base64.getMimeDecoder().decode(strictBase64(url, comma + 1, number));
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_image", "image " + number + ": the data URL is not valid base64 ("
                    + ChatRequestParser.oneLine(e.getMessage()) + ")");
        }
    }

    /**
     * The base64 text after the comma, with whitespace (line breaks some encoders insert) dropped; any other byte
     * outside the base64 alphabet is refused (the MIME decoder alone would skip it silently).
     */
    private static String strictBase64(String url, int from, int number) throws ApiError {
        StringBuilder b = new StringBuilder(url.length() - from);
        for (int i = from; i < url.length(); i++) {
            char c = url.charAt(i);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=') {
                b.append(c);
            } else if (c == '-' || c == '_') {
                b.append(c == '-' ? '+' : '/'); // the URL-safe alphabet
            } else if (!Character.isWhitespace(c)) {
                throw ApiError.badRequest("invalid_image", "image " + number + ": the data URL is not valid base64 (character '"
                        + (c < 32 || c > 126 ? String.format("\\u%04x", (int) c) : String.valueOf(c)) + "' at offset " + (i - from) + ")");
            }
        }
        if (b.isEmpty()) {
            throw ApiError.badRequest("invalid_image", "image " + number + ": the data URL holds no data");
        }
        if (b.length() % 4 == 1) {
            throw ApiError.badRequest("invalid_image", "image " + number + ": the data URL is not valid base64 (truncated)");
        }
        return b.toString();
    }

    private byte[] file(String url, int number) throws ApiError {
        if (mediaRoot == null) {
            throw ApiError.forbidden("file_urls_disabled", "image " + number + ": file:// URLs are off (the server was started without --media-root)");
        }
        Path path;
        try {
            URI uri = new URI(url);
            if (uri.getAuthority() != null && !uri.getAuthority().isEmpty() && !uri.getAuthority().equals("localhost")) {
                throw ApiError.badRequest("invalid_image_url", "image " + number + ": a file:// URL must not name a host");
            }
            path = Path.of(new URI("file", null, uri.getPath(), null));
        } catch (URISyntaxException | IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            throw ApiError.badRequest("invalid_image_url", "image " + number + ": bad file:// URL: " + ChatRequestParser.clip(url));
        }
        Path real;
        try {
            real = path.toRealPath(); // resolves every symbolic link: a link out of the root points outside
        } catch (IOException e) {
            // checked against the root lexically first, so that no answer tells what exists outside it
            throw path.normalize().startsWith(mediaRoot)
                    ? ApiError.badRequest("invalid_image", "image " + number + ": no such file under the media root: " + ChatRequestParser.clip(url))
                    : outsideRoot(number);
        }
        if (!real.startsWith(mediaRoot)) {
            throw outsideRoot(number);
        }
        try {
            if (!Files.isRegularFile(real)) {
                throw ApiError.badRequest("invalid_image", "image " + number + ": not a regular file: " + ChatRequestParser.clip(url));
            }
            if (Files.size(real) > maxImageBytes) {
                throw ApiError.badRequest("image_too_large", "image " + number + ": the file is larger than " + maxImageBytes + " bytes");
            }
            return Files.readAllBytes(real);
        } catch (IOException e) {
            throw ApiError.badRequest("invalid_image", "image " + number + ": cannot read the file: " + ChatRequestParser.clip(url));
        }
    }

    private static ApiError outsideRoot(int number) {
        return ApiError.forbidden("outside_media_root", "image " + number + ": file:// URLs may only name files under the server's --media-root");
    }

    private byte[] remote(String url, int number) throws ApiError {
        if (!allowRemote) {
            throw ApiError.forbidden("remote_images_disabled", "image " + number
                    + ": http(s) image URLs are off (start the server with --allow-remote-images); send the image as a data: URL");
        }
        HttpRequest request;
        try {
            request = HttpRequest.newBuilder(new URI(url)).timeout(remoteTimeout).GET().build();
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_image_url", "image " + number + ": bad URL: " + ChatRequestParser.clip(url));
        }
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw ApiError.badRequest("image_fetch_failed", "image " + number + ": fetching " + ChatRequestParser.clip(url)
                            + " answered HTTP " + response.statusCode());
                }
                long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
                if (declared > maxImageBytes) {
                    throw ApiError.badRequest("image_too_large", "image " + number + ": the remote image is larger than " + maxImageBytes + " bytes");
                }
                byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxImageBytes + 1));
                if (bytes.length > maxImageBytes) {
                    throw ApiError.badRequest("image_too_large", "image " + number + ": the remote image is larger than " + maxImageBytes + " bytes");
                }
                return bytes;
            }
        } catch (java.net.http.HttpTimeoutException e) {
            throw ApiError.badRequest("image_fetch_failed", "image " + number + ": fetching " + ChatRequestParser.clip(url) + " timed out");
        } catch (IOException e) {
            throw ApiError.badRequest("image_fetch_failed", "image " + number + ": cannot fetch " + ChatRequestParser.clip(url) + ": "
                    + ChatRequestParser.clip(String.valueOf(e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiError.unavailable("image " + number + ": interrupted while fetching");
        }
    }
}
