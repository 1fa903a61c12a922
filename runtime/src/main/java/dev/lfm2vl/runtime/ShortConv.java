package dev.lfm2vl.runtime;

import dev.lfm2vl.kernels.Linear;
import dev.lfm2vl.kernels.CausalConv;
import dev.lfm2vl.kernels.MatVec;
import dev.lfm2vl.kernels.Parallel;
import dev.lfm2vl.kernels.WeightMatrix;
import dev.lfm2vl.loader.GgufFile;
import dev.lfm2vl.loader.GgufFormatException;

/**
 * LFM2's gated short-convolution block (docs/MODEL.md §3.5, pitfall 4):
 * {@code [B | C | x] = W_in·u;  y = conv(B ⊙ x);  out = W_out·(C ⊙ y)}, a causal depthwise conv of
 * {@code convKernel} taps whose state carries the last {@code convKernel - 1} gated rows B⊙x across calls.
 */
final class ShortConv implements Lfm2Model.Mixer {
    private final int dim;
    private final WeightMatrix inProj;
    private final CausalConv conv;
    private final WeightMatrix outProj;
    private final Parallel pool;

    private ShortConv(int dim, WeightMatrix inProj, CausalConv conv, WeightMatrix outProj, Parallel pool) {
        this.dim = dim;
        this.inProj = inProj;
        this.conv = conv;
        this.outProj = outProj;
        this.pool = pool;
    }

    static ShortConv load(GgufFile gguf, String prefix, Lfm2Config c, Parallel pool) throws GgufFormatException {
        int d = c.dim();
        // shortconv.conv.weight is [L, d]: the L taps of each channel contiguous, always F32 (docs/MODEL.md §2.7).
        float[] taps = GgufWeights.vector(gguf, prefix + "shortconv.conv.weight", c.convKernel() * d);
        return new ShortConv(d, GgufWeights.matrix(gguf, prefix + "shortconv.in_proj.weight", d, 3 * d),
                new CausalConv(taps, d, c.convKernel()),
                GgufWeights.matrix(gguf, prefix + "shortconv.out_proj.weight", d, d), pool);
    }

    @Override
    public void forward(Lfm2State s, int layer, float[] in, int tokens, float[] out) {
        int d = dim;
        Linear.apply(inProj, in, tokens, s.bcx, pool);                                  // z_t = [B | C | x]
        conv.forward(s.bcx, 0, 3 * d, tokens, s.convState[layer], s.gated, 0, d);      // C ⊙ conv(B ⊙ x)
        Linear.apply(outProj, s.gated, tokens, out, pool);
    }

    @Override
    public void decode(DecodeRows rows, int layer) {
        int d = dim;
        MatVec.matVecBatch(inProj, rows.normed, 0, rows.count, rows.bcx, 0, pool);
        for (int i = 0; i < rows.count; i++) {
            Lfm2State s = rows.states[i];
            conv.forward(s.bcx, 0, 3 * d, 1, s.convState[layer], s.gated, 0, d);
        }
        MatVec.matVecBatch(outProj, rows.gated, 0, rows.count, rows.mixed, 0, pool);
    }
}
