package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Conversation;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
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
        // one token, whose text tokenizes back to the same id: a fresh prefill of the resent conversation then sees the ids
        // the reused cache holds, and both answers agree (the tiny random model's longer answers are partial UTF-8 bytes
        // that tokenize to other ids: the next test)
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
    void aResentAnswerThatTokenizesToOtherIdsReusesTheGeneratedIdsAsTheRuntimesConversationKeepsThem() throws Exception {
        String question = "Tell me a story.";
        String followUp = "And then?";
        int maxTokens = 12;
        // the runtime's multi-turn chat keeps the ids it generated in its KV cache: the answers the slot must give
        Sampler.Settings greedy = new Sampler.Settings(0f, 0f, 0, 1f, 1f, 64, 0);
        Generator.Result first;
        Generator.Result second;
        int followUpPositions;
        int[] resentAnswer;
        try (Parallel pool = Parallel.create(TestServer.THREADS); Lfm2Model model = Lfm2Model.load(TestServer.model(), pool)) {
            Tokenizer tokenizer = model.tokenizer();
            Conversation chat = new Conversation(model, null, tokenizer, greedy, 1024, null);
            first = chat.send(question, maxTokens, Listener.NONE);
            Prompt next = chat.nextPrompt(followUp, List.of());
            followUpPositions = next.positions();
            second = chat.send(next, 8, Listener.NONE);
            Prompt resent = Prompt.build(ChatTemplate.pieces(List.of(ChatTemplate.Message.user(question),
                    ChatTemplate.Message.assistant(first.text()), ChatTemplate.Message.user(followUp)), true), tokenizer, List.of(), true);
            int[] ids = ((Prompt.Tokens) resent.parts().getFirst()).ids();
            resentAnswer = Arrays.copyOfRange(ids, first.promptPositions(), Math.min(ids.length, first.promptPositions() + first.tokens().length));
        }
        assertTrue(!Arrays.equals(first.tokens(), resentAnswer), "the test needs an answer whose text tokenizes to other ids: "
                + Arrays.toString(first.tokens()) + " vs " + Arrays.toString(resentAnswer));

        String settings = "\"temperature\":0,\"repetition_penalty\":1,";
        String turn1 = "{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(question) + "}";
        JsonNode a1 = JSON.readTree(server.post("/v1/chat/completions", "{" + settings + "\"max_tokens\":" + maxTokens + ",\"messages\":[" + turn1 + "]}").body());
        String answer = a1.get("choices").get(0).get("message").get("content").asText();
        assertEquals(first.text(), answer);
        assertEquals(first.tokens().length, a1.get("usage").get("completion_tokens").asInt());
        JsonNode a2 = JSON.readTree(server.post("/v1/chat/completions", "{" + settings + "\"max_tokens\":8,\"messages\":[" + turn1
                + ",{\"role\":\"assistant\",\"content\":" + JSON.writeValueAsString(answer) + "},{\"role\":\"user\",\"content\":"
                + JSON.writeValueAsString(followUp) + "}]}").body());
        int cached = a2.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt();
        assertEquals(a1.get("usage").get("prompt_tokens").asInt() + a1.get("usage").get("completion_tokens").asInt(), cached,
                "the whole first turn, the generated answer included, came from the cache: " + a2);
        assertEquals(cached + followUpPositions, a2.get("usage").get("prompt_tokens").asInt(), "the prompt counts the generated ids: " + a2);
        assertEquals(second.text(), a2.get("choices").get(0).get("message").get("content").asText(),
                "the answer continues the conversation the model had, as the runtime's Conversation does");
    }

    @Test
    void anAnswerCutByAStopStringIsNotReusedSinceTheCacheHoldsMoreThanTheClientGot() throws Exception {
        String settings = "\"temperature\":0,\"repetition_penalty\":1,\"max_tokens\":12,";
        String turn1 = "{\"role\":\"user\",\"content\":\"Tell me a story.\"}";
        String full = JSON.readTree(server.post("/v1/chat/completions", "{" + settings + "\"messages\":[" + turn1 + "]}").body())
                .get("choices").get(0).get("message").get("content").asText();
        String stop = full.substring(full.length() - 2);
        JsonNode cut = JSON.readTree(server.post("/v1/chat/completions", "{" + settings + "\"stop\":[" + JSON.writeValueAsString(stop)
                + "],\"messages\":[" + turn1 + "]}").body());
        String answer = cut.get("choices").get(0).get("message").get("content").asText();
        assertEquals(full.substring(0, full.indexOf(stop)), answer);
        JsonNode next = JSON.readTree(server.post("/v1/chat/completions", "{" + settings + "\"messages\":[" + turn1
                + ",{\"role\":\"assistant\",\"content\":" + JSON.writeValueAsString(answer) + "},{\"role\":\"user\",\"content\":\"More.\"}]}").body());
        assertEquals(0, next.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt(), next.toString());
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
