package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.CausalAttention;
import dev.lfm2vl.kernels.Linear;
import dev.lfm2vl.kernels.MatVec;
import dev.lfm2vl.kernels.Norms;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.Rope;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;

/**
 * LFM2's grouped-query attention block (docs/MODEL.md §3.6): project q, k, v; RMSNorm each head of q and k (one
 * weight vector shared by all heads, before RoPE, docs/MODEL.md pitfall 8); NEOX RoPE at the absolute position; append k, v
 * to the layer's cache (keys transposed, see {@link Lfm2State#keys}); causal softmax attention where query head h reads KV head h / (heads / kvHeads);
 * concatenate the heads and project with W_o. One forward at a time per model (the head task is reused).
 */
final class Attention implements Lfm2Model.Mixer {
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final float eps;
    private final WeightMatrix wq;
    private final WeightMatrix wk;
    private final WeightMatrix wv;
    private final WeightMatrix wo;
    private final float[] qNorm;
    private final float[] kNorm;
    private final Rope rope;
    private final Parallel pool;
    private final HeadsTask task = new HeadsTask();

    private Attention(Lfm2Config c, int layer, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
            float[] qNorm, float[] kNorm, Rope rope, Parallel pool) {
        this.heads = c.heads();
        this.kvHeads = c.kvHeads(layer);
        this.headDim = c.headDim();
        this.eps = c.rmsEps();
        this.wq = wq;
        this.wk = wk;
        this.wv = wv;
        this.wo = wo;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.rope = rope;
        this.pool = pool;
    }

    static Attention load(GgufFile gguf, String p, Lfm2Config c, int layer, Rope rope, Parallel pool) throws GgufFormatException {
        int d = c.dim();
        int kvDim = c.kvHeads(layer) * c.headDim();
        return new Attention(c, layer,
                GgufWeights.matrix(gguf, p + "attn_q.weight", d, c.heads() * c.headDim()),
                GgufWeights.matrix(gguf, p + "attn_k.weight", d, kvDim),
                GgufWeights.matrix(gguf, p + "attn_v.weight", d, kvDim),
                GgufWeights.matrix(gguf, p + "attn_output.weight", c.heads() * c.headDim(), d),
                GgufWeights.vector(gguf, p + "attn_q_norm.weight", c.headDim()),
                GgufWeights.vector(gguf, p + "attn_k_norm.weight", c.headDim()), rope, pool);
    }

    @Override
    public void forward(Lfm2State s, int layer, float[] in, int tokens, float[] out) {
        Linear.apply(wq, in, tokens, s.q, pool);
        Linear.apply(wk, in, tokens, s.k, pool);
        Linear.apply(wv, in, tokens, s.v, pool);
        attend(s, layer, tokens);
        Linear.apply(wo, s.gated, tokens, out, pool);
    }

    @Override
    public void decode(DecodeRows rows, int layer) {
        int n = rows.count;
        MatVec.matVecBatch(wq, rows.normed, 0, n, rows.q, 0, pool);
        MatVec.matVecBatch(wk, rows.normed, 0, n, rows.k, 0, pool);
        MatVec.matVecBatch(wv, rows.normed, 0, n, rows.v, 0, pool);
        for (int i = 0; i < n; i++) {
            attend(rows.states[i], layer, 1);
        }
        MatVec.matVecBatch(wo, rows.gated, 0, n, rows.mixed, 0, pool);
    }

    /**
     * From the projected s.q, s.k, s.v of {@code tokens} positions at s.position to the concatenated heads in
     * s.gated: head norms, RoPE, the cache append and causal attention, for one sequence.
     */
    private void attend(Lfm2State s, int layer, int tokens) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        int pos = s.position;
        for (int t = 0; t < tokens; t++) {
            Norms.rmsNormHeads(s.q, t * qDim, qNorm, s.q, t * qDim, heads, headDim, eps);
            Norms.rmsNormHeads(s.k, t * kvDim, kNorm, s.k, t * kvDim, kvHeads, headDim, eps);
        }
        rope.applyRows(s.q, 0, qDim, tokens, heads, pos);
        rope.applyRows(s.k, 0, kvDim, tokens, kvHeads, pos);
        for (int t = 0; t < tokens; t++) {
            CausalAttention.appendKeysTransposed(s.k, t * kvDim, kvHeads, headDim, pos + t, s.keys[layer], 0, s.keyStride);
        }
        System.arraycopy(s.v, 0, s.values[layer], pos * kvDim, tokens * kvDim);
        task.set(s, layer, tokens, pos);
        try {
            pool.run(kvHeads, task); // one task per KV head and its group of query heads
        } finally {
            task.clear();
        }
    }

    /** Query heads of KV group {@code index}, with that group's scratch region. */
    private final class HeadsTask implements Parallel.Task {
        private Lfm2State s;
        private int layer;
        private int tokens;
        private int pos;

        void set(Lfm2State s, int layer, int tokens, int pos) {
            this.s = s;
            this.layer = layer;
            this.tokens = tokens;
            this.pos = pos;
        }

        void clear() {
            s = null;
        }

        @Override
        public void run(int group) {
            int perGroup = heads / kvHeads;
            int qDim = heads * headDim;
            int kvDim = kvHeads * headDim;
            int scratch = CausalAttention.causalTransposedKScratchSize(s.capacity);
            CausalAttention.causalHeadsTransposedK(group * perGroup, (group + 1) * perGroup, s.q, 0, qDim, tokens, pos,
                    s.keys[layer], 0, s.keyStride, s.values[layer], 0, kvDim, heads, kvHeads, headDim,
                    s.gated, 0, qDim, s.attentionScratch, group * scratch);
        }
    }
}
