package dev.lfm2vl.cli;

import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.Generator;
import dev.lfm2vl.runtime.ImageEntry;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Lfm2Vl;
import dev.lfm2vl.runtime.MultimodalPrompt;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-request work of the image commands, with the models loaded once: pre-process the images, build the chat
 * prompt with one media slot per image, encode the images, and generate. {@code caption} calls {@link #answer} once
 * per image; {@code generate --image} once with all images.
 */
final class ImageConversation {
    private final Lfm2Model text;
    private final Tokenizer tokenizer;
    private final VisionModel vision;
    private final ImagePreprocessor preprocessor;
    private final VisionOptions options;
    private final Generator generator;

    ImageConversation(Lfm2Model text, Tokenizer tokenizer, VisionModel vision, VisionOptions options) {
        this.text = text;
        this.tokenizer = tokenizer;
        this.vision = vision;
        this.options = options;
        this.preprocessor = options.preprocessor(vision);
        this.generator = new Generator(text, tokenizer);
    }

    /** The prompt of one user message with {@code images} (markers in {@code user} are honoured, else prepended). */
    MultimodalPrompt prompt(String system, String user, List<Path> images, PrintWriter err) {
        List<PreprocessedImage> pre = new ArrayList<>(images.size());
        for (Path p : images) {
            pre.add(options.preprocess(preprocessor, p, err));
        }
        checkPrompt(system, user, images.size());
        return Lfm2Vl.buildPrompt(system, user, pre, tokenizer);
    }

    /** One answer with the time spent loading, pre-processing and encoding the images (before the prefill). */
    record Answer(Generator.Result result, int imageTokens, long encodeNanos) {}

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

    /**
     * Answers {@code user} about {@code images} in a fresh conversation on {@code state} (reset first), streaming
     * through {@code listener}.
     */
    Generator.Result answer(Lfm2State state, String system, String user, List<Path> images, Sampler.Settings settings,
                            int maxTokens, Generator.Listener listener, PrintWriter err) {
        return answerTimed(state, system, user, images, settings, maxTokens, listener, err).result();
    }

    /** {@link #answer}, also reporting the image tokens and the encode time (load, pre-process, vision encode). */
    Answer answerTimed(Lfm2State state, String system, String user, List<Path> images, Sampler.Settings settings,
                       int maxTokens, Generator.Listener listener, PrintWriter err) {
        return answerTimed(state, system, user, images, settings, maxTokens, listener, err, Status.off());
    }

    /** {@link #answerTimed}, showing the encoding and prefill on {@code status} (cleared before the first token). */
    Answer answerTimed(Lfm2State state, String system, String user, List<Path> images, Sampler.Settings settings,
                       int maxTokens, Generator.Listener listener, PrintWriter err, Status status) {
        long t0 = System.nanoTime();
        MultimodalPrompt prompt = prompt(system, user, images, err);
        state.reset();
        if (prompt.positions() > state.capacity()) {
            throw new UserError("the prompt takes " + prompt.positions() + " positions (" + prompt.imageTokens()
                    + " for images) but the context holds " + state.capacity() + "; raise --ctx-size or lower --max-image-tokens");
        }
        List<List<float[]>> embeddings = embed(prompt, vision, status);
        long encode = System.nanoTime() - t0;
        Sampler sampler = new Sampler(text.config().vocabSize(), settings);
        status.show("prefill " + prompt.positions() + " positions...");
        try {
            Generator.Result r = generator.generate(state, prompt.parts(embeddings), sampler, maxTokens, status.clearingBefore(listener));
            return new Answer(r, prompt.imageTokens(), encode);
        } finally {
            status.clear();
        }
    }

    /**
     * {@link MultimodalPrompt#embed}, entry by entry, showing "encoding image k/N (tile t/T)..." on {@code status}
     * (the thumbnail or single image counts as the last tile).
     */
    static List<List<float[]>> embed(MultimodalPrompt prompt, VisionModel vision, Status status) {
        List<PreprocessedImage> images = prompt.images();
        List<List<float[]>> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            List<ImageEntry> entries = images.get(i).entries();
            List<float[]> vectors = new ArrayList<>(entries.size());
            for (int e = 0; e < entries.size(); e++) {
                status.show("encoding image " + (i + 1) + "/" + images.size() + " (tile " + (e + 1) + "/" + entries.size() + ")...");
                vectors.add(vision.embed(entries.get(e)));
            }
            out.add(vectors);
        }
        return out;
    }
}
