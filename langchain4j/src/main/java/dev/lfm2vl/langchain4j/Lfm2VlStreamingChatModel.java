package dev.lfm2vl.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Sampler;
import java.util.Set;

/**
 * LFM2-VL as a LangChain4j {@link StreamingChatModel}: the same messages, parameters and errors as
 * {@link Lfm2VlChatModel}, with the answer streamed. The request runs on the calling thread: the handler gets
 * {@code onPartialResponse} for each piece of text as it is generated (held back only while it may be the start of a
 * stop sequence), then {@code onCompleteResponse} with the whole answer, usage and finish reason; or
 * {@code onError} once, on failure (unsupported content, bad image, prompt too long...) or cancellation (a
 * {@code CancellationException}). Cancel with the {@link StreamingHandle} of the partial response's context, or by
 * interrupting the calling thread: the answer stops before its next token (between encoder blocks and prefill
 * layers while the prompt is read).
 *
 * <p>Requests on one model are serialized: the model has one KV cache, so concurrent requests (from this instance or
 * any other sharing its {@link Lfm2Vl}, see {@link Builder#model(Lfm2Vl)}) wait their turn.
 */
public final class Lfm2VlStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private final ChatEngine engine;

    private Lfm2VlStreamingChatModel(ChatEngine engine) {
        this.engine = engine;
    }

    /** A builder; unset values are the model card's ({@link Lfm2Vl.Options#defaults()}, {@link Sampler.Settings#defaults()}). */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link Lfm2VlStreamingChatModel}: a model from files, from the hub, or one already loaded, and the request defaults. */
    public static final class Builder extends Lfm2VlModelBuilder<Builder, Lfm2VlStreamingChatModel> {
        private Builder() {}

        @Override
        Builder self() {
            return this;
        }

        @Override
        public Lfm2VlStreamingChatModel build() {
            return new Lfm2VlStreamingChatModel(settings.open());
        }
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        Thread caller = Thread.currentThread();
        Cancel cancel = new Cancel();
        PartialResponseContext context = new PartialResponseContext(cancel);
        ChatResponse response;
        try {
            response = engine.chat(request, text -> handler.onPartialResponse(new PartialResponse(text), context),
                    () -> cancel.cancelled || caller.isInterrupted());
        } catch (RuntimeException e) {
            handler.onError(e);
            return;
        }
        handler.onCompleteResponse(response);
    }

    /** The handle a handler can stop the answer with; polled before each token. */
    private static final class Cancel implements StreamingHandle {
        volatile boolean cancelled;

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
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
