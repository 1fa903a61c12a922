package dev.lfm2vl.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;

/**
 * A multi-turn chat whose earlier turns stay in the KV cache: each new user message is rendered as a
 * continuation of the conversation (docs/MODEL.md §8.1) and only its tokens are fed, never the whole history again.
 */
public final class Conversation {
    private final Lfm2Model model;
    private final VisionModel vision;
    private final Tokenizer tokenizer;
    private final Generator generator;
    private final Sampler sampler;
    private final Lfm2State state;
    private String system;
    /** Whether the last answer ended without {@code <|im_end|>} (token limit, Ctrl-C) and must be closed. */
    private boolean openAnswer;
    private int turns;

    /** A conversation on {@code model}; {@code vision} encodes the turns' images (null for text only). */
    public Conversation(Lfm2Model model, VisionModel vision, Tokenizer tokenizer, Sampler.Settings sampling, int contextSize, String system) {
        this.model = model;
        this.vision = vision;
        this.tokenizer = tokenizer;
        this.generator = new Generator(model, tokenizer);
        this.sampler = new Sampler(model.config().vocabSize(), sampling);
        this.state = model.newState(contextSize);
        this.system = system;
    }

    /** Forgets every turn (the KV cache and conv state start over). */
    public void reset() {
        state.reset();
        sampler.reset();
        openAnswer = false;
        turns = 0;
    }

    /** Sets the system message and starts over (it must come first in the conversation). */
    public void setSystem(String system) {
        this.system = system;
        reset();
    }

    public Lfm2State state() {
        return state;
    }

    public int turns() {
        return turns;
    }

    /**
     * The prompt of a new user turn with pre-processed images, laid out as in the reference ({@link Prompt#build} on
     * the turn's template pieces: the whole first turn with BOS, later turns as a continuation without). No model
     * work is done; {@link #send(Prompt, int, Listener)} feeds it. Valid until the conversation changes (a turn is
     * sent, or it is reset).
     *
     * @throws IllegalArgumentException if the message's media markers do not match the images
     */
    public Prompt nextPrompt(String text, List<PreprocessedImage> images) {
        List<ChatTemplate.Piece> pieces = new ArrayList<>(turnPieces(ChatTemplate.Message.user(text, images.size())));
        if (turns > 0) {
            String prefix = continuationPrefix();
            if (!pieces.isEmpty() && pieces.get(0) instanceof ChatTemplate.Text t) {
                pieces.set(0, new ChatTemplate.Text(prefix + t.text()));
            } else {
                pieces.add(0, new ChatTemplate.Text(prefix));
            }
        }
        return Prompt.build(pieces, tokenizer, images, turns == 0);
    }

    /** The template pieces of a user turn: the whole first turn (with the system message), later ones as a continuation. */
    private List<ChatTemplate.Piece> turnPieces(ChatTemplate.Message message) {
        if (turns > 0) {
            return ChatTemplate.continuation(message, true);
        }
        List<ChatTemplate.Message> messages = new ArrayList<>();
        if (system != null && !system.isEmpty()) {
            messages.add(ChatTemplate.Message.system(system));
        }
        messages.add(message);
        return ChatTemplate.pieces(messages, true);
    }

    /** Text before a later turn: the previous answer ended with {@code <|im_end|>} (fed to the model); the template puts "\n" after it. */
    private String continuationPrefix() {
        return openAnswer ? ChatTemplate.IM_END + "\n" : "\n";
    }

    /**
     * Sends a turn built by {@link #nextPrompt}, encoding its images first if they are not yet (stages and
     * cancellation go through {@code listener}), and streams the answer; earlier turns stay in the KV cache. A stop
     * before the first token ({@link Generator.Result#takenBack()}) leaves the conversation as it was, so the same
     * turn can be sent again.
     *
     * @throws ContextFullException if the prompt does not fit in what is left of the context
     */
    public Generator.Result send(Prompt prompt, int maxTokens, Listener listener) {
        return send(prompt, maxTokens, listener, null);
    }

    /**
     * As {@link #send(Prompt, int, Listener)}, the answer restricted by {@code constraint} (null: free). A turn whose
     * shortest constrained answer does not fit after its prompt is refused before its images are encoded or anything
     * is fed: the conversation is as it was.
     *
     * @throws ContextFullException if the prompt, or the prompt and the shortest constrained answer, do not fit
     */
    public Generator.Result send(Prompt prompt, int maxTokens, Listener listener, TokenConstraint constraint) {
        if (prompt.positions() > state.remaining()) {
            throw new ContextFullException(state.position() + prompt.positions(), state.capacity());
        }
        Generator.checkRoom(state.position(), state.capacity(), prompt.positions(), maxTokens, constraint);
        Prompt encoded;
        try {
            encoded = prompt.encode(vision, listener);
        } catch (CancellationException e) { // stopped while encoding: nothing was fed to the model
            return Generator.Result.cancelledBefore(prompt.positions());
        }
        return recorded(generator.generate(state, encoded, sampler, maxTokens, listener, constraint));
    }

    /**
     * Sends a user message with pre-processed images and streams the answer. The images go where the message has
     * media markers, else before its text.
     */
    public Generator.Result send(String text, List<PreprocessedImage> images, int maxTokens, Listener listener) {
        return send(nextPrompt(text, images), maxTokens, listener);
    }

    /** Sends a text-only user message and streams the answer. */
    public Generator.Result send(String text, int maxTokens, Listener listener) {
        return send(text, List.of(), maxTokens, listener);
    }

    /** Counts a sent turn; a turn stopped before its first token was taken back and leaves the conversation as it was. */
    private Generator.Result recorded(Generator.Result r) {
        if (!r.takenBack()) {
            turns++;
            openAnswer = r.stopReason() != Generator.StopReason.END_OF_GENERATION;
        }
        return r;
    }

    public Lfm2Model model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
