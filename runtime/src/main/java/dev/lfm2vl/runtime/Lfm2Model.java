package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Activations;
import dev.lfm2vl.kernels.Elementwise;
import dev.lfm2vl.kernels.Linear;
import dev.lfm2vl.kernels.MatMul;
import dev.lfm2vl.kernels.MatVec;
import dev.lfm2vl.kernels.Norms;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.Rope;
import dev.lfm2vl.kernels.VectorModule;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The LFM2 hybrid text tower (docs/MODEL.md §3.4): embeddings, then per layer a pre-normed mixer (gated short conv or
 * grouped-query attention) and a pre-normed SwiGLU feed-forward, each added to the residual stream; then the
 * final RMSNorm and the tied LM head. Weights stay in the memory-mapped GGUF; only the tiny norm and conv
 * vectors are copied to the heap.
 */
public final class Lfm2Model implements AutoCloseable {
    /** Positions one forward call processes at most; longer inputs are split (llama.cpp's ubatch is 512 too). */
    public static final int MAX_BATCH = 512;

    private final GgufFile gguf;
    private final Lfm2Config config;
    private final Parallel pool;
    private final WeightMatrix tokenEmbedding;
    private final WeightMatrix lmHead;       // output.weight, or token_embd.weight when tied (docs/MODEL.md §3.1)
    private final float[] outputNorm;        // token_embd_norm.weight is the FINAL norm (docs/MODEL.md pitfall 6)
    private final Block[] blocks;
    private final Rope rope;                 // cos/sin tables shared by every attention layer
    private final DecodeRows decodeRows = new DecodeRows();
    private Tokenizer tokenizer;             // built on first use: parsing a 65536-token vocabulary is not free

    /** One layer: a mixer and a SwiGLU feed-forward, each with its RMSNorm weight. */
    private record Block(float[] mixerNorm, Mixer mixer, float[] ffnNorm, WeightMatrix gate, WeightMatrix up, WeightMatrix down) {}

    /** The token-mixing half of a layer: {@link ShortConv} or {@link Attention}. */
    sealed interface Mixer permits ShortConv, Attention {
        /** Mixes {@code tokens} normed rows of {@code in} at positions {@code state.position...} into {@code out}. */
        void forward(Lfm2State state, int layer, float[] in, int tokens, float[] out);

        /**
         * One position of each sequence in {@code rows}: mixes its normed row into its mixed row, with each weight
         * matrix read once for all ({@link MatVec#matVecBatch}) and the conv or attention per sequence.
         */
        void decode(DecodeRows rows, int layer);
    }

    private Lfm2Model(GgufFile gguf, Lfm2Config config, Parallel pool) throws GgufFormatException {
        this.gguf = gguf;
        this.config = config;
        this.pool = pool;
        this.tokenEmbedding = GgufWeights.matrix(gguf, "token_embd.weight", config.dim(), config.vocabSize());
        this.lmHead = gguf.hasTensor("output.weight") ? GgufWeights.matrix(gguf, "output.weight", config.dim(), config.vocabSize()) : tokenEmbedding;
        this.outputNorm = GgufWeights.vector(gguf, "token_embd_norm.weight", config.dim());
        this.rope = new Rope(config.headDim(), config.ropeTheta());
        this.blocks = new Block[config.layers()];
        int d = config.dim();
        for (int l = 0; l < config.layers(); l++) {
            String p = "blk." + l + ".";
            Mixer mixer = config.isAttention(l) ? Attention.load(gguf, p, config, l, rope, pool) : ShortConv.load(gguf, p, config, pool);
            blocks[l] = new Block(GgufWeights.vector(gguf, p + "attn_norm.weight", d), mixer, GgufWeights.vector(gguf, p + "ffn_norm.weight", d),
                    GgufWeights.matrix(gguf, p + "ffn_gate.weight", d, config.ffnDim()), GgufWeights.matrix(gguf, p + "ffn_up.weight", d, config.ffnDim()),
                    GgufWeights.matrix(gguf, p + "ffn_down.weight", config.ffnDim(), d));
        }
    }

    /** Maps a text GGUF and checks every tensor the forward pass needs; the pool does all matrix work. */
    public static Lfm2Model load(Path path, Parallel pool) throws IOException {
        VectorModule.require();
        GgufFile gguf = GgufFile.open(path);
        try {
            return new Lfm2Model(gguf, Lfm2Config.from(gguf), pool);
        } catch (IOException | RuntimeException e) {
            gguf.close();
            throw e;
        }
    }

    public Lfm2Config config() {
        return config;
    }

    public GgufFile gguf() {
        return gguf;
    }

    public Parallel pool() {
        return pool;
    }

    /**
     * The model's tokenizer ({@code tokenizer.ggml.*}), built once. An unsupported tokenizer is a
     * GgufFormatException naming the file.
     */
    public synchronized Tokenizer tokenizer() throws GgufFormatException {
        if (tokenizer == null) {
            try {
                tokenizer = Tokenizer.fromGguf(gguf.metadata());
            } catch (IllegalArgumentException e) {
                throw new GgufFormatException(gguf.source() + ": " + e.getMessage());
            }
        }
        return tokenizer;
    }

    /** A fresh conversation whose KV cache holds {@code contextSize} positions (at most the model's context). */
    public Lfm2State newState(int contextSize) {
        if (contextSize < 1 || contextSize > config.contextLength()) {
            throw new IllegalArgumentException("context size must be between 1 and " + config.contextLength() + ", got " + contextSize);
        }
        rope.ensureCapacity(contextSize);
        return new Lfm2State(config, contextSize, Math.min(MAX_BATCH, contextSize));
    }

    /**
     * Feeds {@code n} tokens at the state's position; writes the logits of the last one into {@code logits}
     * ({@code vocabSize} floats), or of every one when {@code logits} holds {@code n * vocabSize} floats.
     */
    public void forward(Lfm2State state, int[] tokens, int off, int n, float[] logits) {
        forward(state, tokens, off, n, logits, Stop.NEVER);
    }

    /**
     * As {@link #forward(Lfm2State, int[], int, int, float[])}, polling {@code stop} before each layer of each batch:
     * a true answer ends the call with a {@link CancellationException} and leaves the state partly advanced (some
     * layers' caches hold the new positions), so the caller takes it back ({@link Generator} marks and rolls back).
     */
    public void forward(Lfm2State state, int[] tokens, int off, int n, float[] logits, BooleanSupplier stop) {
        boolean every = logits != null && logits.length >= (long) n * config.vocabSize() && n > 1;
        int d = config.dim();
        for (int done = 0; done < n; ) {
            int batch = Math.min(state.maxBatch, n - done);
            for (int t = 0; t < batch; t++) {
                int id = tokens[off + done + t];
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + id + " is outside the vocabulary (0.." + (config.vocabSize() - 1) + ")");
                }
                tokenEmbedding.dequantizeRow(id, state.x, t * d);
            }
            boolean last = done + batch == n;
            run(state, batch, every ? logits : (last ? logits : null), every ? done : -1, stop);
            done += batch;
        }
    }

    /**
     * Feeds {@code rows} input embeddings (e.g. projected image vectors, docs/MODEL.md pitfall 26) at the state's position,
     * each taking one position; writes the last position's logits if {@code logits} is not null.
     */
    public void forwardEmbeddings(Lfm2State state, float[] embeddings, int off, int rows, float[] logits) {
        forwardEmbeddings(state, embeddings, off, rows, logits, Stop.NEVER);
    }

    /** As {@link #forwardEmbeddings(Lfm2State, float[], int, int, float[])}, polling {@code stop} as {@link #forward} does. */
    public void forwardEmbeddings(Lfm2State state, float[] embeddings, int off, int rows, float[] logits, BooleanSupplier stop) {
        int d = config.dim();
        for (int done = 0; done < rows; ) {
            int batch = Math.min(state.maxBatch, rows - done);
            System.arraycopy(embeddings, off + done * d, state.x, 0, batch * d);
            done += batch;
            run(state, batch, done == rows ? logits : null, -1, stop);
        }
    }

    /**
     * One decode step of {@code count} independent sequences together (a server's running streams): feeds
     * {@code tokens[i]} to {@code states[i]} at its own position and writes its logits into {@code logits[i]}
     * ({@code vocabSize} floats), for i &lt; count. Every weight matrix is read once for all sequences; the short conv
     * and attention run per sequence on its own state. Each sequence's logits are bit for bit those of
     * {@code forward(states[i], tokens, i, 1, logits[i])} alone, whatever the other sequences and their positions
     * (batch invariance, issue 18), so a seeded or greedy answer does not depend on what else is running.
     *
     * <p>The states must be distinct, made by this model, and each have room for one more position; otherwise an
     * exception is thrown before any state changes (a full one: {@link ContextFullException}). Allocates nothing
     * once a step of this many sequences has run. Like {@link #forward}, one call at a time per model.
     */
    public void decode(Lfm2State[] states, int[] tokens, int count, float[][] logits) {
        if (count < 1 || count > states.length || count > tokens.length || count > logits.length) {
            throw new IllegalArgumentException("count " + count + " must be at least 1 and at most the " + states.length
                    + " states, " + tokens.length + " tokens and " + logits.length + " logit rows given");
        }
        int vocab = config.vocabSize();
        for (int i = 0; i < count; i++) {
            Lfm2State s = states[i];
            if (s == null || s.config != config) {
                throw new IllegalArgumentException("state " + i + " was not made by this model's newState");
            }
            for (int j = 0; j < i; j++) {
                if (states[j] == s) {
                    throw new IllegalArgumentException("state " + i + " is also state " + j + ": each sequence needs its own state");
                }
            }
            if (tokens[i] < 0 || tokens[i] >= vocab) {
                throw new IllegalArgumentException("token id " + tokens[i] + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
            if (logits[i] == null || logits[i].length < vocab) {
                throw new IllegalArgumentException("logits[" + i + "] must hold " + vocab + " floats");
            }
            if (s.position + 1 > s.capacity) {
                throw new ContextFullException(s.position + 1, s.capacity);
            }
        }
        if (count == 1) {
            forward(states[0], tokens, 0, 1, logits[0]);
            return;
        }
        DecodeRows rows = decodeRows;
        rows.gather(states, count);
        try {
            step(rows, tokens, logits);
        } finally {
            rows.clear();
        }
    }

    /** {@link #run} for one position of each sequence in {@code rows}, the matrices batched, everything else per sequence. */
    private void step(DecodeRows rows, int[] tokens, float[][] logits) {
        int n = rows.count;
        Lfm2State[] st = rows.states;
        int d = config.dim();
        int ff = config.ffnDim();
        float eps = config.rmsEps();
        for (int i = 0; i < n; i++) {
            tokenEmbedding.dequantizeRow(tokens[i], st[i].x, 0);
        }
        for (int l = 0; l < blocks.length; l++) {
            Block b = blocks[l];
            for (int i = 0; i < n; i++) {
                Norms.rmsNormRows(st[i].x, 0, b.mixerNorm, st[i].normed, 0, 1, d, eps);
            }
            b.mixer.decode(rows, l);
            for (int i = 0; i < n; i++) {
                Elementwise.add(st[i].x, 0, st[i].mixed, 0, d);
                Norms.rmsNormRows(st[i].x, 0, b.ffnNorm, st[i].normed, 0, 1, d, eps);
            }
            MatVec.matVecBatch(b.gate, rows.normed, 0, n, rows.gate, 0, pool);
            MatVec.matVecBatch(b.up, rows.normed, 0, n, rows.up, 0, pool);
            for (int i = 0; i < n; i++) {
                Activations.swiglu(st[i].gate, 0, st[i].up, 0, st[i].gate, 0, ff);
            }
            MatVec.matVecBatch(b.down, rows.gate, 0, n, rows.mixed, 0, pool);
            for (int i = 0; i < n; i++) {
                Elementwise.add(st[i].x, 0, st[i].mixed, 0, d);
            }
        }
        for (int i = 0; i < n; i++) {
            st[i].position++;
            Norms.rmsNorm(st[i].x, 0, outputNorm, st[i].normed, 0, d, eps);
        }
        MatVec.matVecBatch(lmHead, rows.normed, 0, n, logits, 0, pool);
    }

    /** Times one forward call of {@code positions} positions polls its stop: once per layer of each batch. */
    int layerSteps(Lfm2State state, int positions) {
        return blocks.length * ((positions + state.maxBatch - 1) / state.maxBatch);
    }

    /** The forward pass over {@code tokens} rows already in {@code state.x}; {@code stop} is polled before each layer. */
    private void run(Lfm2State s, int tokens, float[] logits, int everyFrom, BooleanSupplier stop) {
        if (s.position + tokens > s.capacity) {
            throw new ContextFullException(s.position + tokens, s.capacity);
        }
        int d = config.dim();
        int ff = config.ffnDim();
        float eps = config.rmsEps();
        for (int l = 0; l < blocks.length; l++) {
            if (stop.getAsBoolean()) {
                throw new CancellationException("stopped at layer " + l + " of a " + tokens + "-position batch");
            }
            Block b = blocks[l];
            // h = h + Mixer(RMSNorm(h))
            Norms.rmsNormRows(s.x, 0, b.mixerNorm, s.normed, 0, tokens, d, eps);
            b.mixer.forward(s, l, s.normed, tokens, s.mixed);
            Elementwise.add(s.x, 0, s.mixed, 0, tokens * d);
            // h = h + W_down(SiLU(W_gate f) ⊙ W_up f), f = RMSNorm(h)   (SiLU on the gate, docs/MODEL.md pitfall 7)
            Norms.rmsNormRows(s.x, 0, b.ffnNorm, s.normed, 0, tokens, d, eps);
            Linear.apply(b.gate, s.normed, tokens, s.gate, pool);
            Linear.apply(b.up, s.normed, tokens, s.up, pool);
            Activations.swiglu(s.gate, 0, s.up, 0, s.gate, 0, tokens * ff);
            Linear.apply(b.down, s.gate, tokens, s.mixed, pool);
            Elementwise.add(s.x, 0, s.mixed, 0, tokens * d);
        }
        s.position += tokens;
        if (logits == null) {
            return;
        }
        // logits = LM_head · RMSNorm(h, token_embd_norm)
        if (everyFrom < 0) {
            Norms.rmsNorm(s.x, (tokens - 1) * d, outputNorm, s.normed, 0, d, eps);
            MatVec.matVec(lmHead, s.normed, 0, logits, 0, pool);
            return;
        }
        Norms.rmsNormRows(s.x, 0, outputNorm, s.normed, 0, tokens, d, eps);
        if (everyFrom == 0 && tokens > 1) {
            MatMul.matMul(lmHead, s.normed, tokens, logits, pool);
        } else {
            for (int t = 0; t < tokens; t++) {
                MatVec.matVec(lmHead, s.normed, t * d, logits, (everyFrom + t) * config.vocabSize(), pool);
            }
        }
    }

    @Override
    public void close() {
        gguf.close();
    }
}
