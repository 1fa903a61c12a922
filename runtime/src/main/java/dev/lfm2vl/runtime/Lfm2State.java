package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.AttentionTiles;
import dev.lfm2vl.kernels.CausalAttention;

/**
 * Everything one conversation carries between forward calls (docs/MODEL.md §3.5, §3.6): the next position, the KV
 * cache of each attention layer, the gated-conv state of each conv layer, and scratch rows for a batch of up to
 * {@code maxBatch} positions. Allocated once; forward passes allocate nothing.
 */
public final class Lfm2State {
    final Lfm2Config config;
    /** Positions the KV cache holds. */
    final int capacity;
    /** Largest batch one forward call takes (longer inputs are split). */
    final int maxBatch;
    /** Number of positions already processed: the position of the next token. */
    int position;

    /**
     * Per attention layer, null for conv layers: keys stored transposed, KV head g, dimension d, position p at
     * {@code (g·headDim + d)·keyStride + p} (so attention reads them without transposing the whole cache on every
     * call, CausalAttention.causalHeadsTransposedK); values row-major, row p = position p, {@code kvHeads·headDim}
     * wide.
     */
    final float[][] keys;
    final float[][] values;
    /** Row stride of the transposed keys: the capacity padded against cache-set conflicts (AttentionTiles.keysTransposedStride). */
    final int keyStride;
    /** Per conv layer: the last {@code convKernel - 1} gated rows B⊙x, oldest first; null for attention layers. */
    final float[][] convState;
    /** {@link #mark()}'s copy of the position and conv state, so a stopped prefill can be taken back. */
    private final float[][] markedConvState;
    private int markedPosition;

    // Scratch, [maxBatch][width] row-major.
    final float[] x;        // residual stream h
    final float[] normed;   // RMSNorm(h)
    final float[] mixed;    // mixer or feed-forward output, added back to h
    final float[] bcx;      // short-conv in_proj output [B | C | x]
    final float[] gated;    // short-conv C ⊙ conv(B ⊙ x), and attention's concatenated heads
    final float[] q;
    final float[] k;
    final float[] v;
    final float[] gate;     // SwiGLU gate, then SiLU(gate) ⊙ up
    final float[] up;
    final float[] attentionScratch; // per KV head: CausalAttention.causalTransposedKScratchSize(capacity) floats

    Lfm2State(Lfm2Config config, int capacity, int maxBatch) {
        this.config = config;
        this.capacity = capacity;
        this.maxBatch = maxBatch;
        int d = config.dim();
        int layers = config.layers();
        keys = new float[layers][];
        values = new float[layers][];
        convState = new float[layers][];
        markedConvState = new float[layers][];
        keyStride = AttentionTiles.keysTransposedStride(capacity);
        int maxKv = 0;
        int maxKvHeads = 0;
        for (int l = 0; l < layers; l++) {
            if (config.isAttention(l)) {
                int kvDim = config.kvHeads(l) * config.headDim();
                maxKv = Math.max(maxKv, kvDim);
                maxKvHeads = Math.max(maxKvHeads, config.kvHeads(l));
                keys[l] = new float[Math.multiplyExact(keyStride, kvDim)];
                values[l] = new float[Math.multiplyExact(capacity, kvDim)];
            } else {
                convState[l] = new float[(config.convKernel() - 1) * d];
                markedConvState[l] = new float[convState[l].length];
            }
        }
        x = new float[maxBatch * d];
        normed = new float[maxBatch * d];
        mixed = new float[maxBatch * d];
        bcx = new float[maxBatch * 3 * d];
        gated = new float[maxBatch * d];
        q = new float[maxBatch * config.heads() * config.headDim()];
        k = new float[maxBatch * Math.max(1, maxKv)];
        v = new float[maxBatch * Math.max(1, maxKv)];
        gate = new float[maxBatch * config.ffnDim()];
        up = new float[maxBatch * config.ffnDim()];
        attentionScratch = new float[Math.multiplyExact(maxKvHeads, CausalAttention.causalTransposedKScratchSize(capacity))];
    }

    /** The position the next token will take. */
    public int position() {
        return position;
    }

    /** Positions this state can hold. */
    public int capacity() {
        return capacity;
    }

    /** Positions still free. */
    public int remaining() {
        return capacity - position;
    }

    /** Forgets the conversation: position 0, zero conv state (the KV cache is simply overwritten). */
    public void reset() {
        position = 0;
        markedPosition = 0;
        for (float[] s : convState) {
            if (s != null) {
                java.util.Arrays.fill(s, 0f);
            }
        }
    }

    /**
     * Remembers the position and conv state so that {@link #rollback()} can undo what is fed next. The KV cache
     * needs no copy: rows at and past the marked position are simply overwritten later.
     */
    void mark() {
        markedPosition = position;
        for (int l = 0; l < convState.length; l++) {
            if (convState[l] != null) {
                System.arraycopy(convState[l], 0, markedConvState[l], 0, convState[l].length);
            }
        }
    }

    /** Back to the last {@link #mark()}: as if nothing had been fed since (e.g. after a prefill stopped midway). */
    void rollback() {
        position = markedPosition;
        for (int l = 0; l < convState.length; l++) {
            if (convState[l] != null) {
                System.arraycopy(markedConvState[l], 0, convState[l], 0, convState[l].length);
            }
        }
    }

    /** Bytes held by the KV cache and conv state (with its {@link #mark()} copy). */
    public long cacheBytes() {
        long b = 0;
        for (int l = 0; l < config.layers(); l++) {
            b += keys[l] == null ? 0 : 4L * (keys[l].length + values[l].length);
            b += convState[l] == null ? 0 : 8L * convState[l].length;
        }
        return b;
    }
}
