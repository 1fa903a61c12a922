package dev.lfm2vl.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * The OpenAI-compatible HTTP API over a {@link ChatEngine}: {@code POST /v1/chat/completions} (plain and SSE
 * streaming), {@code GET /v1/models}, {@code GET /health} (no key needed; 503 until the model is loaded) and, with
 * {@code --metrics}, {@code GET /metrics}; the chat page ({@link WebUi}) at {@code GET /} unless {@code --no-webui}.
 * Every refusal is a 4xx with OpenAI's error object, and the server stays up.
 *
 * <p>Built on the JDK's {@code com.sun.net.httpserver.HttpServer} with one virtual thread per exchange: no
 * dependency, and a request thread may block (waiting for its slot, for the next token, on a slow client) at the
 * cost of a virtual thread only. SSE is a chunked response flushed after every event.
 */
public final class OpenAiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ServerConfig config;
    private final HttpServer http;
    private final ExecutorService executor;
    private final ChatRequestParser parser;
    private final ImageSources images;
    private final byte[] keyDigest;
    private final WebUi webUi;
    private final Consumer<String> log;
    private volatile ChatEngine engine;
    private volatile Metrics metrics = new Metrics();
    private volatile boolean stopped;

    private OpenAiServer(ServerConfig config, Consumer<String> log) throws IOException {
        this.config = config;
        this.log = log;
        this.parser = new ChatRequestParser(config.maxBody());
        this.images = new ImageSources(config.mediaRoot(), config.allowRemoteImages(), config.maxBody(), config.remoteTimeout());
        this.keyDigest = config.apiKey() == null ? null : sha256(config.apiKey());
        this.webUi = config.webui() ? WebUi.load() : null;
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        http.setExecutor(executor);
        http.createContext("/", this::handle);
    }

    /**
     * Binds and starts serving; {@code /health} answers 503 and the API "loading" until {@link #attach} gives it the
     * engine. {@code log} gets the server's few lines (errors it did not expect).
     */
    public static OpenAiServer start(ServerConfig config, Consumer<String> log) throws IOException {
        OpenAiServer server = new OpenAiServer(config, log);
        server.http.start();
        return server;
    }

    /** The engine is loaded: the server is ready. */
    public void attach(ChatEngine engine) {
        this.metrics = engine.metrics();
        this.engine = engine;
    }

    /** The port bound (the one chosen by the system when the config asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    public String host() {
        return http.getAddress().getHostString();
    }

    /**
     * Stops gracefully: no new connections; requests in flight may finish for up to the config's drain time; then
     * the engine stops (anything still running gets an error) and closes the models.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
        }
        http.stop((int) Math.max(1, config.drain().toSeconds()));
        ChatEngine e = engine;
        if (e != null) {
            e.close();
        }
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            boolean cors = cors(ex);
            try {
                if (method.equals("OPTIONS")) {
                    if (cors) {
                        ex.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                        ex.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
                        ex.getResponseHeaders().set("Access-Control-Max-Age", "600");
                    }
                    ex.sendResponseHeaders(204, -1);
                    return;
                }
                switch (path) {
                    case "/" -> {
                        if (webUi == null) {
                            throw ApiError.notFound("the chat page is off (the server was started with --no-webui)");
                        }
                        requireMethod(ex, "GET");
                        page(ex); // no key needed: the page asks for it and sends it with its API calls
                    }
                    case "/health" -> {
                        requireMethod(ex, "GET");
                        boolean ready = engine != null && !stopped;
                        sendJson(ex, ready ? 200 : 503, JSON.createObjectNode().put("status", ready ? "ok" : stopped ? "stopping" : "loading"));
                    }
                    case "/v1/models", "/models" -> {
                        requireMethod(ex, "GET");
                        authorize(ex);
                        models(ex);
                    }
                    case "/v1/chat/completions", "/chat/completions" -> {
                        requireMethod(ex, "POST");
                        authorize(ex);
                        chat(ex);
                    }
                    case "/metrics" -> {
                        if (!config.metrics()) {
                            throw ApiError.notFound("metrics are off (start the server with --metrics)");
                        }
                        requireMethod(ex, "GET");
                        authorize(ex);
                        ChatEngine e = ready();
                        byte[] body = metrics.render(e::queued, e::busySlots, e.slotCount()).getBytes(StandardCharsets.UTF_8);
                        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                        ex.sendResponseHeaders(200, body.length);
                        ex.getResponseBody().write(body);
                    }
                    default -> throw ApiError.notFound("no such endpoint: " + ChatRequestParser.clip(path)
                            + " (POST /v1/chat/completions, GET /v1/models, GET /health)");
                }
            } catch (ApiError e) {
                sendError(ex, e);
            }
        } catch (IOException e) {
            // the client went away; nothing to answer
        } catch (RuntimeException | Error e) {
            // a bug or an exhausted JVM: say so in the log and, when the response has not begun, to the client
            log.accept("error: " + e);
            try {
                sendError(ex, ApiError.internal("internal error: " + e.getClass().getSimpleName()));
            } catch (IOException | RuntimeException ignored) {
                // the response had begun, or the client is gone
            }
        } finally {
            ex.close(); // after the catches: a try-with-resources would close before they answer
        }
    }

    private void page(HttpExchange ex) throws IOException {
        byte[] body = webUi.render(config, engine);
        ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
        ex.getResponseHeaders().set("Content-Security-Policy", webUi.contentSecurityPolicy());
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private ChatEngine ready() throws ApiError {
        ChatEngine e = engine;
        if (e == null) {
            throw ApiError.unavailable("the model is still loading");
        }
        return e;
    }

    private static void requireMethod(HttpExchange ex, String method) throws ApiError {
        if (!ex.getRequestMethod().equals(method)) {
            ex.getResponseHeaders().set("Allow", method);
            throw ApiError.methodNotAllowed(ex.getRequestMethod(), ex.getRequestURI().getPath());
        }
    }

    /** The key check: SHA-256 of both sides compared with MessageDigest.isEqual, in time independent of the key. */
    private void authorize(HttpExchange ex) throws ApiError {
        if (keyDigest == null) {
            return;
        }
        String header = ex.getRequestHeaders().getFirst("Authorization");
        String given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : "";
        if (!MessageDigest.isEqual(keyDigest, sha256(given))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            throw ApiError.unauthorized();
        }
    }

    /** Adds the CORS header when the request's Origin is allowed; true then. */
    private boolean cors(HttpExchange ex) {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin == null || config.corsOrigins().isEmpty()) {
            return false;
        }
        boolean any = config.corsOrigins().contains("*");
        if (!any && !config.corsOrigins().contains(origin)) {
            return false;
        }
        ex.getResponseHeaders().set("Access-Control-Allow-Origin", any ? "*" : origin);
        ex.getResponseHeaders().add("Vary", "Origin");
        return true;
    }

    private void models(HttpExchange ex) throws IOException, ApiError {
        ChatEngine e = ready();
        ObjectNode root = JSON.createObjectNode().put("object", "list");
        root.putArray("data").addObject().put("id", e.modelId()).put("object", "model").put("created", 0).put("owned_by", "lfm2vl");
        sendJson(ex, 200, root);
    }

    /** The body, at most {@code --max-body} bytes (413 beyond: refused from Content-Length before reading when it says so). */
    private byte[] body(HttpExchange ex) throws IOException, ApiError {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > config.maxBody()) {
                    throw ApiError.bodyTooLarge(config.maxBody());
                }
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("invalid_request", "bad Content-Length header");
            }
        }
        InputStream in = ex.getRequestBody();
        byte[] body = in.readNBytes(config.maxBody() + 1);
        if (body.length > config.maxBody()) {
            throw ApiError.bodyTooLarge(config.maxBody());
        }
        return body;
    }

    private void chat(HttpExchange ex) throws IOException, ApiError {
        ChatEngine e = ready();
        metrics.requests.incrementAndGet();
        ChatRequest request = parser.parse(body(ex));
        List<ChatRequest.Image> parts = request.images();
        List<byte[]> bytes = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            bytes.add(images.fetch(parts.get(i).url(), i + 1));
        }
        ChatEngine.Job job = e.submit(request, bytes);
        String id = "chatcmpl-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        long created = System.currentTimeMillis() / 1000;
        try {
            if (request.stream()) {
                stream(ex, job, request, id, created, e.modelId());
            } else {
                complete(ex, job, id, created, e.modelId());
            }
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            job.cancel();
        } finally {
            job.cancel(); // a no-op once finished; frees the slot when the client went away
        }
    }

    private void complete(HttpExchange ex, ChatEngine.Job job, String id, long created, String model)
            throws IOException, ApiError, InterruptedException {
        StringBuilder text = new StringBuilder();
        while (true) {
            switch (job.next()) {
                case ChatEngine.Text t -> text.append(t.text());
                case ChatEngine.Failed f -> throw f.error();
                case ChatEngine.Done d -> {
                    ObjectNode root = JSON.createObjectNode().put("id", id).put("object", "chat.completion").put("created", created)
                            .put("model", model);
                    ObjectNode choice = root.putArray("choices").addObject().put("index", 0);
                    choice.putObject("message").put("role", "assistant").put("content", text.toString());
                    choice.putNull("logprobs");
                    choice.put("finish_reason", d.finishReason());
                    usage(root, d);
                    sendJson(ex, 200, root);
                    return;
                }
            }
        }
    }

    private void stream(HttpExchange ex, ChatEngine.Job job, ChatRequest request, String id, long created, String model)
            throws IOException, InterruptedException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        ObjectNode first = chunk(id, created, model);
        ObjectNode delta = ((ObjectNode) first.get("choices").get(0)).putObject("delta");
        delta.put("role", "assistant").put("content", "");
        send(out, first);
        while (true) {
            switch (job.next()) {
                case ChatEngine.Text t -> {
                    ObjectNode c = chunk(id, created, model);
                    ((ObjectNode) c.get("choices").get(0)).putObject("delta").put("content", t.text());
                    send(out, c);
                }
                case ChatEngine.Failed f -> {
                    metrics.errors.incrementAndGet();
                    send(out, errorBody(f.error()));
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    return;
                }
                case ChatEngine.Done d -> {
                    ObjectNode last = chunk(id, created, model);
                    ObjectNode choice = (ObjectNode) last.get("choices").get(0);
                    choice.putObject("delta");
                    choice.put("finish_reason", d.finishReason());
                    send(out, last);
                    if (request.includeUsage()) {
                        ObjectNode u = JSON.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created)
                                .put("model", model);
                        u.putArray("choices");
                        usage(u, d);
                        send(out, u);
                    }
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    return;
                }
            }
        }
    }

    private static ObjectNode chunk(String id, long created, String model) {
        ObjectNode c = JSON.createObjectNode().put("id", id).put("object", "chat.completion.chunk").put("created", created).put("model", model);
        ArrayNode choices = c.putArray("choices");
        ObjectNode choice = choices.addObject().put("index", 0);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return c;
    }

    private static void usage(ObjectNode root, ChatEngine.Done d) {
        ObjectNode u = root.putObject("usage").put("prompt_tokens", d.promptTokens()).put("completion_tokens", d.completionTokens())
                .put("total_tokens", d.promptTokens() + d.completionTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", d.cachedTokens());
    }

    /** One SSE event, flushed at once (the chunked stream sends it as one chunk). */
    private static void send(OutputStream out, ObjectNode event) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(event) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode errorBody(ApiError e) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("error").put("message", e.getMessage()).put("type", e.type()).put("code", e.code());
        return root;
    }

    private void sendError(HttpExchange ex, ApiError e) throws IOException {
        metrics.errors.incrementAndGet();
        if (e.retryAfterSeconds() > 0) {
            ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfterSeconds()));
        }
        if (e.status() == 413) {
            ex.getResponseHeaders().set("Connection", "close"); // the unread rest of the body is not drained
        }
        sendJson(ex, e.status(), errorBody(e));
    }

    private static void sendJson(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        // closing the body stream sends the response before the exchange drains any unread request body (a 413)
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }
}
