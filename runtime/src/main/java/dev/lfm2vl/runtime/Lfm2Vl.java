package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.VectorModule;
import dev.lfm2vl.loader.GgufFormatException;
import dev.lfm2vl.runtime.structured.JsonSchema;
import dev.lfm2vl.runtime.structured.SchemaException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * The embeddable API: an LFM2-VL model pair (text GGUF + mmproj GGUF) loaded once, then captions, questions about
 * images and plain text prompts, each answered in a fresh conversation and streamed to a callback. One request at a
 * time per instance (it owns one KV cache): concurrent requests take turns (images are read and pre-processed
 * outside that turn); load one instance per thread for parallel requests.
 *
 * <pre>{@code
 * try (Lfm2Vl vlm = Lfm2Vl.load(Path.of("LFM2-VL-3B-Q4_0.gguf"), Path.of("mmproj-LFM2-VL-3B-F16.gguf"))) {
 *     String caption = vlm.caption(Path.of("photo.jpg"));
 * }
 * }</pre>
 */
public final class Lfm2Vl implements AutoCloseable {
    /** The default caption request. */
    public static final String DESCRIBE = "Describe this image.";

    /**
     * How requests run.
     *
     * @param threads         worker threads for the kernels
     * @param contextSize     positions the KV cache holds (prompt, image tokens and answer)
     * @param maxTokens       answer length limit (-1: until the end of the answer or a full context)
     * @param sampling        sampler settings (the model card's by default)
     * @param preprocess      image pre-processing: HF (as trained) or LLAMA_CPP (the reference build)
     * @param minImageTokens  fewest image tokens for a single image or thumbnail
     * @param maxImageTokens  most image tokens for a single image or thumbnail
     * @param imageSplitting  split large images into 512-px tiles plus a thumbnail
     * @param maxImagePixels  refuse larger images before decoding them
     * @param system          system message, or null
     * @param jsonSchema      a JSON Schema every answer must satisfy (structured output, README), or null
     */
    public record Options(int threads, int contextSize, int maxTokens, Sampler.Settings sampling, PreprocessMode preprocess,
            int minImageTokens, int maxImageTokens, boolean imageSplitting, long maxImagePixels, String system, String jsonSchema) {

        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            }
            if (contextSize < 1) {
                throw new IllegalArgumentException("context size must be >= 1, got " + contextSize);
            }
            if (maxTokens < -1) {
                throw new IllegalArgumentException("max tokens must be -1 or more, got " + maxTokens);
            }
            if (minImageTokens < 1 || maxImageTokens < minImageTokens) {
                throw new IllegalArgumentException("need 1 <= min image tokens <= max image tokens, got " + minImageTokens + ", " + maxImageTokens);
            }
        }

        /** All cores, 4096 positions, 256 tokens, the model card's sampling, HF pre-processing with 64..256 image tokens. */
        public static Options defaults() {
            return new Options(Runtime.getRuntime().availableProcessors(), 4096, 256, Sampler.Settings.defaults(), PreprocessMode.HF,
                    64, 256, true, ImageLoader.DEFAULT_MAX_PIXELS, null, null);
        }

        public Options withThreads(int n) {
            return new Options(n, contextSize, maxTokens, sampling, preprocess, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, system, jsonSchema);
        }

        public Options withContextSize(int n) {
            return new Options(threads, n, maxTokens, sampling, preprocess, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, system, jsonSchema);
        }

        public Options withMaxTokens(int n) {
            return new Options(threads, contextSize, n, sampling, preprocess, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, system, jsonSchema);
        }

        public Options withSampling(Sampler.Settings s) {
            return new Options(threads, contextSize, maxTokens, s, preprocess, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, system, jsonSchema);
        }

        public Options withPreprocess(PreprocessMode m) {
            return new Options(threads, contextSize, maxTokens, sampling, m, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, system, jsonSchema);
        }

        public Options withImageTokens(int min, int max) {
            return new Options(threads, contextSize, maxTokens, sampling, preprocess, min, max, imageSplitting, maxImagePixels, system, jsonSchema);
        }

        public Options withImageSplitting(boolean on) {
            return new Options(threads, contextSize, maxTokens, sampling, preprocess, minImageTokens, maxImageTokens, on, maxImagePixels, system, jsonSchema);
        }

        public Options withMaxImagePixels(long n) {
            return new Options(threads, contextSize, maxTokens, sampling, preprocess, minImageTokens, maxImageTokens, imageSplitting, n, system, jsonSchema);
        }

        public Options withSystem(String s) {
            return new Options(threads, contextSize, maxTokens, sampling, preprocess, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, s, jsonSchema);
        }

        /** Constrains every answer to the JSON Schema {@code schema} (JSON text; null: free text); checked here. */
        public Options withJsonSchema(String schema) {
            if (schema != null) {
                JsonSchema.compile(schema); // refuse a bad schema now, with its pointer
            }
            return new Options(threads, contextSize, maxTokens, sampling, preprocess, minImageTokens, maxImageTokens, imageSplitting, maxImagePixels, system, schema);
        }
    }

    private final Options options;
    private final Parallel pool;
    private final Lfm2Model text;
    private final VisionModel vision;
    private final Tokenizer tokenizer;
    private final Generator generator;
    private final Lfm2State state;
    private final ImagePreprocessor preprocessor;
    /** {@link Options#jsonSchema()} compiled once (null without one): each answer takes a fresh constraint from it. */
    private final JsonSchema jsonSchema;
    /** Whether {@link #close()} closes the models and the pool (false for {@link #of}). */
    private final boolean ownsModels;

    /** One answer, with the prompt's image tokens and the time spent reading, pre-processing and encoding its images. */
    public record Answer(Generator.Result result, int imageTokens, long encodeNanos) {}

    private Lfm2Vl(Options options, Parallel pool, Lfm2Model text, VisionModel vision, boolean ownsModels) throws GgufFormatException {
        this.ownsModels = ownsModels;
        this.options = options;
        this.pool = pool;
        this.text = text;
        this.vision = vision;
        this.tokenizer = text.tokenizer();
        this.generator = new Generator(text, tokenizer);
        this.state = text.newState(Math.min(options.contextSize(), text.config().contextLength()));
        this.preprocessor = vision == null ? null : new ImagePreprocessor(vision.preprocessOptions(options.preprocess())
                .withImageTokens(options.minImageTokens(), options.maxImageTokens()).withImageSplitting(options.imageSplitting()));
        this.jsonSchema = options.jsonSchema() == null ? null : JsonSchema.compile(options.jsonSchema());
    }

    /** Loads a model pair with the default options; {@code mmproj} may be null for text only. */
    public static Lfm2Vl load(Path model, Path mmproj) throws IOException {
        return load(model, mmproj, Options.defaults());
    }

    /** Loads a model pair (memory-mapped: nothing proportional to the model size is read up front). */
    public static Lfm2Vl load(Path model, Path mmproj, Options options) throws IOException {
        VectorModule.require(); // one sentence naming the missing flag instead of a NoClassDefFoundError later
        Parallel pool = Parallel.create(options.threads());
        Lfm2Model text = null;
        VisionModel vision = null;
        try {
            text = Lfm2Model.load(model, pool);
            if (mmproj != null) {
                vision = VisionModel.load(mmproj, pool);
                vision.checkCompatible(text);
            }
            return new Lfm2Vl(options, pool, text, vision, true);
        } catch (IOException | RuntimeException e) {
            if (vision != null) {
                vision.close();
            }
            if (text != null) {
                text.close();
            }
            pool.close();
            throw e;
        }
    }

    /**
     * Wraps models the caller has loaded (and keeps owning: {@link #close()} leaves them open); {@code vision} may be
     * null. {@code options.threads()} is ignored: the text model's pool does the work.
     */
    public static Lfm2Vl of(Lfm2Model text, VisionModel vision, Options options) throws GgufFormatException {
        if (vision != null) {
            vision.checkCompatible(text);
        }
        return new Lfm2Vl(options, text.pool(), text, vision, false);
    }

    /** Describes an image ("Describe this image."). */
    public String caption(Path image) throws IOException {
        return ask(DESCRIBE, List.of(image), piece -> {}).text();
    }

    /** Answers {@code prompt} about the image, streaming the answer to {@code onText}. */
    public String caption(Path image, String prompt, Consumer<String> onText) throws IOException {
        return ask(prompt, List.of(image), onText).text();
    }

    /**
     * Answers {@code prompt} about {@code images} (none for a text-only question) in a fresh conversation, streaming
     * the answer to {@code onText}. The images go where the prompt has {@code <__media__>} markers, else before it.
     */
    public Generator.Result ask(String prompt, List<Path> images, Consumer<String> onText) throws IOException {
        return ask(prompt, images, Listener.onText(onText));
    }

    /** As {@link #ask(String, List, Consumer)}, with a listener that sees every stage and can cancel. */
    public Generator.Result ask(String prompt, List<Path> images, Listener listener) throws IOException {
        return answer(options.system(), prompt, images, options.sampling(), options.maxTokens(), listener).result();
    }

    /**
     * The full request: {@code user} (after an optional {@code system} message) about {@code images}, answered in a
     * fresh conversation with the given sampling and length, its stages and answer reported to {@code listener}.
     * {@code listener.cancelled()} is polled while the images are encoded (between encoder blocks), during the
     * prefill (between layers) and before each token: a stop before the first token returns a
     * {@link Generator.StopReason#CANCELLED} result with no tokens.
     *
     * @throws PromptTooLongException   if the prompt does not fit the context
     * @throws ContextFullException     if the prompt and the shortest answer the JSON schema accepts do not fit it
     * @throws IllegalArgumentException if the prompt's markers do not match the images
     * @throws ImageLoadException       if an image cannot be read
     */
    public Answer answer(String system, String user, List<Path> images, Sampler.Settings sampling, int maxTokens,
            Listener listener) throws IOException {
        long t0 = System.nanoTime();
        TokenConstraint constraint = constraint(jsonSchema, maxTokens); // a bad schema fails before any work
        Prompt request = prompt(system, user, images, listener);
        long readNanos = System.nanoTime() - t0;
        Answer a = answer(request, sampling, maxTokens, listener, constraint);
        return new Answer(a.result(), a.imageTokens(), readNanos + a.encodeNanos());
    }

    /**
     * Answers a prompt the caller built (e.g. a whole chat history: {@link #buildPrompt(List, List, Tokenizer)} with
     * this model's {@link #tokenizer()}) in a fresh conversation: encodes its images if they are not yet, then feeds it
     * and generates, with the cancellation points of {@link #answer(String, String, List, Sampler.Settings, int,
     * Listener)}. Requests on one instance take turns (one KV cache): a call waits while another runs.
     * {@link Answer#encodeNanos()} is the time spent encoding the images.
     *
     * @throws PromptTooLongException if the prompt does not fit the context
     * @throws ContextFullException   if the prompt and the shortest answer the JSON schema accepts do not fit it
     *                                (refused before the images are encoded)
     */
    public Answer answer(Prompt request, Sampler.Settings sampling, int maxTokens, Listener listener) {
        return answer(request, sampling, maxTokens, listener, constraint(jsonSchema, maxTokens));
    }

    /**
     * As {@link #answer(Prompt, Sampler.Settings, int, Listener)}, the answer restricted by {@code constraint} (null:
     * free text; {@link #jsonConstraint} makes one from a JSON Schema).
     */
    public synchronized Answer answer(Prompt request, Sampler.Settings sampling, int maxTokens, Listener listener,
            TokenConstraint constraint) {
        long t0 = System.nanoTime();
        if (request.positions() > state.capacity()) {
            throw new PromptTooLongException(request.positions(), request.imageTokens(), state.capacity(),
                    request.images().stream().map(PreprocessedImage::plan).toList());
        }
        Generator.checkRoom(0, state.capacity(), request.positions(), maxTokens, constraint); // before the images are encoded
        Prompt encoded;
        try {
            encoded = request.encode(vision, listener);
        } catch (CancellationException e) { // stopped while encoding: nothing was fed to the model
            return new Answer(Generator.Result.cancelledBefore(request.positions()), request.imageTokens(), System.nanoTime() - t0);
        }
        long encodeNanos = System.nanoTime() - t0;
        state.reset();
        Generator.Result r = generator.generate(state, encoded, new Sampler(text.config().vocabSize(), sampling), maxTokens, listener,
                constraint);
        return new Answer(r, request.imageTokens(), encodeNanos);
    }

    /**
     * A fresh constraint for one answer under the JSON Schema {@code schema} (JSON text; null: none), checked against
     * the token limit: every answer then parses and validates (README, structured output).
     *
     * @throws SchemaException if the schema uses an unsupported keyword, is invalid, or its shortest document needs
     *                         more than {@code maxTokens} tokens
     */
    public TokenConstraint jsonConstraint(String schema, int maxTokens) {
        return schema == null ? null : constraint(JsonSchema.compile(schema), maxTokens);
    }

    private TokenConstraint constraint(JsonSchema schema, int maxTokens) {
        if (schema == null) {
            return null;
        }
        TokenConstraint constraint = schema.constraint(tokenizer);
        if (maxTokens >= 0 && maxTokens < constraint.minTokens()) {
            throw new SchemaException("the token limit " + maxTokens + " is below the " + constraint.minTokens()
                    + " tokens of the shortest document the JSON schema accepts");
        }
        return constraint;
    }

    /** Loads and pre-processes an image for {@link #newConversation() a conversation}'s turn. */
    public PreprocessedImage preprocess(Path image) throws IOException {
        if (vision == null) {
            throw new IllegalStateException("images need a vision projector: load with an mmproj");
        }
        return preprocess(image, ImageLoader.load(image, options.maxImagePixels()));
    }

    /**
     * Loads and pre-processes an image held in memory (e.g. sent as base64 data); {@code name} stands for it in error
     * messages. The same checks as for a file: format, {@link Options#maxImagePixels()}, free heap.
     *
     * @throws ImageLoadException if the bytes are not a readable image
     */
    public PreprocessedImage preprocess(byte[] image, String name) throws ImageLoadException {
        if (vision == null) {
            throw new IllegalStateException("images need a vision projector: load with an mmproj");
        }
        return preprocess(name, ImageLoader.load(image, name, options.maxImagePixels()));
    }

    /** Pre-processes a loaded image; running out of memory is an {@link ImageMemoryException}, not a crash. */
    private PreprocessedImage preprocess(Path image, RgbImage rgb) throws ImageMemoryException {
        return preprocess(image.toString(), rgb);
    }

    private PreprocessedImage preprocess(String name, RgbImage rgb) throws ImageMemoryException {
        try {
            return preprocessor.preprocess(rgb);
        } catch (OutOfMemoryError e) {
            throw ImageLoader.outOfMemory(name, "pre-process a " + rgb.width() + "x" + rgb.height() + " image", 0);
        }
    }

    /** The tokenized, pre-processed prompt of a request (no model work yet): positions, image tokens, layout. */
    public Prompt prompt(String prompt, List<Path> images) throws IOException {
        return prompt(options.system(), prompt, images, Listener.NONE);
    }

    /** As {@link #prompt(String, List)} with an explicit system message, reporting each image's plan to {@code listener}. */
    public Prompt prompt(String system, String user, List<Path> images, Listener listener) throws IOException {
        if (!images.isEmpty() && vision == null) {
            throw new IllegalStateException("images need a vision projector: load with an mmproj");
        }
        List<PreprocessedImage> pre = new ArrayList<>(images.size());
        for (Path p : images) {
            RgbImage rgb = ImageLoader.load(p, options.maxImagePixels());
            listener.planned(p, preprocessor.plan(rgb.width(), rgb.height()));
            pre.add(preprocess(p, rgb));
        }
        return buildPrompt(system, user, pre, tokenizer);
    }

    /**
     * The prompt of a fresh one-message conversation: the optional {@code system} message, then {@code user} with
     * {@code images} (where it has {@code <__media__>} markers, else before its text), through the chat template with
     * the generation prompt, tokenized with BOS and the images expanded in the reference layout. Shared by
     * {@link #prompt(String, List)} and the CLI's image commands.
     *
     * @throws IllegalArgumentException if the markers do not match the images, or a marker token is missing
     */
    public static Prompt buildPrompt(String system, String user, List<PreprocessedImage> images, Tokenizer tokenizer) {
        List<ChatTemplate.Message> messages = new ArrayList<>();
        if (system != null) {
            messages.add(ChatTemplate.Message.system(system));
        }
        messages.add(ChatTemplate.Message.user(user, images.size()));
        return buildPrompt(messages, images, tokenizer);
    }

    /**
     * The prompt of a whole conversation asking for the next answer: {@code messages} (system, user and assistant
     * turns) through the chat template with the generation prompt, tokenized with BOS, {@code images} filling the
     * user messages' image slots in order, in the reference layout. For {@link #answer(Prompt, Sampler.Settings, int,
     * Listener)}.
     *
     * @throws IllegalArgumentException if the messages' media markers do not match the images
     */
    public static Prompt buildPrompt(List<ChatTemplate.Message> messages, List<PreprocessedImage> images, Tokenizer tokenizer) {
        return Prompt.build(ChatTemplate.pieces(messages, true), tokenizer, images, true);
    }

    /**
     * A multi-turn chat on this model (its own KV cache); turns with images take {@link #preprocess pre-processed}
     * images, which the conversation encodes with this model's vision tower.
     */
    public Conversation newConversation() {
        return new Conversation(text, vision, tokenizer, options.sampling(), state.capacity(), options.system());
    }

    public Options options() {
        return options;
    }

    public Lfm2Model textModel() {
        return text;
    }

    /** The vision projector, or null when loaded without one. */
    public VisionModel visionModel() {
        return vision;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        if (!ownsModels) {
            return;
        }
        if (vision != null) {
            vision.close();
        }
        text.close();
        pool.close();
    }
}
