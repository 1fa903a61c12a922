package dev.lfm2vl.langchain4j;

import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.lfm2vl.hub.ModelDownloader;
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
    public static final class Builder {
        private final ModelSettings settings = new ModelSettings();

        private Builder() {}

        /** The text GGUF (e.g. {@code LFM2-VL-3B-Q4_0.gguf}). */
        public Builder modelPath(Path modelPath) {
            settings.modelPath = modelPath;
            return this;
        }

        /** The vision projector GGUF ({@code mmproj-*.gguf}); without it the model reads text only. */
        public Builder mmprojPath(Path mmprojPath) {
            settings.mmprojPath = mmprojPath;
            return this;
        }

        /**
         * The model pair from a Hugging Face-compatible hub instead of paths, as {@code REPO[:QUANT]} (e.g.
         * {@code LiquidAI/LFM2-VL-3B-GGUF:Q4_0}): downloaded once into the cache of the {@code hub} module
         * ({@code HF_ENDPOINT}, {@code HF_TOKEN}, {@code LFM2VL_CACHE} apply), then reused.
         */
        public Builder hf(String repoAndQuant) {
            settings.hf = repoAndQuant;
            return this;
        }

        /** The downloader {@link #hf} uses (default: {@link ModelDownloader#fromEnvironment()}); the caller closes it. */
        public Builder hub(ModelDownloader downloader) {
            settings.hub = downloader;
            return this;
        }

        /** With {@link #hf}: resolve from the download cache only, never the network (default false). */
        public Builder offline(boolean offline) {
            settings.offline = offline;
            return this;
        }

        /**
         * A model already loaded, shared with other chat models (and the application): this one does not close it,
         * and its options (threads, context size, answer length, sampling) are the defaults here.
         */
        public Builder model(Lfm2Vl model) {
            settings.model = model;
            return this;
        }

        /** Sampling temperature; 0 picks the most likely token (default: the model card's 0.1). */
        public Builder temperature(Double temperature) {
            settings.temperature = temperature;
            return this;
        }

        /** Top-p (default 0.95). */
        public Builder topP(Double topP) {
            settings.topP = topP;
            return this;
        }

        /** Top-k, 0 = off (default 40). */
        public Builder topK(Integer topK) {
            settings.topK = topK;
            return this;
        }

        /** Answer length limit in tokens (default 256); a request's {@code maxOutputTokens} overrides it. */
        public Builder maxTokens(Integer maxTokens) {
            settings.maxTokens = maxTokens;
            return this;
        }

        /** The sampler's seed for every request, for repeatable answers (default: a new random seed per request). */
        public Builder seed(Long seed) {
            settings.seed = seed;
            return this;
        }

        /** Worker threads (default: all cores). */
        public Builder threads(Integer threads) {
            settings.threads = threads;
            return this;
        }

        /** Positions the KV cache holds: prompt, image tokens and answer (default 4096, at most the model's). */
        public Builder contextSize(Integer contextSize) {
            settings.contextSize = contextSize;
            return this;
        }

        /** Loads the model (unless {@link #model(Lfm2Vl) given}); memory-mapped, so quick whatever its size. */
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
