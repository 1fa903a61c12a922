package dev.lfm2vl.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chat page {@code lfm2vl serve} answers {@code GET /} with (issue #20): one HTML file with its CSS and plain
 * JavaScript inline, a resource of this jar ({@code webui/index.html}), that talks only to this server's own
 * {@code /v1/chat/completions}.
 *
 * <p>It is sent with a Content-Security-Policy that allows nothing but this origin ({@code default-src 'self'},
 * {@code connect-src 'self'}, images also as {@code data:}/{@code blob:} for the thumbnails) and, for the inline
 * script and style, exactly their SHA-256 hashes, computed here from the resource: no {@code 'unsafe-inline'}, so
 * even text injected into the page could not run. The server's own limits reach the page as {@code <meta>} values
 * filled in per request (numbers and fixed words only), which leaves the hashed script and style unchanged.
 */
final class WebUi {
    private static final String RESOURCE = "webui/index.html";
    private static final Pattern SCRIPT = Pattern.compile("<script>(.*?)</script>", Pattern.DOTALL);
    private static final Pattern STYLE = Pattern.compile("<style>(.*?)</style>", Pattern.DOTALL);

    private final String page;
    private final String csp;

    private WebUi(String page) {
        this.page = page;
        this.csp = "default-src 'self'; script-src " + hash(SCRIPT, page) + "; style-src " + hash(STYLE, page)
                + "; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    }

    /** The page from this jar's resources. */
    static WebUi load() {
        try (InputStream in = WebUi.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the chat page " + RESOURCE + " is missing from the server jar");
            }
            return new WebUi(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The Content-Security-Policy header value. */
    String contentSecurityPolicy() {
        return csp;
    }

    /**
     * The page with this server's values: whether it needs an API key, the largest body, and, once the model is loaded
     * ({@code engine} not null), the pixel limit, whether it sees images and the default temperature.
     */
    byte[] render(ServerConfig config, ChatEngine engine) {
        String pixels = engine == null ? "0" : Long.toString(engine.settings().maxImagePixels());
        String vision = engine == null ? "unknown" : engine.seesImages() ? "yes" : "no";
        String temperature = engine == null ? "" : Float.toString(engine.settings().sampling().temperature());
        return page.replace("{{API_KEY}}", config.apiKey() == null ? "none" : "required")
                .replace("{{MAX_BODY}}", Integer.toString(config.maxBody()))
                .replace("{{MAX_IMAGE_PIXELS}}", pixels)
                .replace("{{VISION}}", vision)
                .replace("{{TEMPERATURE}}", temperature)
                .getBytes(StandardCharsets.UTF_8);
    }

    /** The CSP source for the one element {@code pattern} finds: {@code 'sha256-BASE64'} of its text. */
    private static String hash(Pattern pattern, String page) {
        Matcher m = pattern.matcher(page);
        if (!m.find()) {
            throw new IllegalStateException("the chat page has no " + pattern.pattern());
        }
        String body = m.group(1);
        if (m.find()) {
            throw new IllegalStateException("the chat page has more than one " + pattern.pattern() + " (the CSP hashes one)");
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body.getBytes(StandardCharsets.UTF_8));
            return "'sha256-" + Base64.getEncoder().encodeToString(digest) + "'";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }
}
