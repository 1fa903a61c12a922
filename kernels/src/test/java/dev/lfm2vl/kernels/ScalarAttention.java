package dev.lfm2vl.kernels;

/**
 * The scalar twins of {@link CausalAttention} and {@link BidirectionalAttention}: the same math written plainly,
 * one element at a time, as the tests' oracle (test sources only: production runs the vector kernels).
 */
final class ScalarAttention {
    private ScalarAttention() {}

    /** Scalar twin of {@link CausalAttention#causalHeadsTransposedK} (keys row-major here) — the test oracle (plain loops, dot and sums in double). */
    static void causal(float[] q, int qOff, int qStride, int T, int p0,
                                    float[] kCache, int kOff, float[] vCache, int vOff, int kvStride,
                                    int heads, int kvHeads, int headDim,
                                    float[] out, int outOff, int outStride, float[] scores) {
        CausalAttention.checkGqa(heads, kvHeads, headDim, 0, heads);
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int h = 0; h < heads; h++) {
            int kvCol = (h / group) * headDim;
            for (int t = 0; t < T; t++) {
                int n = p0 + t + 1;
                int qo = qOff + t * qStride + h * headDim;
                for (int j = 0; j < n; j++) {
                    scores[j] = ScalarElementwise.dot(q, qo, kCache, kOff + j * kvStride + kvCol, headDim) * scale;
                }
                ScalarSoftmax.softmax(scores, 0, n);
                int oo = outOff + t * outStride + h * headDim;
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) {
                        acc += (double) scores[j] * vCache[vOff + j * kvStride + kvCol + d];
                    }
                    out[oo + d] = (float) acc;
                }
            }
        }
    }

    /**
     * Scalar twin of {@link BidirectionalAttention#bidirectional} — the test oracle: per head and row, plain dot products
     * (double accumulation), {@link ScalarSoftmax#softmax}, P·V in double. {@code scores} ≥ n floats.
     */
    static void bidirectional(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, int inStride,
                                           int n, int heads, int headDim,
                                           float[] out, int outOff, int outStride, float[] scores) {
        float scale = (float) (1.0 / Math.sqrt(headDim));
        for (int h = 0; h < heads; h++) {
            int col = h * headDim;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    scores[j] = ScalarElementwise.dot(q, qOff + i * inStride + col, k, kOff + j * inStride + col, headDim) * scale;
                }
                ScalarSoftmax.softmax(scores, 0, n);
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int j = 0; j < n; j++) {
                        acc += (double) scores[j] * v[vOff + j * inStride + col + d];
                    }
                    out[outOff + i * outStride + col + d] = (float) acc;
                }
            }
        }
    }
}
