package dev.lfm2vl.server;

import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.runtime.ChatTemplate;
import dev.lfm2vl.runtime.ImageLoadException;
import dev.lfm2vl.runtime.ImageLoader;
import dev.lfm2vl.runtime.ImagePreprocessor;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.PreprocessedImage;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.RgbImage;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.TokenConstraint;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import dev.lfm2vl.runtime.structured.JsonSchema;
import dev.lfm2vl.runtime.structured.SchemaException;
import dev.lfm2vl.loader.GgufFormatException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The serving engine: N {@link Slot}s (each its own KV cache and conv state), a bounded queue of requests waiting
 * for one, and one scheduler thread that does all model work (the kernels' worker pool serves one caller at a time).
 * Each step it gives every busy slot one unit of work in turn: encode one image entry, feed one prefill chunk, or
 * decode one token; waiting requests take free slots between steps. So a long prompt holds the other streams up for
 * one chunk at most, and a client that went away frees its slot at its next step.
 *
 * <p>This class and {@link Slot} are the only ones in the server that use the runtime; the HTTP side sees
 * {@link ChatRequest}s in and {@link Job} events out. Requests are checked here before they queue (images decoded
 * and pre-processed, the prompt built and measured against the context), so a bad request is a 400 at once.
 *
 * <p>Prompt layout: each message goes through {@link ChatTemplate}; a user message's parts are joined in order, an
 * image becoming a media marker, so [image, text] is laid out exactly as {@code caption} / {@code generate --image}
 * lay it out ({@code Lfm2Vl.buildPrompt}), and greedy answers agree with the CLI's.
 */
public final class ChatEngine implements AutoCloseable {

    /**
     * How the engine serves.
     *
     * @param slots            requests decoded side by side (--parallel)
     * @param contextSize      positions each slot's KV cache holds (-c)
     * @param queueSize        requests that may wait for a slot; more are refused with 503
     * @param defaultMaxTokens answer length when a request gives none (-1: until the end or a full context)
     * @param sampling         sampling defaults for what a request leaves out
     * @param fixedSeed        use {@code sampling.seed()} for requests without a seed (else a random seed each)
     * @param preprocess       image pre-processing (the projector's, with the image-token budget)
     * @param maxImagePixels   images with more pixels are refused before decoding
     * @param imageCacheBytes  memory for encoded images kept by content hash
     * @param prefillChunk     prompt positions a slot feeds per scheduler step (a power of two, 16..512): a long prompt
     *                         holds the other streams up for one such piece at a time
     */
    public record Settings(int slots, int contextSize, int queueSize, int defaultMaxTokens, Sampler.Settings sampling, boolean fixedSeed,
            ImagePreprocessor.Options preprocess, long maxImagePixels, long imageCacheBytes, int prefillChunk) {
        /**
         * The default piece: the mat-mat kernels run as fast per position at 64 positions as at 512 (docs/PERFORMANCE.md,
         * pp64 and pp512 on the synthetic 3B), so a 128-position piece costs no prefill speed and holds the other
         * streams up a quarter as long as a 512 one.
         */
        public static final int DEFAULT_PREFILL_CHUNK = 128;

        public Settings {
            if (prefillChunk < 16 || prefillChunk > Lfm2Model.MAX_BATCH || Integer.bitCount(prefillChunk) != 1) {
                throw new IllegalArgumentException("the prefill chunk must be a power of two from 16 to " + Lfm2Model.MAX_BATCH + ", got "
                        + prefillChunk);
            }
            if (slots < 1) {
                throw new IllegalArgumentException("--parallel must be at least 1, got " + slots);
            }
            if (queueSize < 0) {
                throw new IllegalArgumentException("the queue size must be >= 0, got " + queueSize);
            }
            if (defaultMaxTokens < -1 || defaultMaxTokens == 0) {
                throw new IllegalArgumentException("the default answer length must be -1 or positive, got " + defaultMaxTokens);
            }
        }

        /** With the default prefill chunk. */
        public Settings(int slots, int contextSize, int queueSize, int defaultMaxTokens, Sampler.Settings sampling, boolean fixedSeed,
                ImagePreprocessor.Options preprocess, long maxImagePixels, long imageCacheBytes) {
            this(slots, contextSize, queueSize, defaultMaxTokens, sampling, fixedSeed, preprocess, maxImagePixels, imageCacheBytes,
                    DEFAULT_PREFILL_CHUNK);
        }
    }

    /** What a request's stream carries, in order: text pieces, then one {@link Done} or {@link Failed}. */
    sealed interface Event permits Text, Done, Failed {}

    record Text(String text) implements Event {}

    /**
     * The answer is finished.
     *
     * @param finishReason     {@code stop} (end of answer or a stop string) or {@code length} (token limit or full context)
     * @param promptTokens     the prompt's positions, image positions included
     * @param cachedTokens     of those, the ones the slot already held (prefix reuse)
     */
    record Done(String finishReason, int promptTokens, int completionTokens, int cachedTokens) implements Event {}

    record Failed(ApiError error) implements Event {}

    /** One admitted request: what the slot needs, and the events the HTTP thread reads. */
    static final class Job {
        final Prompt prompt;
        /** Per image of the prompt: its pre-processed entries and its content hash (the image-cache key). */
        final List<PreprocessedImage> images;
        final List<String> imageHashes;
        /** Per prompt position: a token id, or (negative) the identity of an image vector: for prefix reuse. */
        final long[] keys;
        final Sampler.Settings sampling;
        final int maxTokens;
        /** The answer's JSON Schema constraint (response_format), or null. */
        final TokenConstraint constraint;
        final List<String> stop;
        final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
        private volatile boolean cancelled;

        Job(Prompt prompt, List<PreprocessedImage> images, List<String> imageHashes, long[] keys, Sampler.Settings sampling,
                int maxTokens, List<String> stop, TokenConstraint constraint) {
            this.prompt = prompt;
            this.images = images;
            this.imageHashes = imageHashes;
            this.keys = keys;
            this.sampling = sampling;
            this.maxTokens = maxTokens;
            this.constraint = constraint;
            this.stop = stop;
        }

        /** The client went away: the slot drops the request at its next step. */
        void cancel() {
            cancelled = true;
        }

        boolean cancelled() {
            return cancelled;
        }

        /** The next event, waiting for it. */
        Event next() throws InterruptedException {
            return events.take();
        }
    }

    private final Lfm2Model text;
    private final VisionModel vision;
    private final Parallel pool;
    private final Tokenizer tokenizer;
    private final ImagePreprocessor preprocessor;
    private final Settings settings;
    private final String modelId;
    private final Metrics metrics;
    private final Slot[] slots;
    /** Scratch of one batched decode step: the decoding slots, their states, tokens and logits. */
    private final Slot[] stepSlots;
    private final Lfm2State[] stepStates;
    private final int[] stepTokens;
    private final float[][] stepLogits;
    private final ArrayBlockingQueue<Job> queue;
    private final LruCache<String, List<float[]>> imageCache;
    private final Thread scheduler;
    private volatile boolean open = true;
    private volatile int busySlots;

    /**
     * Starts an engine over loaded models, which it owns from now on ({@link #close()} closes them and the pool).
     * {@code vision} may be null: text only.
     */
    public static ChatEngine start(Lfm2Model text, VisionModel vision, Parallel pool, Settings settings, String modelId)
            throws GgufFormatException {
        return new ChatEngine(text, vision, pool, settings, modelId, new Metrics());
    }

    ChatEngine(Lfm2Model text, VisionModel vision, Parallel pool, Settings settings, String modelId, Metrics metrics)
            throws GgufFormatException {
        if (vision != null) {
            vision.checkCompatible(text);
        }
        if (settings.contextSize() < 1 || settings.contextSize() > text.config().contextLength()) {
            throw new IllegalArgumentException("the context size must be between 1 and the model's " + text.config().contextLength()
                    + ", got " + settings.contextSize());
        }
        this.text = text;
        this.vision = vision;
        this.pool = pool;
        this.tokenizer = text.tokenizer();
        this.preprocessor = vision == null ? null : new ImagePreprocessor(settings.preprocess());
        this.settings = settings;
        this.modelId = modelId;
        this.metrics = metrics;
        this.slots = new Slot[settings.slots()];
        this.stepSlots = new Slot[settings.slots()];
        this.stepStates = new Lfm2State[settings.slots()];
        this.stepTokens = new int[settings.slots()];
        this.stepLogits = new float[settings.slots()][];
        for (int i = 0; i < slots.length; i++) {
            slots[i] = new Slot(text, tokenizer, vision, settings.contextSize(), settings.prefillChunk(), metrics);
        }
        this.queue = new ArrayBlockingQueue<>(Math.max(1, settings.queueSize()));
        this.imageCache = new LruCache<>(settings.imageCacheBytes(), v -> {
            long n = 64;
            for (float[] f : v) {
                n += 16 + 4L * f.length;
            }
            return n;
        });
        this.scheduler = Thread.ofPlatform().name("lfm2vl-scheduler").daemon(true).start(this::schedule);
    }

    /** The id {@code /v1/models} lists and every response carries. */
    public String modelId() {
        return modelId;
    }

    public int slotCount() {
        return slots.length;
    }

    public int contextSize() {
        return settings.contextSize();
    }

    /** How it serves: the chat page shows the sampling defaults and checks images against the pixel limit. */
    Settings settings() {
        return settings;
    }

    /** Whether it has a vision model (else image parts are refused). */
    boolean seesImages() {
        return vision != null;
    }

    Metrics metrics() {
        return metrics;
    }

    int queued() {
        return queue.size();
    }

    int busySlots() {
        return busySlots;
    }

    int cachedImages() {
        return imageCache.entries();
    }

    /**
     * Checks a request and queues it: images decoded and pre-processed (their bytes in {@code images}, in the order
     * of {@link ChatRequest#images()}), the prompt built and measured. A bad request or a full queue is an
     * {@link ApiError}; nothing is queued then.
     */
    Job submit(ChatRequest request, List<byte[]> images) throws ApiError {
        if (!open) {
            throw ApiError.unavailable("the server is shutting down");
        }
        if (!images.isEmpty() && vision == null) {
            throw ApiError.badRequest("images_not_supported", "this server runs without a vision projector (--mmproj): it cannot take images");
        }
        List<PreprocessedImage> pre = new ArrayList<>(images.size());
        List<String> hashes = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            byte[] bytes = images.get(i);
            hashes.add(sha256(bytes));
            pre.add(preprocess(bytes, "image " + (i + 1)));
        }
        Prompt prompt;
        try {
            prompt = Prompt.build(ChatTemplate.pieces(messages(request), true), tokenizer, pre, true);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_prompt", e.getMessage());
        }
        int positions = prompt.positions();
        if (positions > settings.contextSize()) {
            throw ApiError.badRequest("context_length_exceeded", "the prompt takes " + positions + " positions (" + prompt.imageTokens()
                    + " of them image tokens) but the context holds " + settings.contextSize() + " (the server's -c)");
        }
        Sampler.Settings sampling = sampling(request);
        int maxTokens = request.maxTokens() != null ? request.maxTokens() : settings.defaultMaxTokens();
        TokenConstraint constraint = constraint(request.jsonSchema(), maxTokens);
        if (constraint != null && constraint.minTokens() > settings.contextSize() - positions + 1) { // else refused only after the prefill
            throw ApiError.badRequest("context_length_exceeded", "the prompt takes " + positions + " positions and the shortest document the"
                    + " response_format schema accepts " + constraint.minTokens() + " tokens, but the context holds " + settings.contextSize()
                    + " (the server's -c)");
        }
        Job job = new Job(prompt, pre, hashes, keys(prompt, hashes), sampling, maxTokens, request.stop(), constraint);
        if (!queue.offer(job)) {
            metrics.rejectedBusy.incrementAndGet();
            throw ApiError.busy("all " + slots.length + " slots are busy and " + queue.size() + " request(s) are waiting; retry later", 1);
        }
        return job;
    }

    /** The compiled {@code response_format} schema for one answer (null: free text); a bad schema or a too small limit is a 400. */
    private TokenConstraint constraint(String schema, int maxTokens) throws ApiError {
        if (schema == null) {
            return null;
        }
        TokenConstraint constraint;
        try {
            constraint = JsonSchema.compile(schema).constraint(tokenizer);
        } catch (SchemaException e) {
            throw ApiError.badRequest("invalid_schema", "'response_format': " + e.getMessage());
        }
        if (maxTokens > 0 && maxTokens < constraint.minTokens()) {
            throw ApiError.badRequest("invalid_value", "'max_tokens' " + maxTokens + " is below the " + constraint.minTokens()
                    + " tokens of the shortest document the response_format schema accepts");
        }
        return constraint;
    }

    private PreprocessedImage preprocess(byte[] bytes, String name) throws ApiError {
        RgbImage rgb;
        try {
            rgb = ImageLoader.load(bytes, name, settings.maxImagePixels());
        } catch (ImageLoadException e) {
            String m = e.getMessage();
            String prefix = "cannot load image ";
            throw ApiError.badRequest(m.contains("over the limit") ? "image_too_large" : "invalid_image",
                    m.startsWith(prefix) ? m.substring(prefix.length()) : m);
        }
        try {
            return preprocessor.preprocess(rgb);
        } catch (OutOfMemoryError e) {
            throw ApiError.badRequest("image_too_large", name + ": not enough server memory to pre-process a " + rgb.width() + "x"
                    + rgb.height() + " image");
        }
    }

    /** The chat template's messages: text parts joined (a line break between two texts), each image a media marker. */
    private static List<ChatTemplate.Message> messages(ChatRequest request) throws ApiError {
        List<ChatTemplate.Message> out = new ArrayList<>();
        for (ChatRequest.Message m : request.messages()) {
            StringBuilder content = new StringBuilder();
            int images = 0;
            boolean lastWasText = false;
            for (ChatRequest.Part part : m.parts()) {
                switch (part) {
                    case ChatRequest.Text t -> {
                        if (t.text().contains(ChatTemplate.MEDIA_MARKER)) {
                            throw ApiError.badRequest("invalid_prompt", "message text must not contain the media marker "
                                    + ChatTemplate.MEDIA_MARKER + ": send images as image_url parts");
                        }
                        if (lastWasText) {
                            content.append('\n');
                        }
                        content.append(t.text());
                        lastWasText = true;
                    }
                    case ChatRequest.Image i -> {
                        content.append(ChatTemplate.MEDIA_MARKER);
                        images++;
                        lastWasText = false;
                    }
                }
            }
            out.add(switch (m.role()) {
                case SYSTEM -> ChatTemplate.Message.system(content.toString());
                case USER -> ChatTemplate.Message.user(content.toString(), images);
                case ASSISTANT -> ChatTemplate.Message.assistant(content.toString());
            });
        }
        return out;
    }

    private Sampler.Settings sampling(ChatRequest r) throws ApiError {
        Sampler.Settings d = settings.sampling();
        long seed = r.seed() != null ? r.seed() : settings.fixedSeed() ? d.seed() : new Random().nextLong();
        try {
            return new Sampler.Settings(r.temperature() != null ? r.temperature() : d.temperature(), r.minP() != null ? r.minP() : d.minP(),
                    r.topK() != null ? r.topK() : d.topK(), r.topP() != null ? r.topP() : d.topP(),
                    r.repetitionPenalty() != null ? r.repetitionPenalty() : d.repeatPenalty(), d.repeatLastN(), seed);
        } catch (IllegalArgumentException e) {
            throw ApiError.badRequest("invalid_value", e.getMessage());
        }
    }

    /** Per position: the token id, or for an image vector a negative value from its image's hash, entry and index. */
    private static long[] keys(Prompt prompt, List<String> hashes) {
        long[] keys = new long[prompt.positions()];
        int p = 0;
        for (Prompt.Part c : prompt.parts()) {
            switch (c) {
                case Prompt.Tokens t -> {
                    for (int id : t.ids()) {
                        keys[p++] = id;
                    }
                }
                case Prompt.Image ic -> {
                    long h = HexFormat.fromHexDigitsToLong(hashes.get(ic.image()), 0, 16);
                    for (int i = 0; i < ic.positions(); i++) {
                        keys[p++] = Long.MIN_VALUE | ((h + 0x9E3779B97F4A7C15L * (ic.index() + 1)) * 1_000_003L + i);
                    }
                }
            }
        }
        return keys;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    /** The scheduler thread: admit waiting requests to free slots, then one unit of work per busy slot, round robin. */
    private void schedule() {
        while (open) {
            admit();
            int busy = 0;
            int decoding = 0;
            for (Slot s : slots) {
                if (s.busy() && !s.decoding()) {
                    s.step(imageCache); // an image entry or a prefill chunk
                } else if (s.busy()) {
                    int token;
                    try {
                        token = s.sampleNext();
                    } catch (RuntimeException e) {
                        s.failed(e);
                        continue;
                    }
                    if (token >= 0) {
                        stepSlots[decoding] = s;
                        stepStates[decoding] = s.state();
                        stepTokens[decoding] = token;
                        stepLogits[decoding++] = s.logits();
                    }
                }
            }
            if (decoding > 0) {
                decodeTogether(decoding);
            }
            for (Slot s : slots) {
                busy += s.busy() ? 1 : 0;
            }
            busySlots = busy;
            if (busy == 0) {
                try {
                    Job next = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (next != null && !start(next)) {
                        cancelled(next);
                    }
                } catch (InterruptedException e) {
                    break;
                }
            }
        }
        ApiError closing = ApiError.unavailable("the server is shutting down");
        for (Slot s : slots) {
            s.abandon(closing);
        }
        for (Job j; (j = queue.poll()) != null; ) {
            j.events.add(new Failed(closing));
        }
        busySlots = 0;
    }

    /**
     * One batched forward for every slot that is decoding: each weight matrix is read once for all of them, and each
     * slot's logits are bit for bit those of its own single forward (Lfm2Model.decode, batch invariance).
     */
    private void decodeTogether(int count) {
        try {
            text.decode(stepStates, stepTokens, count, stepLogits);
        } catch (RuntimeException e) {
            for (int i = 0; i < count; i++) {
                stepSlots[i].failed(e);
            }
            return;
        }
        for (int i = 0; i < count; i++) {
            stepSlots[i].fed();
        }
    }

    private void admit() {
        while (!queue.isEmpty() && freeSlots() > 0) {
            Job job = queue.poll();
            if (job != null && !start(job)) {
                cancelled(job);
            }
        }
    }

    private void cancelled(Job job) {
        metrics.cancelled.incrementAndGet();
        job.events.add(new Failed(ApiError.badRequest("cancelled", "the request was cancelled")));
    }

    private int freeSlots() {
        int n = 0;
        for (Slot s : slots) {
            n += s.busy() ? 0 : 1;
        }
        return n;
    }

    /**
     * Gives {@code job} a free slot: the one whose cached tokens the prompt extends the furthest (prefix reuse), else
     * the least recently used one. False when the client went away while waiting.
     */
    private boolean start(Job job) {
        if (job.cancelled()) {
            return false;
        }
        Slot best = null;
        int bestReuse = -1;
        for (Slot s : slots) {
            if (s.busy()) {
                continue;
            }
            int reuse = s.reusablePrefix(job);
            if (reuse > bestReuse || (reuse == bestReuse && s.lastUsed() < best.lastUsed())) {
                best = s;
                bestReuse = reuse;
            }
        }
        best.start(job, imageCache);
        busySlots = slots.length - freeSlots();
        return true;
    }

    /** Stops the scheduler (requests still running or waiting get a 503 error event) and closes the models. */
    @Override
    public void close() {
        open = false;
        try {
            scheduler.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (vision != null) {
            vision.close();
        }
        text.close();
        pool.close();
    }
}
