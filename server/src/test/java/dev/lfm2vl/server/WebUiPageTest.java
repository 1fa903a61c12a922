package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The chat page at {@code GET /}: self-contained (no external URL), served with its CSP, off with --no-webui. */
class WebUiPageTest {

    static String resource() throws IOException {
        try (InputStream in = WebUi.class.getResourceAsStream("webui/index.html")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void thePageReferencesNothingOutsideTheServer() throws IOException {
        String page = resource().toLowerCase(Locale.ROOT);
        for (String external : List.of("http:", "https:", "ftp:", "ws:", "wss:", "\"//", "'//", "(//", "=//", "@import", "<link",
                "<iframe", "<object", "<embed", "cdn")) {
            assertFalse(page.contains(external), "the page must not reference anything outside the server: found " + external);
        }
        assertFalse(Pattern.compile("(^|[^a-z])url\\(").matcher(page).find(), "no CSS url(...)");
        // every src/href/action attribute and every fetch goes to this server (relative) or is data built in the page
        Matcher attr = Pattern.compile("\\b(src|href|action)\\s*=\\s*[\"']([^\"']*)").matcher(page);
        while (attr.find()) {
            assertTrue(attr.group(2).startsWith("/") && !attr.group(2).startsWith("//"), "attribute " + attr.group());
        }
        Matcher fetch = Pattern.compile("fetch\\(\\s*([^,)]*)").matcher(page);
        int fetches = 0;
        while (fetch.find()) {
            assertEquals("\"/v1/chat/completions\"", fetch.group(1), "the page calls only the server's own API");
            fetches++;
        }
        assertEquals(1, fetches);
    }

    @Test
    void getSlashServesThePageWithItsCspWithoutTheKey() throws Exception {
        try (TestServer server = TestServer.start(ServerConfig.defaults().withApiKey("k3y").withMaxBody(1 << 20), 1, 1, 256)) {
            HttpResponse<String> r = server.get("/");
            assertEquals(200, r.statusCode(), "the page needs no key (it asks for it)");
            assertEquals("text/html; charset=utf-8", r.headers().firstValue("Content-Type").orElse(null));
            String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
            assertTrue(csp.startsWith("default-src 'self';"), csp);
            assertTrue(csp.contains("connect-src 'self'"), csp);
            assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval"), csp);
            String body = r.body();
            // the CSP allows exactly the page's one inline script and one inline style, by hash
            assertTrue(csp.contains("script-src " + sha256(between(body, "<script>", "</script>")) + ";"), csp);
            assertTrue(csp.contains("style-src " + sha256(between(body, "<style>", "</style>")) + ";"), csp);
            // the server's values filled in
            assertTrue(body.contains("<meta name=\"lfm2vl-api-key\" content=\"required\">"), "key required");
            assertTrue(body.contains("<meta name=\"lfm2vl-max-body\" content=\"1048576\">"));
            assertTrue(body.contains("<meta name=\"lfm2vl-max-image-pixels\" content=\"100000000\">"));
            assertTrue(body.contains("<meta name=\"lfm2vl-temperature\" content=\"0.1\">"));
            assertTrue(body.contains("<meta name=\"lfm2vl-vision\" content=\"yes\">"));
            assertFalse(body.contains("{{"), "every placeholder filled");
            BadInputTest.assertError(server.post("/", "{}"), 405, "method_not_allowed", "POST");
            assertEquals(401, server.get("/v1/models").statusCode(), "the API still needs the key");
        }
    }

    @Test
    void noWebuiAnswers404() throws Exception {
        try (TestServer server = TestServer.start(ServerConfig.defaults().withWebui(false), 1, 1, 256)) {
            BadInputTest.assertError(server.get("/"), 404, "not_found", "--no-webui");
            assertEquals(200, server.get("/health").statusCode());
        }
    }

    static String between(String s, String open, String close) {
        int a = s.indexOf(open) + open.length();
        return s.substring(a, s.indexOf(close, a));
    }

    static String sha256(String s) throws Exception {
        return "'sha256-" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8))) + "'";
    }
}
