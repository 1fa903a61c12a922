package dev.lfm2vl.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.internal.Json;
import dev.langchain4j.internal.JsonSchemaElementUtils;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.structured.SchemaException;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One {@link Lfm2Vl} answering LangChain4j chat requests, for both chat models: the messages become the prompt
 * ({@link ChatMessages}), the request parameters the sampler settings and answer length, and the answer streams
 * through the stop sequences ({@link StopSequences}) to the caller. Requests on one {@code Lfm2Vl} take turns
 * ({@link Lfm2Vl#answer(Prompt, Sampler.Settings, int, Listener)} holds its one KV cache for the whole request).
 */
final class ChatEngine implements AutoCloseable {
    private final Lfm2Vl vlm;
    private final boolean owned;
    /** The sampler settings of a request that sets nothing (the seed is replaced per request unless fixed). */
    private final Sampler.Settings sampling;
    private final Long seed;
    private final ChatRequestParameters defaults;
    private final String modelName;

    ChatEngine(Lfm2Vl vlm, boolean owned, ModelSettings s) {
        this.vlm = vlm;
        this.owned = owned;
        this.seed = s.seed;
        Sampler.Settings base = vlm.options().sampling();
        this.sampling = settings(base, s.temperature, s.topP, s.topK);
        if (s.maxTokens != null && s.maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + s.maxTokens);
        }
        int maxTokens = s.maxTokens != null ? s.maxTokens : vlm.options().maxTokens();
        this.defaults = DefaultChatRequestParameters.builder()
                .modelName(name(vlm))
                .temperature((double) sampling.temperature())
                .topP((double) sampling.topP())
                .topK(sampling.topK())
                .maxOutputTokens(maxTokens < 0 ? null : maxTokens)
                .build();
        this.modelName = defaults.modelName();
    }

    Lfm2Vl model() {
        return vlm;
    }

    /** The builder's values with the model card's for the unset ones: what a request that sets nothing gets. */
    ChatRequestParameters defaults() {
        return defaults;
    }

    /**
     * Answers {@code request} (its parameters already merged with {@link #defaults()}), streaming each piece of text
     * that is final to {@code onText}; {@code cancelled} is polled between encoder blocks, prefill layers and tokens.
     *
     * @throws UnsupportedFeatureException for content, messages or parameters the model does not support
     * @throws InvalidRequestException     for a bad image, a prompt too long for the context, bad parameter values
     * @throws CancellationException       if {@code cancelled} stopped the request
     */
    ChatResponse chat(ChatRequest request, Consumer<String> onText, BooleanSupplier cancelled) {
        ChatRequestParameters p = request.parameters();
        checkSupported(p);
        Sampler.Settings settings;
        try {
            settings = settings(sampling, p.temperature(), p.topP(), p.topK())
                    .withSeed(seed != null ? seed : new Random().nextLong());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        }
        int maxTokens = p.maxOutputTokens() != null ? positive(p.maxOutputTokens(), "maxOutputTokens") : -1;
        StopSequences stops = new StopSequences(p.stopSequences());
        TokenConstraint constraint = jsonOutput(p.responseFormat(), maxTokens);
        Prompt prompt = ChatMessages.prompt(vlm, request.messages());
        Listener listener = new Listener() {
            @Override
            public void onToken(int id, String piece) {
                String shown = stops.accept(piece);
                if (!shown.isEmpty()) {
                    onText.accept(shown);
                }
            }

            @Override
            public boolean cancelled() {
                return stops.stopped() || cancelled.getAsBoolean();
            }
        };
        Generator.Result r;
        try {
            r = vlm.answer(prompt, settings, maxTokens, listener, constraint).result();
        } catch (IllegalArgumentException e) { // PromptTooLongException: says what would make it fit
            throw new InvalidRequestException(e.getMessage(), e);
        }
        FinishReason finish;
        if (stops.stopped()) {
            finish = FinishReason.STOP;
        } else {
            finish = switch (r.stopReason()) {
                case END_OF_GENERATION -> FinishReason.STOP;
                case TOKEN_LIMIT, CONTEXT_FULL -> FinishReason.LENGTH;
                case CANCELLED -> throw new CancellationException("the request was cancelled after " + r.tokens().length + " tokens");
            };
            String rest = stops.finish();
            if (!rest.isEmpty()) {
                onText.accept(rest);
            }
        }
        return ChatResponse.builder()
                .aiMessage(AiMessage.from(stops.text()))
                .modelName(modelName)
                .tokenUsage(new TokenUsage(r.promptPositions(), r.tokens().length))
                .finishReason(finish)
                .build();
    }

    /** Refuses what the model cannot do: tools, frequency and presence penalties. */
    private static void checkSupported(ChatRequestParameters p) {
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tools are not supported: LFM2-VL calls no tools");
        }
        if (p.toolChoice() == dev.langchain4j.model.chat.request.ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("tool choice REQUIRED is not supported: LFM2-VL calls no tools");
        }
        if (p.frequencyPenalty() != null || p.presencePenalty() != null) {
            throw new UnsupportedFeatureException("frequency and presence penalties are not supported (the sampler has "
                    + "llama.cpp's repetition penalty, at the model card's 1.05)");
        }
    }

    /**
     * The constraint of a JSON response format (null for text): its schema, or any JSON object when it has none,
     * compiled by the runtime's structured-output engine (README, structured output). A schema keyword the engine
     * does not support is refused with its JSON pointer, never answered with unconstrained text.
     */
    private TokenConstraint jsonOutput(ResponseFormat format, int maxTokens) {
        if (format == null || format.type() != ResponseFormatType.JSON) {
            return null;
        }
        String schema = format.jsonSchema() == null ? "{\"type\":\"object\"}"
                : Json.toJson(everyPropertyRequired(JsonSchemaElementUtils.toMap(format.jsonSchema().rootElement())));
        try {
            return vlm.jsonConstraint(schema, maxTokens);
        } catch (SchemaException e) {
            throw new UnsupportedFeatureException("JSON response format: " + e.getMessage());
        }
    }

    /**
     * A LangChain4j schema as the Java type behind it needs it: every object's properties required, as OpenAI's strict
     * mode reads it (LangChain4j lists no required fields for a record, and the engine never generates an optional
     * property it need not, so an AiService would get records of nulls), and integers without bounds kept within
     * {@code int} (LangChain4j gives none for an {@code int} field; a longer number would not parse into it).
     */
    @SuppressWarnings("unchecked")
    private static Object everyPropertyRequired(Object schema) {
        if (schema instanceof java.util.Map<?, ?> map) {
            java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
            for (java.util.Map.Entry<?, ?> e : map.entrySet()) {
                out.put((String) e.getKey(), everyPropertyRequired(e.getValue()));
            }
            if (out.get("properties") instanceof java.util.Map<?, ?> properties) {
                out.put("required", java.util.List.copyOf((java.util.Set<String>) properties.keySet()));
            }
            if ("integer".equals(out.get("type"))) {
                out.putIfAbsent("minimum", Integer.MIN_VALUE);
                out.putIfAbsent("maximum", Integer.MAX_VALUE);
            }
            return out;
        }
        if (schema instanceof java.util.List<?> list) {
            return list.stream().map(ChatEngine::everyPropertyRequired).toList();
        }
        return schema;
    }

    /** {@code base} with the given values in place of its own (null: keep). */
    private static Sampler.Settings settings(Sampler.Settings base, Double temperature, Double topP, Integer topK) {
        return new Sampler.Settings(temperature != null ? temperature.floatValue() : base.temperature(), base.minP(),
                topK != null ? topK : base.topK(), topP != null ? topP.floatValue() : base.topP(), base.repeatPenalty(),
                base.repeatLastN(), base.seed());
    }

    private static int positive(int n, String what) {
        if (n < 1) {
            throw new InvalidRequestException(what + " must be at least 1, got " + n);
        }
        return n;
    }

    /** The text GGUF's {@code general.name}, else "lfm2-vl". */
    private static String name(Lfm2Vl vlm) {
        try {
            return vlm.textModel().gguf().metadata().getString("general.name", "lfm2-vl");
        } catch (GgufFormatException e) {
            return "lfm2-vl";
        }
    }

    @Override
    public void close() {
        if (owned) {
            vlm.close();
        }
    }
}
