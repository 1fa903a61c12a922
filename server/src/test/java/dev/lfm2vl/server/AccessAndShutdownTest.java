package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The API key (constant-time compare, /health open), CORS, and the graceful stop. */
class AccessAndShutdownTest {
    static final String KEY = "s3cret-key";

    @Test
    void theApiKeyIsRequiredExceptForHealth() throws Exception {
        try (TestServer server = TestServer.start(ServerConfig.defaults().withApiKey(KEY).withCorsOrigins(List.of("http://ui.example")), 1, 2, 512)) {
            BadInputTest.assertError(server.get("/v1/models"), 401, "invalid_api_key", "API key");
            BadInputTest.assertError(server.get("/v1/models", "Authorization", "Bearer wrong"), 401, "invalid_api_key", "API key");
            BadInputTest.assertError(server.get("/v1/models", "Authorization", "Bearer " + KEY + "x"), 401, "invalid_api_key", "API key");
            BadInputTest.assertError(server.post("/v1/chat/completions", "{}"), 401, "invalid_api_key", "API key");
            assertEquals(200, server.get("/v1/models", "Authorization", "Bearer " + KEY).statusCode());
            assertEquals(200, server.get("/health").statusCode(), "health needs no key");
            OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey(KEY).modelName("m").maxTokens(3)
                    .temperature(0.0).maxRetries(0).build();
            ChatResponse r = model.chat(dev.langchain4j.data.message.UserMessage.from("Hi"));
            assertEquals(3, r.tokenUsage().outputTokenCount());
            // a browser's preflight from an allowed origin; another origin gets no CORS header
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(server.uri("/v1/chat/completions"))
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://ui.example")
                    .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, preflight.statusCode());
            assertEquals("http://ui.example", preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertTrue(preflight.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
            HttpResponse<String> other = http.send(HttpRequest.newBuilder(server.uri("/health")).header("Origin", "http://evil.example").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertTrue(other.headers().firstValue("Access-Control-Allow-Origin").isEmpty());
        }
    }

    @Test
    void stoppingLetsTheRequestInFlightFinishThenRefusesConnections() throws Exception {
        TestServer server = TestServer.start(ServerConfig.defaults(), 1, 2, 1024);
        int port = server.server.port();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(60)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,"
                        + "\"max_tokens\":200,\"stream\":true,\"stream_options\":{\"include_usage\":true}}")).build();
        HttpResponse<Stream<String>> response = http.send(request, HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        Iterator<String> lines = response.body().iterator();
        String first = lines.next();
        assertTrue(first.startsWith("data: "), first);
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(server::close); // while the answer is being generated
        StringBuilder rest = new StringBuilder();
        while (lines.hasNext()) {
            rest.append(lines.next()).append('\n');
        }
        stopped.get(30, TimeUnit.SECONDS);
        String events = rest.toString();
        assertTrue(events.contains("\"finish_reason\":\"length\""), "the answer was finished:\n" + events);
        assertTrue(events.contains("\"completion_tokens\":200"), events);
        assertTrue(events.endsWith("data: [DONE]\n\n"), events);
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "no longer listening");
        assertThrows(IOException.class, () -> http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                HttpResponse.BodyHandlers.ofString()));
    }
}
