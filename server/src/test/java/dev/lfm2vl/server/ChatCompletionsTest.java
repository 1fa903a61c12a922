package dev.lfm2vl.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.lfm2vl.runtime.Generator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server driven by a real OpenAI client library (LangChain4j's), on the tiny fixture pair. */
class ChatCompletionsTest {
    static final String PROMPT = "Describe this image.";
    static final int MAX_TOKENS = 24;
    static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    static OpenAiChatModel chatModel(int maxTokens) {
        return OpenAiChatModel.builder().baseUrl(server.baseUrl()).apiKey("unused").modelName("whatever-the-client-names")
                .temperature(0.0).maxTokens(maxTokens).timeout(Duration.ofSeconds(60)).maxRetries(0).build();
    }

    static OpenAiStreamingChatModel streamingModel(int maxTokens) {
        return OpenAiStreamingChatModel.builder().baseUrl(server.baseUrl()).apiKey("unused").modelName("whatever")
                .temperature(0.0).maxTokens(maxTokens).timeout(Duration.ofSeconds(60)).build();
    }

    static UserMessage imageMessage(Path image, String prompt) throws Exception {
        String base64 = Base64.getEncoder().encodeToString(Files.readAllBytes(image));
        return UserMessage.from(ImageContent.from(base64, "image/png"), TextContent.from(prompt));
    }

    /** A streamed answer: the pieces in order and the final response. */
    record Streamed(List<String> pieces, ChatResponse response) {
        String text() {
            return String.join("", pieces);
        }
    }

    static Streamed stream(OpenAiStreamingChatModel model, UserMessage message) throws Exception {
        List<String> pieces = new ArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat(List.of(message), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                synchronized (pieces) {
                    pieces.add(partial);
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(120, TimeUnit.SECONDS);
        synchronized (pieces) {
            return new Streamed(List.copyOf(pieces), r);
        }
    }

    @Test
    void greedyAnswerToAnImageDataUrlEqualsTheRuntimesCaptionWithUsageCountingImagePositions() throws Exception {
        Path image = TestServer.image("img_256x384.png");
        Generator.Result expected = TestServer.reference(image, PROMPT, MAX_TOKENS);
        assertFalse(expected.text().isEmpty(), "the reference answer has text");
        ChatResponse r = chatModel(MAX_TOKENS).chat(imageMessage(image, PROMPT));
        assertEquals(expected.text(), r.aiMessage().text());
        assertEquals(expected.promptPositions(), r.tokenUsage().inputTokenCount(), "prompt tokens: text and image positions");
        assertTrue(expected.promptPositions() > 64, "the image takes at least 64 positions: " + expected.promptPositions());
        assertEquals(expected.tokens().length, r.tokenUsage().outputTokenCount());
        assertEquals(expected.stopReason() == Generator.StopReason.TOKEN_LIMIT ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason());
        assertEquals("lfm2-tiny", r.metadata().modelName(), "the loaded model's id, whatever the request named");
    }

    @Test
    void streamingGivesTheSameAnswerAndUsageAsNonStreaming() throws Exception {
        Path image = TestServer.image("img_700x300.png");
        ChatResponse plain = chatModel(MAX_TOKENS).chat(imageMessage(image, "What is in this picture?"));
        Streamed streamed = stream(streamingModel(MAX_TOKENS), imageMessage(image, "What is in this picture?"));
        assertEquals(plain.aiMessage().text(), streamed.text());
        assertEquals(plain.aiMessage().text(), streamed.response().aiMessage().text());
        assertTrue(streamed.pieces().size() > 1, "streamed in several pieces: " + streamed.pieces());
        assertEquals(plain.finishReason(), streamed.response().finishReason());
        assertNotNull(streamed.response().tokenUsage(), "the usage chunk (stream_options.include_usage)");
        assertEquals(plain.tokenUsage().inputTokenCount(), streamed.response().tokenUsage().inputTokenCount());
        assertEquals(plain.tokenUsage().outputTokenCount(), streamed.response().tokenUsage().outputTokenCount());
    }

    @Test
    void fourConcurrentStreamsEqualTheirSequentialAnswers() throws Exception {
        String[] images = {"img_256x384.png", "img_700x300.png", "img_64x48.png", "img_512x512.png"};
        List<UserMessage> messages = new ArrayList<>();
        for (int i = 0; i < images.length; i++) {
            messages.add(imageMessage(TestServer.image(images[i]), i % 2 == 0 ? PROMPT : "List the colours."));
        }
        OpenAiStreamingChatModel model = streamingModel(MAX_TOKENS);
        List<String> sequential = new ArrayList<>();
        for (UserMessage m : messages) {
            sequential.add(stream(model, m).text());
        }
        List<CompletableFuture<String>> concurrent = new ArrayList<>();
        for (UserMessage m : messages) {
            concurrent.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return stream(model, m).text();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (int i = 0; i < messages.size(); i++) {
            assertEquals(sequential.get(i), concurrent.get(i).get(120, TimeUnit.SECONDS), "request " + i);
        }
    }

    @Test
    void modelsListsTheLoadedModelAndHealthIsOpen() throws Exception {
        var models = server.get("/v1/models");
        assertEquals(200, models.statusCode());
        assertTrue(models.body().contains("\"id\":\"lfm2-tiny\""), models.body());
        assertTrue(models.body().contains("\"object\":\"list\""), models.body());
        var health = server.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"ok\"}", health.body());
        assertNull(health.headers().firstValue("Access-Control-Allow-Origin").orElse(null), "no CORS unless asked for");
    }

    @Test
    void aStopStringEndsTheAnswerBeforeItWithFinishReasonStop() throws Exception {
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        String base = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"temperature\":0,\"max_tokens\":20";
        var full = json.readTree(server.post("/v1/chat/completions", base + "}").body());
        String text = full.get("choices").get(0).get("message").get("content").asText();
        assertTrue(text.length() >= 6, text);
        String stop = text.substring(4, 6);
        var cut = json.readTree(server.post("/v1/chat/completions", base + ",\"stop\":[" + json.writeValueAsString(stop) + "]}").body());
        assertEquals(text.substring(0, text.indexOf(stop)), cut.get("choices").get(0).get("message").get("content").asText());
        assertEquals("stop", cut.get("choices").get(0).get("finish_reason").asText());
        assertTrue(cut.get("usage").get("completion_tokens").asInt() < 20, cut.toString());
    }
}
