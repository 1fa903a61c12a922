package dev.lfm2vl.cli;

import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.ImagePlan;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.MultimodalPrompt;
import dev.lfm2vl.runtime.PromptTooLongException;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.VisionModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

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
    MultimodalPrompt prompt(String system, String user, List<Path> images, PrintWriter err) {
        checkPrompt(system, user, images.size());
        try {
            return vlm.prompt(system, user, images, progress(err, Status.off()));
        } catch (IOException e) {
            throw new UserError(Main.describe(e));
        }
    }

    /** Answers {@code user} about {@code images} in a fresh conversation, streaming through {@code listener}. */
    Lfm2Vl.Answer answerTimed(String system, String user, List<Path> images, Sampler.Settings settings, int maxTokens,
                       Generator.Listener listener, PrintWriter err, Status status) {
        checkPrompt(system, user, images.size());
        try {
            return vlm.answer(system, user, images, settings, maxTokens, status.clearingBefore(listener), progress(err, status));
        } catch (IOException e) { // unreadable image: ImageLoadException
            throw new UserError(Main.describe(e));
        } catch (PromptTooLongException e) {
            throw new UserError(ContextAdvice.message(e, options.preprocessOptions(vision), modelContext, maxTokens));
        } finally {
            status.clear();
        }
    }

    /**
     * The image vectors of {@code prompt}, showing "encoding image k/N (tile t/T)..." on {@code status}; {@code stop}
     * is polled between encoder blocks (Ctrl-C), and a true answer ends the encoding with a CancellationException.
     */
    static List<List<float[]>> embed(MultimodalPrompt prompt, VisionModel vision, Status status, BooleanSupplier stop) {
        return prompt.embed(vision, new MultimodalPrompt.EntryListener() {
            @Override
            public void encoding(int image, int images, int entry, int entries) {
                showEncoding(status, image, images, entry, entries);
            }

            @Override
            public boolean cancelled() {
                return stop.getAsBoolean();
            }
        });
    }

    private static void showEncoding(Status status, int image, int images, int entry, int entries) {
        status.show("encoding image " + image + "/" + images + " (tile " + entry + "/" + entries + ")...");
    }

    /** --verbose plans on {@code err}; encoding and prefill on the status line. */
    private Lfm2Vl.Progress progress(PrintWriter err, Status status) {
        return new Lfm2Vl.Progress() {
            @Override
            public void planned(Path image, ImagePlan plan) {
                if (options.verbose) {
                    status.clear();
                    err.println("image " + image + ": " + plan.describe());
                    err.flush();
                }
            }

            @Override
            public void encoding(int image, int images, int entry, int entries) {
                showEncoding(status, image, images, entry, entries);
            }

            @Override
            public void prefill(int positions) {
                status.show("prefill " + positions + " positions...");
            }
        };
    }
}
