package dev.lfm2vl.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the hub, on 127.0.0.1 with ephemeral ports: the "hub" server answers the tree listing and
 * redirects {@code /resolve/main/FILE} (302) to a second "cdn" server (another origin) that serves the bytes with
 * Range support. Modes make the cdn drop a connection, ignore Range, corrupt bytes or fail.
 */
final class FakeHub implements AutoCloseable {

    static final String REPO = "LiquidAI/LFM2-VL-3B-GGUF";

    /** Served files by name (insertion order = listing order). */
    final Map<String, byte[]> files = new LinkedHashMap<>();
    /** Names listed without an lfs object (no sha256). */
    final Set<String> plainFiles = ConcurrentHashMap.newKeySet();

    final AtomicInteger requests = new AtomicInteger();
    final AtomicInteger listingRequests = new AtomicInteger();
    final List<String> ranges = new CopyOnWriteArrayList<>();
    final List<String> hubAuth = new CopyOnWriteArrayList<>();
    final List<String> cdnAuth = new CopyOnWriteArrayList<>();

    /** Drop the connection half-way through the first (non-Range) download of each file. */
    volatile boolean dropFirst;
    /** Drop every response after this many bytes (negative: off). */
    volatile int dropAlwaysAfter = -1;
    /** On the first non-Range request per file, send this many bytes then stall (negative: off). */
    volatile int stallFirstAfter = -1;
    /** Answer Range requests with 200 and the whole file. */
    volatile boolean ignoreRange;
    /** Flip a byte of what is served (the listing keeps the true hash). */
    volatile boolean corrupt;
    /** Answer every cdn request with this status (0: off). */
    volatile int cdnStatus;
    /** Serve the listing in pages of this many entries with Link headers (0: one page). */
    volatile int pageSize;

    private final Set<String> dropped = ConcurrentHashMap.newKeySet();
    private final Set<String> stalled = ConcurrentHashMap.newKeySet();
    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    FakeHub() throws IOException {
        Random rnd = new Random(42);
        add("LFM2-VL-3B-Q4_0.gguf", rnd, 6000);
        add("LFM2-VL-3B-Q8_0.gguf", rnd, 7000);
        add("LFM2-VL-3B-F16.gguf", rnd, 8000);
        add("mmproj-LFM2-VL-3B-Q8_0.gguf", rnd, 3000);
        add("mmproj-LFM2-VL-3B-F16.gguf", rnd, 4000);
        files.put("README.md", "# LFM2-VL-3B-GGUF\n".getBytes(StandardCharsets.UTF_8));
        plainFiles.add("README.md");
        InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        hub = HttpServer.create(any, 0);
        cdn = HttpServer.create(any, 0);
        hub.setExecutor(pool);
        cdn.setExecutor(pool);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    private void add(String name, Random rnd, int size) {
        byte[] b = new byte[size];
        rnd.nextBytes(b);
        files.put(name, b);
    }

    String endpoint() {
        return "http://127.0.0.1:" + hub.getAddress().getPort();
    }

    String cdnBase() {
        return "http://127.0.0.1:" + cdn.getAddress().getPort();
    }

    /** Stops both servers (idempotent). */
    void stop() {
        hub.stop(0);
        cdn.stop(0);
    }

    @Override
    public void close() {
        stop();
        pool.shutdownNow();
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void hub(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex) {
            hubAuth.add(ex.getRequestHeaders().getFirst("Authorization") == null ? ""
                    : ex.getRequestHeaders().getFirst("Authorization"));
            String path = ex.getRequestURI().getRawPath();
            if (path.equals("/api/models/" + REPO + "/tree/main")) {
                listingRequests.incrementAndGet();
                listing(ex);
            } else if (path.startsWith("/" + REPO + "/resolve/main/")) {
                String file = path.substring(("/" + REPO + "/resolve/main/").length());
                if (!files.containsKey(file)) {
                    send(ex, 404, "{\"error\":\"Entry not found\"}");
                    return;
                }
                ex.getResponseHeaders().add("Location", cdnBase() + "/blobs/" + file + "?sig=abc");
                ex.sendResponseHeaders(302, -1);
            } else if (path.equals("/api/models/private/repo/tree/main")) {
                send(ex, 401, "{\"error\":\"Invalid username or password.\"}");
            } else if (path.startsWith("/api/models/")) {
                send(ex, 404, "{\"error\":\"Repository not found\"}");
            } else {
                send(ex, 404, "not found");
            }
        }
    }

    private void listing(HttpExchange ex) throws IOException {
        List<String> entries = new ArrayList<>();
        entries.add("{\"type\":\"directory\",\"oid\":\"0\",\"size\":0,\"path\":\"docs\"}");
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            String name = e.getKey();
            long size = e.getValue().length;
            if (plainFiles.contains(name)) {
                entries.add("{\"type\":\"file\",\"oid\":\"1234\",\"size\":" + size + ",\"path\":\"" + name + "\"}");
            } else {
                entries.add("{\"type\":\"file\",\"oid\":\"5678\",\"size\":" + size + ",\"lfs\":{\"oid\":\""
                        + sha256(e.getValue()) + "\",\"size\":" + size + ",\"pointerSize\":134},\"path\":\""
                        + name + "\"}");
            }
        }
        int from = 0;
        int to = entries.size();
        String q = ex.getRequestURI().getRawQuery();
        if (pageSize > 0) {
            from = q != null && q.startsWith("cursor=") ? Integer.parseInt(q.substring(7)) : 0;
            to = Math.min(entries.size(), from + pageSize);
            if (to < entries.size()) {
                ex.getResponseHeaders().add("Link", "<" + endpoint() + "/api/models/" + REPO
                        + "/tree/main?cursor=" + to + ">; rel=\"next\"");
            }
        }
        send(ex, 200, "[" + String.join(",", entries.subList(from, to)) + "]");
    }

    private void cdn(HttpExchange ex) throws IOException {
        requests.incrementAndGet();
        try (ex) {
            cdnAuth.add(ex.getRequestHeaders().getFirst("Authorization") == null ? ""
                    : ex.getRequestHeaders().getFirst("Authorization"));
            String path = ex.getRequestURI().getRawPath();
            byte[] data = path.startsWith("/blobs/") ? files.get(path.substring(7)) : null;
            if (data == null) {
                send(ex, 404, "no such blob");
                return;
            }
            if (cdnStatus != 0) {
                send(ex, cdnStatus, "failure");
                return;
            }
            if (corrupt) {
                data = data.clone();
                data[data.length / 3] ^= 1;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            if (range != null) {
                ranges.add(path.substring(7) + " " + range);
            }
            int start = 0;
            if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
                start = Integer.parseInt(range.substring(6, range.length() - 1));
                if (start >= data.length) {
                    ex.getResponseHeaders().add("Content-Range", "bytes */" + data.length);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().add("Content-Range",
                        "bytes " + start + "-" + (data.length - 1) + "/" + data.length);
                ex.sendResponseHeaders(206, data.length - start);
            } else {
                ex.sendResponseHeaders(200, data.length);
            }
            int len = data.length - start;
            int cut = -1;
            if (dropAlwaysAfter >= 0) {
                cut = Math.min(len, dropAlwaysAfter);
            } else if (dropFirst && start == 0 && dropped.add(path)) {
                cut = len / 2;
            }
            OutputStream os = ex.getResponseBody();
            if (stallFirstAfter >= 0 && start == 0 && stalled.add(path)) {
                os.write(data, 0, Math.min(len, stallFirstAfter));
                os.flush();
                try {
                    Thread.sleep(10_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IOException("fake hub: stalled");
            }
            if (cut >= 0 && cut < len) {
                os.write(data, start, cut);
                os.flush();
                throw new IOException("fake hub: dropping the connection"); // closes the socket mid-body
            }
            os.write(data, start, len);
        }
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }
}
