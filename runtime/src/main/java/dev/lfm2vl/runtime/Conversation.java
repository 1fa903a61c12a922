package dev.lfm2vl.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * A multi-turn chat whose earlier turns stay in the KV cache: each new user message is rendered as a
 * continuation of the conversation (docs/MODEL.md §8.1) and only its tokens are fed, never the whole history again.
 */
public final class Conversation {
    private final Lfm2Model model;
    private final Tokenizer tokenizer;
    private final Generator generator;
    private final Sampler sampler;
    private final Lfm2State state;
    private String system;
    /** Whether the last answer ended without {@code <|im_end|>} (token limit, Ctrl-C) and must be closed. */
    private boolean openAnswer;
    private int turns;

    public Conversation(Lfm2Model model, Tokenizer tokenizer, Sampler.Settings sampling, int contextSize, String system) {
        this.model = model;
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
     * The prompt of a new user turn with pre-processed images, laid out as in the reference ({@link MultimodalPrompt#build}
     * on the turn's template pieces: the whole first turn with BOS, later turns as a continuation without). No model
     * work is done; {@link #send(MultimodalPrompt, List, int, Generator.Listener)} feeds it. Valid until the
     * conversation changes (a turn is sent, or it is reset).
     *
     * @throws IllegalArgumentException if the message's media markers do not match the images
     */
    public MultimodalPrompt nextPrompt(String text, List<PreprocessedImage> images) {
        List<ChatTemplate.Piece> pieces = new ArrayList<>(turnPieces(ChatTemplate.Message.user(text, images.size())));
        if (turns > 0) {
            String prefix = continuationPrefix();
            if (!pieces.isEmpty() && pieces.get(0) instanceof ChatTemplate.Text t) {
                pieces.set(0, new ChatTemplate.Text(prefix + t.text()));
            } else {
                pieces.add(0, new ChatTemplate.Text(prefix));
            }
        }
        return MultimodalPrompt.build(pieces, tokenizer, images, turns == 0);
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
     * Sends a turn built by {@link #nextPrompt} with its image vectors ({@link MultimodalPrompt#embed}) and streams
     * the answer; earlier turns stay in the KV cache. A stop before the first token ({@link Generator.Result#takenBack()})
     * leaves the conversation as it was, so the same turn can be sent again.
     *
     * @throws ContextFullException if the prompt does not fit in what is left of the context
     */
    public Generator.Result send(MultimodalPrompt prompt, List<List<float[]>> embeddings, int maxTokens, Generator.Listener listener) {
        return send(prompt, embeddings, maxTokens, listener, null);
    }

    /** As {@link #send(MultimodalPrompt, List, int, Generator.Listener)}, the answer restricted by {@code constraint} (null: free). */
    public Generator.Result send(MultimodalPrompt prompt, List<List<float[]>> embeddings, int maxTokens, Generator.Listener listener,
            TokenConstraint constraint) {
        if (prompt.positions() > state.remaining()) {
            throw new ContextFullException(state.position() + prompt.positions(), state.capacity());
        }
        return recorded(generator.generate(state, prompt.parts(embeddings), sampler, maxTokens, listener, constraint));
    }

    /**
     * Sends a user message with pre-processed images (encoded here by {@code vision}; null when there are none) and
     * streams the answer. The images go where the message has media markers, else before its text.
     */
    public Generator.Result send(String text, List<PreprocessedImage> images, VisionModel vision, int maxTokens,
                                 Generator.Listener listener) {
        MultimodalPrompt prompt = nextPrompt(text, images);
        if (prompt.positions() > state.remaining()) {
            throw new ContextFullException(state.position() + prompt.positions(), state.capacity());
        }
        return send(prompt, images.isEmpty() ? List.of() : prompt.embed(vision), maxTokens, listener);
    }

    /** Sends a text-only user message and streams the answer (the turn of {@link #nextPrompt} without images). */
    public Generator.Result send(String text, int maxTokens, Generator.Listener listener) {
        return send(text, List.of(), null, maxTokens, listener);
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
