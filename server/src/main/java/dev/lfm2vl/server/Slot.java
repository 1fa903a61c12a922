package dev.lfm2vl.server;

import dev.lfm2vl.runtime.ImageEntry;
import dev.lfm2vl.runtime.Lfm2Model;
import dev.lfm2vl.runtime.Lfm2State;
import dev.lfm2vl.runtime.Prompt;
import dev.lfm2vl.runtime.Sampler;
import dev.lfm2vl.runtime.TokenDecoder;
import dev.lfm2vl.runtime.Tokenizer;
import dev.lfm2vl.runtime.VisionModel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * One sequence the engine serves: its own KV cache and conv state ({@link Lfm2State}), and the request it is
 * working on, advanced by {@link #step} one unit at a time: encode one image entry, feed one prefill chunk, or decode
 * one token. Used by the scheduler thread only.
 *
 * <p>The numbers are those of {@code Generator.generate}, so an answer equals the CLI's. It feeds each text chunk and
 * image entry of the prompt as its own forward call, cut by {@code Lfm2Model.forward} at the state's batch size; the
 * slot cuts them into smaller pieces (the engine's prefill chunk), which gives the same bits since every piece of two
 * or more positions does (PrefillIsCutInvariantTest in the runtime's tests); a piece of one position, which takes the
 * mat-vec path, is left only where that one call leaves one too. Only the last piece asks for logits; then sample,
 * accept, feed, exactly as its loop does.
 *
 * <p>Prefix reuse: the slot remembers what its cache holds ({@link #held}, one key per position: token ids, image
 * vectors by content hash). A prompt that extends all of it (same tokens, same images: the conversation resent with
 * a new turn) is fed from there on. Anything else starts from an empty cache: the conv state cannot be rewound.
 *
 * <p>A resent answer is matched by its text, not its tokens: the slot also remembers the ids it generated and the
 * text the client got from them ({@link #answerText}). When the new prompt holds that text where the answer was, the
 * cache is reused as computed, with the generated ids, even if the text re-tokenizes to other ids: those ids are what
 * the model saw, as in the runtime's {@code Conversation} and in llama-server, whose slot cache holds the sampled ids
 * (llama.cpp examples/server/server.cpp, update_slots: {@code slot.cache_tokens.push_back(slot.sampled)}). llama-server
 * then compares ids and recomputes from the first that differs; the conv state cannot be rewound, so the text is
 * compared instead. The text is the one the client was sent, so ids that print nothing (a control token) or part of a
 * character (shown as U+FFFD) still match it. The new request's prompt counts the generated ids in place of its own
 * tokens of the answer.
 */
final class Slot {
    private enum Phase { IDLE, ENCODE, PREFILL, DECODE }

    private final Lfm2Model model;
    private final Tokenizer tokenizer;
    private final VisionModel vision;
    private final Lfm2State state;
    private final Metrics metrics;
    private final float[] logits;
    /** The token {@link #sampleNext} sampled, fed by the engine's batched forward, and whether it ends the answer. */
    private int sampled;
    private boolean sampledEnd;
    private long decodeStarted;
    /** Positions one prefill step feeds at most (the engine's prefill chunk, at most {@link #batch}). */
    private final int chunk;
    /** Lfm2Model.newState's batch size, where one forward call of a whole prompt chunk cuts it. */
    private final int batch;

    /** Keys of the positions the cache holds, valid up to {@link #heldLength}. */
    private long[] held = new long[64];
    private int heldLength;
    private long lastUsed;
    /**
     * The last answer: its generated ids are held[answerStart, answerEnd) (an end-of-generation token fed after them
     * is held too), and the client got {@link #answerText} from them. Null when the text sent is not that of the held
     * ids (a stop string cut it, or the context was full before the last token was fed).
     */
    private String answerText;
    private int answerStart;
    private int answerEnd;
    private final StringBuilder sentText = new StringBuilder();
    private boolean lastTokenUnfed;

    private Phase phase = Phase.IDLE;
    private ChatEngine.Job job;
    /** Positions of the cache reused for the job (its prompt as the model sees it begins with them). */
    private int start;
    /** From the job's prompt position {@link #feedFrom} on, the slot feeds; before it, the cache holds the prompt. */
    private int feedFrom;
    /** Per image of the job: per entry, its vectors (null while not encoded). */
    private float[][][] embeddings;
    private int encodeImage;
    private int encodeEntry;
    /** Prefill progress: chunk index in the prompt and offset inside it. */
    private int prefillChunk;
    private int prefillOffset;
    private long prefillNanos;
    private Sampler sampler;
    private TokenDecoder decoder;
    private StopStrings stop;
    private int generated;

    Slot(Lfm2Model model, Tokenizer tokenizer, VisionModel vision, int contextSize, int piece, Metrics metrics) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.vision = vision;
        this.state = model.newState(contextSize);
        this.metrics = metrics;
        this.logits = new float[model.config().vocabSize()];
        this.batch = Math.min(Lfm2Model.MAX_BATCH, contextSize);
        this.chunk = Math.min(piece, batch);
    }

    boolean busy() {
        return phase != Phase.IDLE;
    }

    long lastUsed() {
        return lastUsed;
    }

    /**
     * How many positions of this slot's cache the job can reuse: all of {@link #held} when the job's prompt extends it
     * ({@link #feedPosition}), else 0.
     */
    int reusablePrefix(ChatEngine.Job job) {
        return feedPosition(job) < 0 ? 0 : heldLength;
    }

    /**
     * Where in the job's prompt feeding starts if the cache is reused: the prompt extends all of {@link #held} by at
     * least one position, either key for key, or with the last answer's text in place of its generated ids; and the
     * boundary is not inside an image entry. -1 when it does not extend the cache (or would not fit the context with
     * the generated ids in place of its own).
     */
    private int feedPosition(ChatEngine.Job job) {
        long[] keys = job.keys;
        if (heldLength == 0) {
            return -1;
        }
        int from;
        if (heldLength < keys.length && Arrays.equals(held, 0, heldLength, keys, 0, heldLength)) {
            from = heldLength;
        } else {
            from = afterAnswer(keys);
            if (from < 0 || from >= keys.length || heldLength + keys.length - from > state.capacity()) {
                return -1;
            }
        }
        int p = 0;
        for (Prompt.Part c : job.prompt.parts()) {
            if (c instanceof Prompt.Image && p < from && from < p + c.positions()) {
                return -1;
            }
            p += c.positions();
        }
        return from;
    }

    /**
     * The position in {@code keys} right after the held cache, when {@code keys} holds the cache's prompt, then tokens
     * whose text is exactly {@link #answerText}, then what the cache holds after the answer (its end token); else -1.
     */
    private int afterAnswer(long[] keys) {
        if (answerText == null || keys.length <= answerStart || !Arrays.equals(held, 0, answerStart, keys, 0, answerStart)) {
            return -1;
        }
        byte[] text = answerText.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int at = 0;
        int p = answerStart;
        while (at < text.length) {
            if (p >= keys.length || keys[p] < 0 || keys[p] >= model.config().vocabSize()) {
                return -1;
            }
            byte[] piece = tokenizer.pieceBytes((int) keys[p]);
            if (piece.length == 0 || at + piece.length > text.length || !Arrays.equals(piece, 0, piece.length, text, at, at + piece.length)) {
                return -1;
            }
            at += piece.length;
            p++;
        }
        int tail = heldLength - answerEnd;
        if (p + tail > keys.length || !Arrays.equals(held, answerEnd, heldLength, keys, p, p + tail)) {
            return -1;
        }
        return p + tail;
    }

    /** Takes {@code job}: reuses the cache's prefix or clears it, takes cached image vectors, and starts encoding or prefill. */
    void start(ChatEngine.Job job, LruCache<String, List<float[]>> imageCache) {
        this.job = job;
        this.lastUsed = System.nanoTime();
        feedFrom = feedPosition(job);
        if (feedFrom < 0) {
            state.reset();
            heldLength = 0;
            feedFrom = 0;
        } else {
            metrics.cachedPromptTokens.addAndGet(heldLength);
        }
        start = heldLength;
        answerText = null;
        sentText.setLength(0);
        lastTokenUnfed = false;
        embeddings = new float[job.images.size()][][];
        int p = 0;
        for (Prompt.Part c : job.prompt.parts()) {
            if (c instanceof Prompt.Image ic && p >= feedFrom && embeddings[ic.image()] == null) {
                int entries = job.images.get(ic.image()).entries().size();
                List<float[]> cached = imageCache.get(job.imageHashes.get(ic.image()));
                embeddings[ic.image()] = cached != null ? cached.toArray(new float[0][]) : new float[entries][];
                if (cached != null) {
                    metrics.imageCacheHits.incrementAndGet();
                }
            }
            p += c.positions();
        }
        encodeImage = 0;
        encodeEntry = 0;
        prefillChunk = 0;
        prefillOffset = 0;
        prefillNanos = 0;
        generated = 0;
        sampler = new Sampler(model.config().vocabSize(), job.sampling);
        decoder = tokenizer.newDecoder(false);
        stop = new StopStrings(job.stop);
        phase = Phase.ENCODE;
    }

    /** One unit of work; a cancelled job is dropped here (its slot free at once). */
    void step(LruCache<String, List<float[]>> imageCache) {
        if (job.cancelled()) {
            metrics.cancelled.incrementAndGet();
            clear();
            return;
        }
        try {
            switch (phase) {
                case ENCODE -> encodeStep(imageCache);
                case PREFILL -> prefillStep();
                case DECODE -> { } // batched by the engine: sampleNext, Lfm2Model.decode, fed
                case IDLE -> { }
            }
        } catch (CancellationException e) {
            metrics.cancelled.incrementAndGet();
            clear();
        } catch (RuntimeException | OutOfMemoryError e) {
            fail(ApiError.internal("generation failed: " + ChatRequestParser.clip(String.valueOf(e.getMessage()))));
        }
    }

    /** Encodes the next missing image entry; when none is left, moves on to the prefill. */
    private void encodeStep(LruCache<String, List<float[]>> imageCache) {
        while (encodeImage < embeddings.length) {
            float[][] vectors = embeddings[encodeImage];
            if (vectors != null) {
                while (encodeEntry < vectors.length && vectors[encodeEntry] != null) {
                    encodeEntry++;
                }
                if (encodeEntry < vectors.length) {
                    ImageEntry entry = job.images.get(encodeImage).entries().get(encodeEntry);
                    long t0 = System.nanoTime();
                    ChatEngine.Job j = job;
                    vectors[encodeEntry] = vision.embed(entry, j::cancelled);
                    metrics.imageEncodeNanos.addAndGet(System.nanoTime() - t0);
                    if (encodeEntry == vectors.length - 1) {
                        metrics.imagesEncoded.incrementAndGet();
                        imageCache.put(job.imageHashes.get(encodeImage), List.of(vectors));
                    }
                    return;
                }
            }
            encodeImage++;
            encodeEntry = 0;
        }
        phase = Phase.PREFILL;
        skipHeldPrefix();
        prefillStep();
    }

    /** Positions the prefill starts at: the chunk and offset of {@link #feedFrom}. */
    private void skipHeldPrefix() {
        List<Prompt.Part> chunks = job.prompt.parts();
        int p = 0;
        prefillChunk = 0;
        while (p + chunks.get(prefillChunk).positions() <= feedFrom) {
            p += chunks.get(prefillChunk).positions();
            prefillChunk++;
        }
        prefillOffset = feedFrom - p;
    }

    /** Feeds the next piece of the prompt (at most {@link #chunk} positions of one chunk). */
    private void prefillStep() {
        long t0 = System.nanoTime();
        List<Prompt.Part> chunks = job.prompt.parts();
        Prompt.Part c = chunks.get(prefillChunk);
        int left = c.positions() - prefillOffset;
        int n = Math.min(chunk, left);
        if (n > 2 && left - n == 1 && c.positions() % batch != 1) {
            n--; // no piece of one position where the one forward call of this chunk has none (the mat-vec path's sums differ)
        }
        boolean last = prefillChunk == chunks.size() - 1 && prefillOffset + n == c.positions();
        float[] out = last ? logits : null;
        ChatEngine.Job j = job;
        switch (c) {
            case Prompt.Tokens t -> model.forward(state, t.ids(), prefillOffset, n, out, j::cancelled);
            case Prompt.Image ic -> {
                float[] e = embeddings[ic.image()][ic.index()];
                model.forwardEmbeddings(state, e, prefillOffset * (e.length / ic.positions()), n, out, j::cancelled);
            }
        }
        int from = chunkStart(prefillChunk) + prefillOffset;
        for (int i = 0; i < n; i++) {
            hold(job.keys[from + i]);
        }
        prefillOffset += n;
        if (prefillOffset == c.positions()) {
            prefillChunk++;
            prefillOffset = 0;
        }
        prefillNanos += System.nanoTime() - t0;
        if (last) {
            metrics.prefillNanos.addAndGet(prefillNanos);
            embeddings = null;
            answerStart = heldLength;
            answerEnd = heldLength;
            phase = Phase.DECODE;
        }
    }

    private int chunkStart(int index) {
        int p = 0;
        for (int i = 0; i < index; i++) {
            p += job.prompt.parts().get(i).positions();
        }
        return p;
    }

    /** Whether the next unit of work is a decode step (the engine batches those of all slots: {@link #sampleNext}). */
    boolean decoding() {
        return phase == Phase.DECODE && job != null;
    }

    /**
     * The first half of a decode step, as one turn of {@code Generator.generate}'s loop: samples the next token from
     * the logits and emits its text. Returns the token to feed in the engine's batched forward ({@link #fed()} after
     * it), or -1 when the answer ended here (context full) or the job was dropped.
     */
    int sampleNext() {
        if (job.cancelled()) {
            metrics.cancelled.incrementAndGet();
            clear();
            return -1;
        }
        decodeStarted = System.nanoTime();
        int budget = state.remaining() + 1; // as Generator.generate: the token limit and the context both count
        if (job.maxTokens > 0) {
            budget = Math.min(budget, job.maxTokens - generated);
        }
        int id = sampler.sample(logits, 0, job.constraint, budget);
        sampler.accept(id);
        generated++;
        metrics.generatedTokens.incrementAndGet();
        sampledEnd = tokenizer.isEndOfGeneration(id);
        if (!sampledEnd) {
            emit(stop.accept(decoder.accept(id)));
        }
        if (state.remaining() == 0) { // the sampled token is kept, not fed
            lastTokenUnfed = !sampledEnd; // its text was sent but the cache does not hold it
            done(sampledEnd ? "stop" : "length");
            return -1;
        }
        sampled = id;
        return id;
    }

    /** The second half of a decode step, after the engine's batched forward fed {@link #sampleNext}'s token. */
    void fed() {
        hold(sampled);
        if (!sampledEnd) {
            answerEnd = heldLength;
        }
        if (sampledEnd || stop.matched()) {
            done("stop");
        } else if (job.maxTokens > 0 && generated >= job.maxTokens) {
            done("length");
        } else {
            metrics.decodeNanos.addAndGet(System.nanoTime() - decodeStarted);
        }
    }

    /** A failed batched forward: this slot's request fails, the slot is cleared. */
    void failed(RuntimeException e) {
        fail(ApiError.internal("generation failed: " + ChatRequestParser.clip(String.valueOf(e.getMessage()))));
    }

    Lfm2State state() {
        return state;
    }

    float[] logits() {
        return logits;
    }

    private void done(String reason) {
        metrics.decodeNanos.addAndGet(System.nanoTime() - decodeStarted);
        emit(stop.accept(decoder.flush()));
        emit(stop.flush());
        int promptPositions = answerStart;
        metrics.promptTokens.addAndGet(promptPositions);
        job.events.add(new ChatEngine.Done(reason, promptPositions, generated, start));
        answerText = lastTokenUnfed || stop.matched() ? null : sentText.toString();
        finish();
    }

    private void emit(String text) {
        if (!text.isEmpty()) {
            sentText.append(text);
            job.events.add(new ChatEngine.Text(text));
        }
    }

    private void hold(long key) {
        if (heldLength == held.length) {
            held = Arrays.copyOf(held, held.length * 2);
        }
        held[heldLength++] = key;
    }

    /** The request is done: the slot is free and keeps its cache for a request that extends it. */
    private void finish() {
        job = null;
        embeddings = null;
        phase = Phase.IDLE;
        lastUsed = System.nanoTime();
    }

    /** The request was dropped midway: the cache holds a partial state, so it is forgotten. */
    private void clear() {
        finish();
        state.reset();
        heldLength = 0;
        answerText = null;
    }

    private void fail(ApiError error) {
        job.events.add(new ChatEngine.Failed(error));
        clear();
    }

    /** Ends the slot's request with {@code error} (shutdown). */
    void abandon(ApiError error) {
        if (job != null) {
            fail(error);
        }
    }
}
