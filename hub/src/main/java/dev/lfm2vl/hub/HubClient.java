package dev.lfm2vl.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Talks to a Hugging Face-style hub: lists a repository ({@code GET {endpoint}/api/models/{repo}/tree/main}, following
 * {@code Link: <...>; rel="next"} pages) and opens file downloads ({@code GET {endpoint}/{repo}/resolve/main/{file}}).
 * Redirects are followed here (up to {@value #MAX_REDIRECTS}), keeping the {@code Range} header; the
 * {@code Authorization: Bearer} header goes only to the endpoint's own origin, never to the CDN it redirects to.
 * The token is never printed.
 */
public final class HubClient implements AutoCloseable {

    /** The hub's default endpoint (as in the hub's own tools), overridden by {@code HF_ENDPOINT}. */
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    static final int MAX_REDIRECTS = 10;
    private static final int MAX_PAGES = 1000;
    private static final String USER_AGENT = "lfm2vl-java/0.1";
    private static final Pattern NEXT_LINK = Pattern.compile("<([^>]*)>\\s*;[^,]*rel=\"?next\"?");

    private final URI endpoint;
    private final String endpointText;
    private final String token;
    private final HttpClient http;
    private final Duration requestTimeout;

    /**
     * @param endpoint       e.g. {@code https://huggingface.co} (trailing slashes are dropped)
     * @param token          a hub access token, or null/blank for none
     * @param connectTimeout the TCP/TLS connect timeout
     * @param requestTimeout how long to wait for a response's headers
     */
    public HubClient(String endpoint, String token, Duration connectTimeout, Duration requestTimeout) {
        String e = endpoint == null ? "" : endpoint.strip();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        URI uri;
        try {
            uri = new URI(e);
        } catch (URISyntaxException ex) {
            throw new HubException("invalid hub endpoint '" + endpoint + "': " + ex.getMessage(), ex);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new HubException("invalid hub endpoint '" + endpoint + "': expected http(s)://HOST[:PORT]");
        }
        this.endpoint = uri;
        this.endpointText = e;
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.requestTimeout = requestTimeout;
        this.http = HttpClient.newBuilder()
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** A client with a 15 s connect timeout and a 60 s response timeout. */
    public HubClient(String endpoint, String token) {
        this(endpoint, token, Duration.ofSeconds(15), Duration.ofSeconds(60));
    }

    /** A client for {@code $HF_ENDPOINT} (default {@value #DEFAULT_ENDPOINT}) with the token {@code $HF_TOKEN}. */
    public static HubClient fromEnvironment(Map<String, String> env) {
        String e = env.get("HF_ENDPOINT");
        return new HubClient(e == null || e.isBlank() ? DEFAULT_ENDPOINT : e, env.get("HF_TOKEN"));
    }

    /** {@link #fromEnvironment(Map)} with {@link System#getenv()}. */
    public static HubClient fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    /** The endpoint without a trailing slash. */
    public String endpoint() {
        return endpointText;
    }

    /** How long to wait for a response's headers (also the downloader's default stall timeout). */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Whether a token is sent. */
    public boolean hasToken() {
        return token != null;
    }

    /**
     * Lists the top-level files of {@code repo} on the main branch.
     *
     * @throws HubException if the repository does not exist, access is denied, the answer is malformed or the
     *                      endpoint cannot be reached
     */
    public HubListing listFiles(String repo) {
        if (!HubModelRef.validRepo(repo)) {
            throw HubException.badRequest("invalid repository '" + repo + "'");
        }
        URI next = URI.create(endpointText + "/api/models/" + repo + "/tree/main");
        HubListing all = new HubListing(java.util.List.of());
        for (int page = 0; next != null; page++) {
            if (page >= MAX_PAGES) {
                throw new HubException("the listing of " + repo + " on " + endpointText + " has too many pages");
            }
            HttpResponse<InputStream> r;
            String body;
            try {
                r = get(next, null);
                try (InputStream in = r.body()) {
                    body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                throw unreachable(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException("interrupted while listing " + repo, e);
            }
            int s = r.statusCode();
            if (s != 200) {
                throw listingError(repo, s);
            }
            try {
                all = all.concat(HubListing.parse(body));
            } catch (IllegalArgumentException e) {
                throw new HubException("unexpected listing of " + repo + " from " + endpointText + " ("
                        + e.getMessage() + ")", e);
            }
            next = nextPage(r, next);
        }
        return all;
    }

    private HubException listingError(String repo, int status) {
        return switch (status) {
            case 404 -> HubException.badRequest("repository " + repo + " not found on " + endpointText);
            case 401 -> new HubException(token == null
                    ? "repository " + repo + " not found on " + endpointText
                            + " (HTTP 401: it may be private or gated; set HF_TOKEN)"
                    : "access to " + repo + " on " + endpointText + " denied (HTTP 401); check HF_TOKEN");
            case 403 -> new HubException("access to " + repo + " on " + endpointText
                    + " denied (HTTP 403); the model may be gated: accept its terms on the hub and set HF_TOKEN");
            default -> new HubException("listing " + repo + " on " + endpointText + " failed (HTTP " + status + ")");
        };
    }

    private static URI nextPage(HttpResponse<?> r, URI current) {
        for (String link : r.headers().allValues("Link")) {
            Matcher m = NEXT_LINK.matcher(link);
            if (m.find()) {
                try {
                    return current.resolve(m.group(1));
                } catch (IllegalArgumentException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /** {@code {endpoint}/{repo}/resolve/main/{file}} with the file name percent-encoded. */
    public URI fileUri(String repo, String fileName) {
        return URI.create(endpointText + "/" + repo + "/resolve/main/" + encodeSegment(fileName));
    }

    /**
     * Sends a GET, following redirects, with an optional {@code Range} header value; returns the first
     * non-redirect response (its body must be closed by the caller).
     */
    HttpResponse<InputStream> get(URI uri, String range) throws IOException, InterruptedException {
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(current).GET().timeout(requestTimeout)
                    .header("User-Agent", USER_AGENT);
            if (range != null) {
                b.header("Range", range);
            }
            if (token != null && sameOrigin(current, endpoint)) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            int s = r.statusCode();
            if (s == 301 || s == 302 || s == 303 || s == 307 || s == 308) {
                Optional<String> loc = r.headers().firstValue("Location");
                r.body().close();
                if (loc.isEmpty()) {
                    throw new IOException("HTTP " + s + " redirect without a Location from " + current.getHost());
                }
                try {
                    current = current.resolve(new URI(loc.get().strip()));
                } catch (URISyntaxException | IllegalArgumentException e) {
                    throw new IOException("bad redirect location from " + current.getHost(), e);
                }
                if (current.getScheme() == null || !current.getScheme().toLowerCase(Locale.ROOT).startsWith("http")) {
                    throw new IOException("redirect to a non-HTTP location from " + uri.getHost());
                }
                continue;
            }
            return r;
        }
        throw new IOException("too many redirects for " + uri);
    }

    /** The one-line "cannot reach" error for a failed connection. */
    HubException unreachable(IOException e) {
        return new HubException(HubException.Kind.UNREACHABLE, "cannot reach " + endpointText + " (" + describe(e) + ")", e);
    }

    /** A short human description of a network failure. */
    static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
                return "unknown host";
            }
            if (t instanceof HttpConnectTimeoutException) {
                return "connection timed out";
            }
            if (t instanceof HttpTimeoutException) {
                return "no response in time";
            }
        }
        if (e instanceof ConnectException) {
            return e.getMessage() == null || e.getMessage().isBlank() ? "connection refused"
                    : e.getMessage().toLowerCase(Locale.ROOT);
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    static String encodeSegment(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            int c = x & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                b.append((char) c);
            } else {
                b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    @Override
    public String toString() {
        return "HubClient[" + endpointText + (token != null ? ", with token" : "") + "]";
    }
}
