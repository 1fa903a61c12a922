package dev.lfm2vl.cli;

import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.Listener;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.PromptTooLongException;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.VisionModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The image commands' adapter over the runtime API ({@link Lfm2Vl}), with the models loaded once: maps the API's
 * errors to usage errors, prints {@code --verbose} plans and shows encoding and prefill on the status line.
 * {@code caption} calls {@link #answerTimed} once per image; {@code generate --image} once with all images.
 */
final class ImageConversation {
    private final Lfm2Vl vlm;
    private final VisionOptions options;
    private final VisionModel vision;
    private final int contextSize;
    private final int modelContext;

    ImageConversation(Lfm2Model text, VisionModel vision, VisionOptions options, int contextSize) throws GgufFormatException {
        this(text, vision, options, contextSize, null);
    }

    /** As above, every answer constrained to the JSON Schema {@code jsonSchema} (null: free text). */
    ImageConversation(Lfm2Model text, VisionModel vision, VisionOptions options, int contextSize, String jsonSchema) throws GgufFormatException {
        this.vlm = Lfm2Vl.of(text, vision, options.apiOptions(contextSize).withJsonSchema(jsonSchema));
        this.options = options;
        this.vision = vision;
        this.contextSize = contextSize;
        this.modelContext = text.config().contextLength();
    }

    /** What to do when an answer filled the context. */
    String contextFullAdvice() {
        return "the context holds " + contextSize + " positions; " + ModelOptions.contextFullAdvice(contextSize, modelContext);
    }

    /** Checks the chat template accepts {@code user} with {@code images} images; a usage error if not. */
    static void checkPrompt(String system, String user, int images) {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatTemplate.Message.system(system));
        }
        messages.add(ChatTemplate.Message.user(user, images));
        try {
            ChatTemplate.pieces(messages, true);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The prompt of one user message with {@code images} (markers in {@code user} are honoured, else prepended). */
    Prompt prompt(String system, String user, List<Path> images, PrintWriter err) {
        checkPrompt(system, user, images.size());
        try {
            return vlm.prompt(system, user, images, Status.off().showing(Listener.NONE, options.verbose ? err : null));
        } catch (IOException e) {
            throw new UserError(Main.describe(e));
        }
    }

    /** Answers {@code user} about {@code images} in a fresh conversation, streaming through {@code listener}. */
    Lfm2Vl.Answer answerTimed(String system, String user, List<Path> images, Sampler.Settings settings, int maxTokens,
                       Listener listener, PrintWriter err, Status status) {
        checkPrompt(system, user, images.size());
        try {
            return vlm.answer(system, user, images, settings, maxTokens, status.showing(listener, options.verbose ? err : null));
        } catch (IOException e) { // unreadable image: ImageLoadException
            throw new UserError(Main.describe(e));
        } catch (PromptTooLongException e) {
            throw new UserError(ContextAdvice.message(e, options.preprocessOptions(vision), modelContext, maxTokens));
        } finally {
            status.clear();
        }
    }
}
