package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One slot and a queue of one: 503 past the queue, an abandoned stream freeing its slot, prefix reuse, the image cache. */
class SlotsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    /** The tiny model answers "Hi" without ever ending: a request that runs until its max_tokens. */
    static final String ENDLESS = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"max_tokens\":900,\"stream\":true}";
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start(ServerConfig.defaults().withMetrics(true), 1, 1, 1024);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for: " + what);
            Thread.sleep(5);
        }
    }

    /** Opens a streaming request on a raw socket and reads up to its first content chunk; the caller closes it to abandon it. */
    static Socket openStream(String body) throws Exception {
        Socket s = new Socket("127.0.0.1", server.server.port());
        s.setSoTimeout(20_000);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(bytes);
        out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith("data: ") && line.contains("\"content\":\"") && !line.contains("\"content\":\"\"")) {
                return s;
            }
        }
        throw new AssertionError("the stream ended before its first token");
    }

    @Test
    void pastTheQueueIs503WithRetryAfterAndAnAbandonedStreamFreesItsSlot() throws Exception {
        Metrics metrics = server.engine.metrics();
        long cancelledBefore = metrics.cancelled.get();
        long generatedBefore = metrics.generatedTokens.get();
        Socket running = openStream(ENDLESS); // takes the only slot
        CompletableFuture<HttpResponse<String>> queued = CompletableFuture.supplyAsync(() -> {
            try {
                return server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":3}");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        await(() -> server.engine.queued() == 1, "the second request waits in the queue");
        HttpResponse<String> refused = server.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}");
        BadInputTest.assertError(refused, 503, "server_busy", "retry later");
        assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));

        running.close(); // the client goes away mid-stream
        await(() -> metrics.cancelled.get() > cancelledBefore, "the abandoned request is dropped");
        HttpResponse<String> served = queued.get(30, TimeUnit.SECONDS);
        assertEquals(200, served.statusCode(), served.body());
        assertTrue(metrics.generatedTokens.get() - generatedBefore < 900, "the abandoned stream stopped before its 900 tokens");
        await(() -> server.engine.busySlots() == 0, "the slot is free");
    }

    @Test
    void aResentConversationOnlyPrefillsItsNewTurnAndAnswersAsAFreshPrefillWould() throws Exception {
        Path image = TestServer.image("img_256x384.png");
        String url = TestServer.dataUrl(image);
        String firstTurn = "{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"" + url
                + "\"}},{\"type\":\"text\",\"text\":\"Describe this image.\"}]}";
        // one token: the tiny random model's longer answers are partial UTF-8 bytes, which (as text) never tokenize back to
        // the same tokens, and reuse needs the resent conversation to be the same tokens as the slot holds
        JsonNode first = JSON.readTree(server.post("/v1/chat/completions", "{\"temperature\":0,\"max_tokens\":1,\"messages\":[" + firstTurn + "]}").body());
        String answer = first.get("choices").get(0).get("message").get("content").asText();
        int firstPrompt = first.get("usage").get("prompt_tokens").asInt();
        String second = "{\"temperature\":0,\"max_tokens\":6,\"messages\":[" + firstTurn + ",{\"role\":\"assistant\",\"content\":"
                + JSON.writeValueAsString(answer) + "},{\"role\":\"user\",\"content\":\"And the colours?\"}]}";
        long encodedBefore = server.engine.metrics().imagesEncoded.get();
        JsonNode reused = JSON.readTree(server.post("/v1/chat/completions", second).body());
        int cached = reused.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt();
        assertEquals(firstPrompt + 1, cached, "the slot's cache covered the first turn: " + cached + " of " + firstPrompt);
        assertEquals(encodedBefore, server.engine.metrics().imagesEncoded.get(), "the image was not encoded again");
        // the same request again: the slot now holds more than this prompt, so it starts over (a fresh prefill)
        JsonNode fresh = JSON.readTree(server.post("/v1/chat/completions", second).body());
        assertEquals(0, fresh.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt());
        assertEquals(fresh.get("choices").get(0).get("message").get("content").asText(),
                reused.get("choices").get(0).get("message").get("content").asText());
        assertEquals(fresh.get("usage").get("prompt_tokens").asInt(), reused.get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void aResentImageIsTakenFromTheCacheNotEncodedAgain() throws Exception {
        Metrics metrics = server.engine.metrics();
        Path image = TestServer.image("img_512x512.png");
        HttpResponse<String> first = server.post("/v1/chat/completions", TestServer.imageRequest(image, "What is it?", 2, false));
        assertEquals(200, first.statusCode(), first.body());
        long encoded = metrics.imagesEncoded.get();
        long hits = metrics.imageCacheHits.get();
        HttpResponse<String> again = server.post("/v1/chat/completions", TestServer.imageRequest(image, "Which colours?", 2, false));
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(encoded, metrics.imagesEncoded.get(), "not encoded again");
        assertEquals(hits + 1, metrics.imageCacheHits.get());
    }

    @Test
    void metricsArePrometheusText() throws Exception {
        HttpResponse<String> r = server.get("/metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        for (String name : new String[] {"lfm2vl_requests_total", "lfm2vl_errors_total", "lfm2vl_prompt_tokens_total",
                "lfm2vl_generated_tokens_total", "lfm2vl_decode_tokens_per_second", "lfm2vl_queue_depth", "lfm2vl_slots_busy",
                "lfm2vl_image_encode_seconds_total"}) {
            assertTrue(r.body().contains("\n" + name + " ") || r.body().startsWith(name + " "), name + " in:\n" + r.body());
            assertTrue(r.body().contains("# TYPE " + name + " "), name);
        }
    }
}
