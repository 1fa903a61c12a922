package dev.lfm2vl.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Sampler;
import java.nio.file.Path;
import java.util.Set;

/**
 * LFM2-VL as a LangChain4j {@link ChatModel}, in this JVM on the CPU: system, user (text and images) and AI
 * messages; temperature, top-p, top-k, maximum output tokens and stop sequences per request; token usage (prompt
 * positions, image tokens included, and generated tokens) and finish reason in the response.
 *
 * <p>Images ({@code ImageContent}) come as base64 data or a {@code data:} or {@code file:} URL and go where they stand
 * among the message's text. Audio, video, PDF, tools and JSON response formats fail with an
 * {@code UnsupportedFeatureException}; a bad image or a prompt too long for the context with an
 * {@code InvalidRequestException}; an interrupted calling thread stops the answer with a
 * {@code CancellationException}.
 *
 * <p>Requests on one model are serialized: the model has one KV cache, so concurrent requests (from this instance or
 * any other sharing its {@link Lfm2Vl}, see {@link Builder#model(Lfm2Vl)}) wait their turn. Close it to unmap the
 * model it loaded.
 *
 * <pre>{@code
 * try (Lfm2VlChatModel model = Lfm2VlChatModel.builder().modelPath(text).mmprojPath(mmproj).build()) {
 *     ChatResponse r = model.chat(UserMessage.from(ImageContent.from(Path.of("photo.jpg"), "image/jpeg"),
 *             TextContent.from("Describe this image.")));
 * }
 * }</pre>
 */
public final class Lfm2VlChatModel implements ChatModel, AutoCloseable {
    private final ChatEngine engine;

    private Lfm2VlChatModel(ChatEngine engine) {
        this.engine = engine;
    }

    /** A builder; unset values are the model card's ({@link Lfm2Vl.Options#defaults()}, {@link Sampler.Settings#defaults()}). */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link Lfm2VlChatModel}: a model from files, from the hub, or one already loaded, and the request defaults. */
    public static final class Builder extends Lfm2VlModelBuilder<Builder, Lfm2VlChatModel> {
        private Builder() {}

        @Override
        Builder self() {
            return this;
        }

        @Override
        public Lfm2VlChatModel build() {
            return new Lfm2VlChatModel(settings.open());
        }
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        Thread caller = Thread.currentThread();
        return engine.chat(request, text -> {}, caller::isInterrupted);
    }

    /** The builder's values, the model card's where unset; a request's own parameters override them. */
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return engine.defaults();
    }

    /** JSON-schema output: a JSON response format constrains the sampler, so the answer always parses and validates. */
    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    /** The loaded model, to share with other chat models ({@link Builder#model(Lfm2Vl)}) while this one is open. */
    public Lfm2Vl model() {
        return engine.model();
    }

    /** Unmaps the model if this instance loaded it (one given to {@link Builder#model(Lfm2Vl)} stays open). */
    @Override
    public void close() {
        engine.close();
    }
}
