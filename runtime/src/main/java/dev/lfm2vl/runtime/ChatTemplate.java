package dev.lfm2vl.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The LFM2-VL chat format (ChatML) as llama-mtmd-cli renders it:
 * {@code <|im_start|>{role}\n{content}<|im_end|>\n} per message, then {@code <|im_start|>assistant\n}
 * when a generation prompt is wanted. The BOS text ({@code <|startoftext|>}) is never rendered: the
 * tokenizer adds exactly one BOS at the start of the conversation.
 *
 * <p>Images: a user message may carry images. Its content marks where each image goes with
 * {@link #MEDIA_MARKER}; if the content has no marker at all, one marker per image is prepended
 * (llama-mtmd-cli behaviour). {@link #pieces} splits the rendered text at the markers into
 * {@link Text} and {@link Image} pieces, so the vision code can expand each image slot into its
 * image span ({@code <|image_start|> … <|image_end|>}) and tokenize each text piece separately.
 */
public final class ChatTemplate {
    /** libmtmd's default media marker. */
    public static final String MEDIA_MARKER = "<__media__>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    /** The system prompt used by the model card's examples (optional, not a template default). */
    public static final String DEFAULT_SYSTEM_PROMPT = "You are a helpful multimodal assistant by Liquid AI.";

    private ChatTemplate() {}

    public enum Role {
        SYSTEM("system"),
        USER("user"),
        ASSISTANT("assistant");

        private final String text;

        Role(String text) {
            this.text = text;
        }

        /** The role name as rendered ({@code system}, {@code user}, {@code assistant}). */
        public String text() {
            return text;
        }
    }

    /** One chat message; {@code images} is the number of images attached (user messages only). */
    public record Message(Role role, String content, int images) {
        public Message {
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(content, "content");
            if (images < 0) {
                throw new IllegalArgumentException("negative image count " + images);
            }
            if (images > 0 && role != Role.USER) {
                throw new IllegalArgumentException("only user messages can carry images, not " + role.text());
            }
        }

        public static Message system(String content) {
            return new Message(Role.SYSTEM, content, 0);
        }

        public static Message user(String content) {
            return new Message(Role.USER, content, 0);
        }

        /** A user message with {@code images} attached images. */
        public static Message user(String content, int images) {
            return new Message(Role.USER, content, images);
        }

        public static Message assistant(String content) {
            return new Message(Role.ASSISTANT, content, 0);
        }

        /** The content with media markers: unchanged if it has any, else one marker per image prepended. */
        public String contentWithMarkers() {
            if (images == 0 || content.contains(MEDIA_MARKER)) {
                return content;
            }
            return MEDIA_MARKER.repeat(images) + content;
        }
    }

    /** A piece of a rendered prompt: literal text or the slot of an image. */
    public sealed interface Piece permits Text, Image {}

    /** Text to tokenize (with parse-special on, so the ChatML markers become their tokens). */
    public record Text(String text) implements Piece {
        public Text {
            Objects.requireNonNull(text, "text");
        }
    }

    /** The slot of image number {@code index} (0-based, in order of appearance in the rendered messages). */
    public record Image(int index) implements Piece {}

    /**
     * The prompt text for a whole conversation, media markers included, without BOS text.
     *
     * @param addGenerationPrompt append {@code <|im_start|>assistant\n}
     */
    public static String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append(IM_START).append(m.role().text()).append('\n')
                    .append(m.contentWithMarkers())
                    .append(IM_END).append('\n');
        }
        if (addGenerationPrompt) {
            sb.append(IM_START).append(Role.ASSISTANT.text()).append('\n');
        }
        return sb.toString();
    }

    /**
     * The conversation as text pieces and image slots, in order. The number of markers must equal
     * the total number of attached images; text pieces are never empty.
     *
     * @throws IllegalArgumentException if the marker count differs from the image count
     */
    public static List<Piece> pieces(List<Message> messages, boolean addGenerationPrompt) {
        int images = 0;
        for (Message m : messages) {
            images += m.images();
        }
        return split(render(messages, addGenerationPrompt), images);
    }

    /**
     * Only the continuation of a conversation whose earlier turns are already in the KV cache:
     * {@code message} rendered on its own, plus the generation prompt. Image indices start at 0
     * (the images of this message). Encode it with {@code addBos = false}.
     */
    public static List<Piece> continuation(Message message, boolean addGenerationPrompt) {
        return pieces(List.of(message), addGenerationPrompt);
    }

    /** Splits rendered text at the media markers. */
    static List<Piece> split(String rendered, int expectedImages) {
        List<Piece> out = new ArrayList<>();
        int pos = 0;
        int index = 0;
        for (int hit = rendered.indexOf(MEDIA_MARKER); hit >= 0; hit = rendered.indexOf(MEDIA_MARKER, pos)) {
            if (hit > pos) {
                out.add(new Text(rendered.substring(pos, hit)));
            }
            out.add(new Image(index++));
            pos = hit + MEDIA_MARKER.length();
        }
        if (pos < rendered.length()) {
            out.add(new Text(rendered.substring(pos)));
        }
        if (index != expectedImages) {
            throw new IllegalArgumentException("the prompt has " + index + " media marker(s) " + MEDIA_MARKER
                    + " but " + expectedImages + " image(s) are attached");
        }
        return out;
    }
}
