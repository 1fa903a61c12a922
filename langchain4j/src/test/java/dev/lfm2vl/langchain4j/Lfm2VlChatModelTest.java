package dev.lfm2vl.langchain4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.AudioContent;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.PdfFileContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.message.VideoContent;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.lfm2vl.hub.HubClient;
import dev.lfm2vl.hub.HubException;
import dev.lfm2vl.hub.ModelCache;
import dev.lfm2vl.hub.ModelDownloader;
import dev.lfm2vl.loader.Fixtures;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both chat models on the tiny fixture pair (random weights: the answers are gibberish, but the same gibberish as the
 * runtime's for the same prompt and settings). One model is loaded and shared by the tests ({@code model(Lfm2Vl)}).
 */
class Lfm2VlChatModelTest {
    private static final int MAX_TOKENS = 12;
    private static Lfm2Vl vlm;
    private static Lfm2VlChatModel chat;
    private static Lfm2VlStreamingChatModel streaming;

    /** The model card's sampling at temperature 0: what {@code lfm2vl caption --temp 0} uses. */
    private static Sampler.Settings greedy() {
        Sampler.Settings d = Sampler.Settings.defaults();
        return new Sampler.Settings(0f, d.minP(), d.topK(), d.topP(), d.repeatPenalty(), d.repeatLastN(), 0);
    }

    @BeforeAll
    static void load() throws Exception {
        vlm = Lfm2Vl.load(Fixtures.textModel("Q4_0"), Fixtures.mmproj("F16"),
                Lfm2Vl.Options.defaults().withThreads(2).withContextSize(1024));
        chat = Lfm2VlChatModel.builder().model(vlm).temperature(0.0).maxTokens(MAX_TOKENS).build();
        streaming = Lfm2VlStreamingChatModel.builder().model(vlm).temperature(0.0).maxTokens(MAX_TOKENS).build();
    }

    @AfterAll
    static void close() {
        if (chat != null) {
            chat.close();
            streaming.close();
            vlm.close();
        }
    }

    private static Path image() {
        return Fixtures.file("images/img_256x384.png");
    }

    private static UserMessage describe(ImageContent image) {
        return UserMessage.from(image, TextContent.from(Lfm2Vl.DESCRIBE));
    }

    /** A streaming request's events, in order. */
    private static final class Recorder implements StreamingChatResponseHandler {
        final List<String> pieces = new ArrayList<>();
        ChatResponse complete;
        Throwable error;
        int terminal;

        @Override
        public void onPartialResponse(String partialResponse) {
            assertNull(complete, "no piece after the complete response");
            pieces.add(partialResponse);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            complete = response;
            terminal++;
        }

        @Override
        public void onError(Throwable e) {
            error = e;
            terminal++;
        }

        String streamed() {
            return String.join("", pieces);
        }
    }

    @Test
    void greedyAnswerAboutAnImageIsTheRuntimesOwnAnswerWithItsUsageAndFinishReason() throws Exception {
        Lfm2Vl.Answer own = vlm.answer(null, Lfm2Vl.DESCRIBE, List.of(image()), greedy(), MAX_TOKENS, Listener.NONE);
        ChatResponse r = chat.chat(describe(ImageContent.from(image(), "image/png")));
        assertFalse(own.result().text().isEmpty());
        assertEquals(own.result().text(), r.aiMessage().text());
        assertEquals(own.result().promptPositions(), r.tokenUsage().inputTokenCount(), "prompt positions, image tokens included");
        assertTrue(r.tokenUsage().inputTokenCount() > own.imageTokens());
        assertEquals(own.result().tokens().length, r.tokenUsage().outputTokenCount());
        assertEquals(own.result().stopReason() == Generator.StopReason.END_OF_GENERATION ? FinishReason.STOP : FinishReason.LENGTH,
                r.finishReason());
        assertEquals(vlm.textModel().gguf().metadata().getString("general.name", "lfm2-vl"), r.modelName());
    }

    @Test
    void theImageAsBase64DataADataUrlOrAFileUrlGivesTheSameAnswer() throws Exception {
        byte[] png = Files.readAllBytes(image());
        String base64 = Base64.getEncoder().encodeToString(png);
        String expected = chat.chat(describe(ImageContent.from(image(), "image/png"))).aiMessage().text();
        assertEquals(expected, chat.chat(describe(ImageContent.from(base64, "image/png"))).aiMessage().text());
        assertEquals(expected, chat.chat(describe(ImageContent.from("data:image/png;base64," + base64))).aiMessage().text());
        assertEquals(expected, chat.chat(describe(ImageContent.from(image().toUri()))).aiMessage().text());
    }

    @Test
    void streamingGivesThePiecesOfTheNonStreamingAnswerThenTheCompleteResponse() {
        ChatResponse plain = chat.chat(describe(ImageContent.from(image(), "image/png")));
        Recorder rec = new Recorder();
        streaming.chat(List.of(describe(ImageContent.from(image(), "image/png"))), rec);
        assertNull(rec.error);
        assertEquals(1, rec.terminal);
        assertTrue(rec.pieces.size() > 1, "streamed in pieces: " + rec.pieces);
        assertEquals(plain.aiMessage().text(), rec.streamed());
        assertEquals(plain.aiMessage().text(), rec.complete.aiMessage().text());
        assertEquals(plain.tokenUsage(), rec.complete.tokenUsage());
        assertEquals(plain.finishReason(), rec.complete.finishReason());
    }

    @Test
    void aConversationWithAiMessageHistoryIsAnsweredAsItsHandWrittenChatMlPrompt() throws Exception {
        List<ChatMessage> messages = List.of(SystemMessage.from("Be brief."), describe(ImageContent.from(image(), "image/png")),
                AiMessage.from("A tall picture."), UserMessage.from("And the colours?"));
        Prompt written = Prompt.build(List.of(
                new ChatTemplate.Text("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"),
                new ChatTemplate.Image(0),
                new ChatTemplate.Text(Lfm2Vl.DESCRIBE + "<|im_end|>\n<|im_start|>assistant\nA tall picture.<|im_end|>\n"
                        + "<|im_start|>user\nAnd the colours?<|im_end|>\n<|im_start|>assistant\n")),
                vlm.tokenizer(), List.of(vlm.preprocess(image())), true);
        Generator.Result direct = vlm.answer(written, greedy(), MAX_TOKENS, Listener.NONE).result();
        ChatResponse r = chat.chat(messages);
        assertEquals(direct.text(), r.aiMessage().text());
        assertEquals(written.positions(), r.tokenUsage().inputTokenCount());
        Recorder rec = new Recorder();
        streaming.chat(messages, rec);
        assertEquals(direct.text(), rec.streamed());
    }

    @Test
    void aStopSequenceEndsTheAnswerBeforeItInBothModels() {
        String full = chat.chat(describe(ImageContent.from(image(), "image/png"))).aiMessage().text();
        assertTrue(full.length() >= 6, "a long enough answer to cut: " + full);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        String expected = full.substring(0, full.indexOf(stop));
        ChatRequest request = ChatRequest.builder().messages(describe(ImageContent.from(image(), "image/png")))
                .parameters(ChatRequestParameters.builder().stopSequences(stop).build()).build();
        ChatResponse r = chat.chat(request);
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
        assertTrue(r.tokenUsage().outputTokenCount() < MAX_TOKENS, "generation stopped early: " + r.tokenUsage());
        Recorder rec = new Recorder();
        streaming.chat(request, rec);
        assertEquals(expected, rec.streamed(), "no piece of the stop sequence was streamed");
        assertEquals(r.aiMessage().text(), rec.complete.aiMessage().text());
    }

    @Test
    void requestParametersOverrideTheBuildersAndUnsetOnesAreTheModelCards() {
        ChatRequestParameters d = Lfm2VlChatModel.builder().model(vlm).build().defaultRequestParameters();
        assertEquals(Sampler.Settings.DEFAULT_TEMPERATURE, d.temperature().floatValue());
        assertEquals(Sampler.Settings.DEFAULT_TOP_P, d.topP().floatValue());
        assertEquals(Sampler.Settings.DEFAULT_TOP_K, d.topK());
        assertEquals(vlm.options().maxTokens(), d.maxOutputTokens());
        assertEquals(0.0, chat.defaultRequestParameters().temperature());
        ChatResponse three = chat.chat(ChatRequest.builder().messages(UserMessage.from("Hello"))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(3).build()).build());
        assertEquals(3, three.tokenUsage().outputTokenCount());
        assertEquals(FinishReason.LENGTH, three.finishReason());
        // a seeded sampler at a high temperature repeats itself; the same settings give the same answer
        try (Lfm2VlChatModel hot = Lfm2VlChatModel.builder().model(vlm).temperature(1.5).topK(0).topP(1.0).seed(42L).maxTokens(8).build()) {
            assertEquals(hot.chat("Hello"), hot.chat("Hello"));
        }
        InvalidRequestException bad = assertThrows(InvalidRequestException.class, () -> chat.chat(ChatRequest.builder()
                .messages(UserMessage.from("Hello")).parameters(ChatRequestParameters.builder().topP(0.0).build()).build()));
        assertTrue(bad.getMessage().contains("top-p"), bad.getMessage());
    }

    @Test
    void anAiServiceTakingAnImageAnswersAsTheModelDoes() {
        interface Describer {
            @dev.langchain4j.service.UserMessage("Describe this image.")
            String describe(@dev.langchain4j.service.UserMessage ImageContent image);
        }
        Describer describer = dev.langchain4j.service.AiServices.create(Describer.class, chat);
        String answer = describer.describe(ImageContent.from(image(), "image/png"));
        assertEquals(chat.chat(UserMessage.from(TextContent.from(Lfm2Vl.DESCRIBE), ImageContent.from(image(), "image/png")))
                .aiMessage().text(), answer);
    }

    /** What an AiService returns: LangChain4j asks for JSON with this record's schema. */
    record Caption(String subject, int objects, boolean outdoor, List<String> colours) {}

    @Test
    void anAiServiceTakingAnImageReturnsARecordThroughTheJsonSchema() {
        interface Captioner {
            @dev.langchain4j.service.UserMessage("Describe this image.")
            Caption caption(@dev.langchain4j.service.UserMessage ImageContent image);
        }
        assertTrue(chat.supportedCapabilities().contains(dev.langchain4j.model.chat.Capability.RESPONSE_FORMAT_JSON_SCHEMA));
        // a hot sampler on the random-weight model: only the schema constraint makes its answer a Caption
        try (Lfm2VlChatModel hot = Lfm2VlChatModel.builder().model(vlm).temperature(1.5).topK(0).topP(1.0).seed(7L).maxTokens(96).build()) {
            Captioner captioner = dev.langchain4j.service.AiServices.create(Captioner.class, hot);
            for (int i = 0; i < 3; i++) {
                Caption c = captioner.caption(ImageContent.from(image(), "image/png"));
                assertNotNull(c.subject());
                assertNotNull(c.colours());
            }
        }
        // a JSON response format: the answer parses as the schema's object, even cut short by the token limit
        ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Describe it as JSON."))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(16).responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON)
                        .jsonSchema(JsonSchema.builder().name("Caption").rootElement(JsonObjectSchema.builder().addStringProperty("caption")
                                .required("caption").build()).build()).build()).build()).build());
        assertTrue(r.aiMessage().text().startsWith("{\"caption\":\"") && r.aiMessage().text().endsWith("\"}"), r.aiMessage().text());
    }

    @Test
    void unsupportedContentFailsWithAClearUnsupportedFeatureException() {
        assertUnsupported("audio", UserMessage.from(TextContent.from("Listen."), AudioContent.from("AAAA", "audio/wav")));
        assertUnsupported("video", UserMessage.from(VideoContent.from("AAAA", "video/mp4")));
        assertUnsupported("pdf", UserMessage.from(PdfFileContent.from("AAAA", "application/pdf")));
        assertUnsupported("tool", ToolExecutionResultMessage.from("id", "clock", "12:00"));
        assertUnsupported("scheme 'https:'", describe(ImageContent.from("https://example.com/cat.png")));
        assertUnsupported("application/pdf", describe(ImageContent.from(Base64.getEncoder().encodeToString(new byte[] {1}), "application/pdf")));
        assertUnsupported(chat, "tools", ChatRequest.builder().messages(UserMessage.from("What time is it?"))
                .parameters(ChatRequestParameters.builder().toolSpecifications(ToolSpecification.builder().name("clock").build()).build()).build());
        try (Lfm2Vl textOnly = load(null);
                Lfm2VlChatModel blind = Lfm2VlChatModel.builder().model(textOnly).build()) {
            assertUnsupported(blind, "mmproj", ChatRequest.builder().messages(describe(ImageContent.from(image(), "image/png"))).build());
        }
    }

    @Test
    void aBadImageFailsWithTheLoadersOneLineMessage() {
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> chat.chat(describe(ImageContent.from(Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}), "image/png"))));
        assertTrue(e.getMessage().startsWith("cannot load image image 1"), e.getMessage());
        Recorder rec = new Recorder();
        streaming.chat(List.of(describe(ImageContent.from("data:image/png;base64,!!!!"))), rec);
        assertInstanceOf(InvalidRequestException.class, rec.error);
        assertEquals(1, rec.terminal);
        assertNull(rec.complete);
    }

    @Test
    void cancellingFromTheStreamingHandleEndsWithOnErrorAndTheNextRequestIsUnaffected() {
        List<String> pieces = new ArrayList<>();
        Throwable[] error = new Throwable[1];
        boolean[] completed = {false};
        streaming.chat(List.of(describe(ImageContent.from(image(), "image/png"))), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                pieces.add(partial.text());
                context.streamingHandle().cancel();
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                completed[0] = true;
            }

            @Override
            public void onError(Throwable e) {
                error[0] = e;
            }
        });
        assertInstanceOf(CancellationException.class, error[0]);
        assertFalse(completed[0]);
        assertEquals(1, pieces.size(), "stopped before the next token");
        Recorder rec = new Recorder();
        streaming.chat(List.of(describe(ImageContent.from(image(), "image/png"))), rec);
        assertEquals(chat.chat(describe(ImageContent.from(image(), "image/png"))).aiMessage().text(), rec.streamed());
    }

    @Test
    void modelsBuiltFromPathsOwnTheirModelAndSharedOnesLeaveItOpen(@TempDir Path tmp) {
        String own;
        try (Lfm2VlChatModel fromFiles = Lfm2VlChatModel.builder().modelPath(Fixtures.textModel("Q4_0")).mmprojPath(Fixtures.mmproj("F16"))
                .threads(2).contextSize(1024).temperature(0.0).maxTokens(MAX_TOKENS).build();
                Lfm2VlStreamingChatModel sharing = Lfm2VlStreamingChatModel.builder().model(vlm).build()) {
            own = fromFiles.chat(describe(ImageContent.from(image(), "image/png"))).aiMessage().text();
            assertEquals(1024, fromFiles.model().options().contextSize());
            assertTrue(sharing.model() == vlm);
        }
        // closing the sharing model left the shared one open
        assertEquals(own, chat.chat(describe(ImageContent.from(image(), "image/png"))).aiMessage().text());
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> Lfm2VlChatModel.builder().build());
        assertTrue(none.getMessage().contains("modelPath"), none.getMessage());
        assertThrows(IllegalStateException.class, () -> Lfm2VlChatModel.builder().model(vlm).threads(4).build());
        HubException offline = assertThrows(HubException.class, () -> Lfm2VlStreamingChatModel.builder()
                .hf("LiquidAI/LFM2-VL-3B-GGUF:Q4_0").offline(true)
                .hub(new ModelDownloader(HubClient.fromEnvironment(java.util.Map.of()), new ModelCache(tmp))).build());
        assertFalse(offline.getMessage().contains("\n"), offline.getMessage());
    }

    private static Lfm2Vl load(Path mmproj) {
        try {
            return Lfm2Vl.load(Fixtures.textModel("Q4_0"), mmproj, Lfm2Vl.Options.defaults().withThreads(2).withContextSize(512));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void assertUnsupported(String mentions, ChatMessage message) {
        assertUnsupported(chat, mentions, ChatRequest.builder().messages(message).build());
        Recorder rec = new Recorder();
        streaming.chat(List.of(message), rec);
        assertInstanceOf(UnsupportedFeatureException.class, rec.error);
        assertEquals(1, rec.terminal);
    }

    private static void assertUnsupported(Lfm2VlChatModel model, String mentions, ChatRequest request) {
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class, () -> model.chat(request));
        assertTrue(e.getMessage().toLowerCase().contains(mentions.toLowerCase()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
}
