package dev.lfm2vl.runtime;

import dev.lfm2vl.runtime.structured.SchemaException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The generation loop: feed the prompt (batched), then sample one token at a time until an end-of-generation
 * token, the token limit, a full context or cancellation. Decoding allocates nothing per token but the text
 * pieces it hands to the listener.
 */
public final class Generator {

    /** Why generation stopped. */
    public enum StopReason { END_OF_GENERATION, TOKEN_LIMIT, CONTEXT_FULL, CANCELLED }

    /** What one call produced, with timings in nanoseconds. */
    public record Result(int promptPositions, int[] tokens, String text, StopReason stopReason, long prefillNanos, long decodeNanos) {
        public double prefillTokensPerSecond() {
            return prefillNanos == 0 ? 0 : promptPositions * 1e9 / prefillNanos;
        }

        public double decodeTokensPerSecond() {
            return decodeNanos == 0 || tokens.length < 2 ? 0 : (tokens.length - 1) * 1e9 / decodeNanos;
        }

        /** A request stopped before anything was fed (e.g. while its images were encoded). */
        public static Result cancelledBefore(int promptPositions) {
            return new Result(promptPositions, new int[0], "", StopReason.CANCELLED, 0, 0);
        }

        /** Stopped before the first token: the prompt was taken back, the state is as it was before the call. */
        public boolean takenBack() {
            return stopReason == StopReason.CANCELLED && tokens.length == 0;
        }
    }

    private final Lfm2Model model;
    private final Tokenizer tokenizer;
    private final float[] logits;
    private final int[] one = new int[1];

    public Generator(Lfm2Model model, Tokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.logits = new float[model.config().vocabSize()];
    }

    /** The logits after the last forward call. */
    public float[] logits() {
        return logits;
    }

    /** Feeds an encoded prompt at the state's position; leaves the last position's logits in {@link #logits()}. */
    public void prefill(Lfm2State state, Prompt prompt) {
        prefill(state, prompt, () -> false);
    }

    /**
     * As {@link #prefill(Lfm2State, Prompt)}, polling {@code stop} before each layer; a true answer ends it with a
     * {@link java.util.concurrent.CancellationException} and the state partly advanced (see {@link #generate}).
     */
    private void prefill(Lfm2State state, Prompt prompt, BooleanSupplier stop) {
        if (!prompt.encoded()) {
            throw new IllegalStateException("the prompt's images are not encoded: Prompt.encode first");
        }
        int needed = prompt.positions();
        if (needed > state.remaining()) {
            throw new ContextFullException(state.position() + needed, state.capacity());
        }
        List<Prompt.Part> parts = prompt.parts();
        for (int i = 0; i < parts.size(); i++) {
            float[] out = i == parts.size() - 1 ? logits : null;
            switch (parts.get(i)) {
                case Prompt.Tokens t -> model.forward(state, t.ids(), 0, t.ids().length, out, stop);
                case Prompt.Image img -> model.forwardEmbeddings(state, img.vectors(), 0, img.positions(), out, stop);
            }
        }
    }

    /**
     * Refuses, before any work, an answer under {@code constraint} whose shortest completion cannot fit: the context
     * from {@code position} holds a prompt of {@code promptPositions} and then {@code remaining + 1} generated tokens
     * (the last one is kept, not fed: {@link #generate}'s budget), and {@code maxTokens} (not positive: no cap here; 0 generates nothing) caps them too.
     * Otherwise the constraint would refuse its first token only after the whole prompt had been fed.
     *
     * @throws ContextFullException if the context cannot hold the prompt and the shortest constrained answer
     * @throws SchemaException     if {@code maxTokens} is below the shortest constrained answer
     */
    static void checkRoom(int position, int capacity, int promptPositions, int maxTokens, TokenConstraint constraint) {
        if (constraint == null || promptPositions > capacity - position) {
            return; // free text; or the prompt alone does not fit, which the prefill reports
        }
        int shortest = constraint.minTokens();
        int room = capacity - position - promptPositions + 1;
        if (shortest > room) {
            throw new ContextFullException("the prompt and the shortest answer the JSON schema accepts", position + promptPositions + shortest - 1,
                    capacity);
        }
        if (maxTokens > 0 && shortest > maxTokens) {
            throw new SchemaException("the token limit (" + maxTokens + " tokens) is too small for the shortest document the JSON schema accepts ("
                    + shortest + " tokens); raise -n / max tokens");
        }
    }

    /**
     * Feeds {@code prompt} and generates up to {@code maxTokens} tokens (negative: until the context is full).
     * The end-of-generation token itself is fed to the model (so a following turn continues from it) but not
     * printed. {@code listener.cancelled()} is polled before each layer of the prefill and before each token; a
     * stop before the first token takes the prompt back: the result is {@link StopReason#CANCELLED} with no tokens
     * and the state is as it was before the call (a chat turn stopped there was never sent).
     */
    public Result generate(Lfm2State state, Prompt prompt, Sampler sampler, int maxTokens, Listener listener) {
        return generate(state, prompt, sampler, maxTokens, listener, null);
    }

    /**
     * As {@link #generate(Lfm2State, Prompt, Sampler, int, Listener)}, sampling only the tokens {@code constraint}
     * allows (null: any). The constraint is told how many tokens can still come (the token limit and the context
     * both count), so it can steer a structured answer to completion before either runs out. An answer whose
     * shortest completion cannot fit is refused before the prompt is fed, the state untouched.
     *
     * @throws ContextFullException if the context cannot hold the prompt and the constraint's shortest answer
     */
    public Result generate(Lfm2State state, Prompt prompt, Sampler sampler, int maxTokens, Listener listener,
            TokenConstraint constraint) {
        long t0 = System.nanoTime();
        int promptPositions = prompt.positions();
        checkRoom(state.position(), state.capacity(), promptPositions, maxTokens, constraint);
        int steps = 0;
        for (Prompt.Part p : prompt.parts()) {
            steps += model.layerSteps(state, p.positions());
        }
        int total = steps;
        int[] done = {0};
        listener.prefill(promptPositions);
        state.mark();
        try {
            prefill(state, prompt, () -> {
                listener.prefilling(done[0]++, total);
                return listener.cancelled();
            });
        } catch (CancellationException e) {
            state.rollback();
            return new Result(promptPositions, new int[0], "", StopReason.CANCELLED, System.nanoTime() - t0, 0);
        }
        long t1 = System.nanoTime();
        TokenDecoder decoder = tokenizer.newDecoder(false);
        StringBuilder text = new StringBuilder();
        int[] generated = new int[16];
        int count = 0;
        StopReason reason = StopReason.TOKEN_LIMIT;
        while (maxTokens < 0 || count < maxTokens) {
            if (listener.cancelled()) {
                if (count == 0) { // stopped just as the prefill ended: take the prompt back all the same
                    state.rollback();
                    return new Result(promptPositions, new int[0], "", StopReason.CANCELLED, t1 - t0, 0);
                }
                reason = StopReason.CANCELLED;
                break;
            }
            int budget = state.remaining() + 1; // the token sampled when the context is full is kept, not fed
            if (maxTokens >= 0) {
                budget = Math.min(budget, maxTokens - count);
            }
            int id = sampler.sample(logits, 0, constraint, budget);
            sampler.accept(id);
            if (count == generated.length) {
                generated = Arrays.copyOf(generated, count * 2);
            }
            generated[count++] = id;
            boolean end = tokenizer.isEndOfGeneration(id);
            if (!end) {
                String piece = decoder.accept(id);
                text.append(piece);
                listener.onToken(id, piece);
            }
            if (state.remaining() == 0) {
                reason = end ? StopReason.END_OF_GENERATION : StopReason.CONTEXT_FULL;
                break;
            }
            one[0] = id;
            model.forward(state, one, 0, 1, logits);
            if (end) {
                reason = StopReason.END_OF_GENERATION;
                break;
            }
        }
        String rest = decoder.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            listener.onToken(-1, rest);
        }
        long t2 = System.nanoTime();
        return new Result(promptPositions, Arrays.copyOf(generated, count), text.toString(), reason, t1 - t0, t2 - t1);
    }
}
