package dev.lfm2vl.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A LangChain4j message list as the model's prompt: system, user and assistant messages through the runtime's chat
 * template ({@link Lfm2Vl#buildPrompt(List, List, dev.lfm2vl.runtime.Tokenizer)}), each user message's images
 * placed where they stand among its text parts (text parts in a row are joined by a new line). Anything the model
 * cannot read (audio, video, PDF, tool calls and results) is an {@link UnsupportedFeatureException} naming it.
 */
final class ChatMessages {
    private ChatMessages() {}

    /** The prompt of {@code messages}, images loaded and pre-processed (not yet encoded). */
    static Prompt prompt(Lfm2Vl vlm, List<ChatMessage> messages) {
        List<ChatTemplate.Message> template = new ArrayList<>(messages.size());
        List<PreprocessedImage> images = new ArrayList<>();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> template.add(ChatTemplate.Message.system(s.text()));
                case UserMessage u -> template.add(user(vlm, u, images));
                case AiMessage a -> template.add(assistant(a));
                default -> throw new UnsupportedFeatureException(describe(m) + " messages are not supported: LFM2-VL reads "
                        + "system, user (text and images) and AI messages, and calls no tools");
            }
        }
        try {
            return Lfm2Vl.buildPrompt(template, images, vlm.tokenizer());
        } catch (IllegalArgumentException e) { // e.g. a text part that spells out the media marker itself
            throw new InvalidRequestException(e.getMessage(), e);
        }
    }

    private static ChatTemplate.Message user(Lfm2Vl vlm, UserMessage u, List<PreprocessedImage> images) {
        StringBuilder content = new StringBuilder();
        int attached = 0;
        boolean lastWasText = false;
        for (Content c : u.contents()) {
            switch (c) {
                case TextContent t -> {
                    if (lastWasText) {
                        content.append('\n');
                    }
                    content.append(t.text());
                    lastWasText = true;
                }
                case ImageContent i -> {
                    if (vlm.visionModel() == null) {
                        throw new UnsupportedFeatureException("image content needs the vision projector: this model was "
                                + "loaded without an mmproj file");
                    }
                    images.add(ImageSources.preprocess(vlm, i.image(), images.size() + 1));
                    content.append(ChatTemplate.MEDIA_MARKER);
                    attached++;
                    lastWasText = false;
                }
                default -> throw new UnsupportedFeatureException(c.type().name().toLowerCase(Locale.ROOT)
                        + " content is not supported: LFM2-VL reads text and images");
            }
        }
        return ChatTemplate.Message.user(content.toString(), attached);
    }

    private static ChatTemplate.Message assistant(AiMessage a) {
        if (a.hasToolExecutionRequests()) {
            throw new UnsupportedFeatureException("AI messages with tool execution requests are not supported: LFM2-VL calls no tools");
        }
        return ChatTemplate.Message.assistant(a.text() == null ? "" : a.text());
    }

    private static String describe(ChatMessage m) {
        return switch (m.type()) {
            case TOOL_EXECUTION_RESULT -> "tool execution result";
            default -> m.type().name().toLowerCase(Locale.ROOT);
        };
    }
}
