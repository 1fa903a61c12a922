package dev.lfm2vl.server;

import java.util.List;

/**
 * A {@code POST /v1/chat/completions} request after validation, before any model work: the messages with their
 * parts in order, and the generation parameters the client set (null where it left the server's default).
 *
 * @param maxTokens    answer length limit, or null for "until the end of the answer or a full context"
 * @param stop         strings that end the answer where they first appear (not included in it); may be empty
 * @param includeUsage streaming only: send a final chunk with the token counts ({@code stream_options.include_usage})
 */
record ChatRequest(List<Message> messages, Integer maxTokens, Float temperature, Float topP, Integer topK, Float minP,
        Float repetitionPenalty, Long seed, List<String> stop, boolean stream, boolean includeUsage, String jsonSchema) {

    /** A message's role, as the chat template names it. */
    enum Role { SYSTEM, USER, ASSISTANT }

    /** One message; images may only be parts of user messages. */
    record Message(Role role, List<Part> parts) {}

    /** A content part. */
    sealed interface Part permits Text, Image {}

    record Text(String text) implements Part {}

    /** An image by its URL ({@code data:}, {@code file://} or {@code http(s)://}), fetched by {@link ImageSources}. */
    record Image(String url) implements Part {}

    /** The image parts in order of appearance: what {@link ImageSources} fetches and the engine numbers. */
    List<Image> images() {
        return messages.stream().flatMap(m -> m.parts().stream()).filter(Image.class::isInstance).map(Image.class::cast).toList();
    }
}
