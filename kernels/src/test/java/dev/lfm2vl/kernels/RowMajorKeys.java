package dev.lfm2vl.kernels;

/**
 * Causal attention over a row-major K cache (the layout the tests build: position j's keys at
 * {@code k[kOff + j·kvStride ..]}), for the tests only: the runtime keeps its keys transposed as they arrive
 * ({@link CausalAttention#appendKeysTransposed}), so this transposes the whole cache and calls
 * {@link CausalAttention#causalHeadsTransposedK}, the production path.
 */
final class RowMajorKeys {
    private RowMajorKeys() {}

    /** Scratch floats per caller for {@code positions} = p0+T cached positions. */
    static int causalScratchSize(int positions, int headDim) {
        return CausalAttention.causalTransposedKScratchSize(positions);
    }

    static void causal(float[] q, int qOff, int qStride, int T, int p0,
                       float[] kCache, int kOff, float[] vCache, int vOff, int kvStride,
                       int heads, int kvHeads, int headDim,
                       float[] out, int outOff, int outStride, float[] scratch) {
        causalHeads(0, heads, q, qOff, qStride, T, p0, kCache, kOff, vCache, vOff, kvStride, heads, kvHeads, headDim,
                out, outOff, outStride, scratch, 0);
    }

    static void causalHeads(int hStart, int hEnd,
                            float[] q, int qOff, int qStride, int T, int p0,
                            float[] kCache, int kOff, float[] vCache, int vOff, int kvStride,
                            int heads, int kvHeads, int headDim,
                            float[] out, int outOff, int outStride, float[] scratch, int scratchOff) {
        int n = p0 + T;
        int stride = AttentionTiles.keysTransposedStride(Math.max(n, 1));
        float[] kT = new float[Math.max(kvHeads, 1) * headDim * stride];
        if (kvHeads > 0 && heads % kvHeads == 0) { // else the kernel's own argument check reports it
            for (int j = 0; j < n; j++) {
                CausalAttention.appendKeysTransposed(kCache, kOff + j * kvStride, kvHeads, headDim, j, kT, 0, stride);
            }
        }
        CausalAttention.causalHeadsTransposedK(hStart, hEnd, q, qOff, qStride, T, p0, kT, 0, stride, vCache, vOff, kvStride,
                heads, kvHeads, headDim, out, outOff, outStride, scratch, scratchOff);
    }
}
