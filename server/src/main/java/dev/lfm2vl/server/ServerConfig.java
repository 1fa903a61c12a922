package dev.lfm2vl.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How the HTTP side of {@code lfm2vl serve} runs (the engine's settings are {@link ChatEngine.Settings}).
 *
 * @param host              address to bind (127.0.0.1 by default: reachable from this machine only)
 * @param port              port to bind (0: any free port, see {@link OpenAiServer#port()})
 * @param apiKey            the key clients must send as {@code Authorization: Bearer KEY}, or null for none
 * @param maxBody           largest request body in bytes (413 beyond); also caps a file or remote image
 * @param corsOrigins       origins browsers may call from ({@code *}: any); empty: no CORS headers
 * @param mediaRoot         folder {@code file://} image URLs may read under, or null: file URLs refused
 * @param allowRemoteImages fetch {@code http(s)://} image URLs
 * @param metrics           serve {@code GET /metrics}
 * @param remoteTimeout     limit on fetching a remote image
 * @param drain             how long a stop waits for requests in flight
 * @param webui             serve the chat page at {@code GET /} ({@code --no-webui}: 404)
 */
public record ServerConfig(String host, int port, String apiKey, int maxBody, List<String> corsOrigins, Path mediaRoot,
        boolean allowRemoteImages, boolean metrics, Duration remoteTimeout, Duration drain, boolean webui) {
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_BODY = 32 << 20;

    public ServerConfig {
        corsOrigins = List.copyOf(corsOrigins);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        }
        if (maxBody < 1) {
            throw new IllegalArgumentException("--max-body must be at least 1 byte, got " + maxBody);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("the API key is empty");
        }
    }

    /** Loopback, port 8080, no key, 32 MiB bodies, no CORS, no file or remote images, no metrics, 10 s drain, the chat page. */
    public static ServerConfig defaults() {
        return new ServerConfig("127.0.0.1", DEFAULT_PORT, null, DEFAULT_MAX_BODY, List.of(), null, false, false,
                Duration.ofSeconds(20), Duration.ofSeconds(10), true);
    }

    public ServerConfig withPort(int p) {
        return new ServerConfig(host, p, apiKey, maxBody, corsOrigins, mediaRoot, allowRemoteImages, metrics, remoteTimeout, drain, webui);
    }

    public ServerConfig withApiKey(String k) {
        return new ServerConfig(host, port, k, maxBody, corsOrigins, mediaRoot, allowRemoteImages, metrics, remoteTimeout, drain, webui);
    }

    public ServerConfig withMaxBody(int b) {
        return new ServerConfig(host, port, apiKey, b, corsOrigins, mediaRoot, allowRemoteImages, metrics, remoteTimeout, drain, webui);
    }

    public ServerConfig withMediaRoot(Path root) {
        return new ServerConfig(host, port, apiKey, maxBody, corsOrigins, root, allowRemoteImages, metrics, remoteTimeout, drain, webui);
    }

    public ServerConfig withRemoteImages(boolean allowed) {
        return new ServerConfig(host, port, apiKey, maxBody, corsOrigins, mediaRoot, allowed, metrics, remoteTimeout, drain, webui);
    }

    public ServerConfig withMetrics(boolean on) {
        return new ServerConfig(host, port, apiKey, maxBody, corsOrigins, mediaRoot, allowRemoteImages, on, remoteTimeout, drain, webui);
    }

    public ServerConfig withCorsOrigins(List<String> origins) {
        return new ServerConfig(host, port, apiKey, maxBody, origins, mediaRoot, allowRemoteImages, metrics, remoteTimeout, drain, webui);
    }

    public ServerConfig withWebui(boolean on) {
        return new ServerConfig(host, port, apiKey, maxBody, corsOrigins, mediaRoot, allowRemoteImages, metrics, remoteTimeout, drain, on);
    }
}
