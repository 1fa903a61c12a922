package dev.lfm2vl.kernels;

/**
 * Bidirectional multi-head attention of the vision tower (docs/MODEL.md §4.4), over the micro-kernels of
 * {@link AttentionTiles}.
 *
 * q, k, v each {@code [N][heads·headDim]} rows at stride {@code inStride} (so a fused QKV buffer works:
 * pass the same array with offsets 0, D, 2D and stride 3D), no mask, output {@code [N][heads·headDim]}
 * at stride {@code outStride}. Structure: per head the keys are transposed once into {@code kT}
 * ({@code [headDim][N]} with a padded row stride, {@link #transposeKeys}); scores for a block of {@value #ROW_BLOCK} query rows are
 * then a register-blocked GEMM micro-kernel (4 rows × 2 vectors of keys, broadcast q, contiguous kT
 * loads); P·V is accumulated in registers over head-dim chunks, 4 rows at a time. Every output
 * element is computed with the same operation order whatever the row split, so results are bit-identical
 * for any thread partition. Threading hook:
 * {@link #bidirectionalRows} handles one head and a row range given a prepared kT; {@code out} must not
 * overlap q/k/v.
 *
 * <p>Precision: float dot products (FMA, blocked order), softmax exp in float, softmax sum in double,
 * P·V in float FMA, final multiply by {@code 1/sum}. Against a double-precision reference the tests
 * allow ~1e-5 relative (float summation over headDim and N terms).
 */
public final class BidirectionalAttention {
    private BidirectionalAttention() {}

    /** Query rows processed together. */
    public static final int ROW_BLOCK = AttentionTiles.ROW_BLOCK;

    /** Floats of {@code scores} scratch needed per concurrent caller: AttentionTiles.ROW_BLOCK·n. */
    public static int bidirectionalScoresSize(int n) {
        return Math.multiplyExact(AttentionTiles.ROW_BLOCK, n);
    }

    /**
     * Transposes head {@code head}'s keys: {@code kT[kTOff + d·ts + j] = k[kOff + j·inStride + head·headDim + d]}
     * with {@code ts = AttentionTiles.keysTransposedStride(n)}. Run once per head before {@link #bidirectionalRows}
     * calls for that head. Tiled by 16 keys so reads stay in cache and writes fill whole lines.
     */
    public static void transposeKeys(float[] k, int kOff, int inStride, int n, int head, int headDim,
                                     float[] kT, int kTOff) {
        final int ts = AttentionTiles.keysTransposedStride(n);
        final int col = kOff + head * headDim;
        for (int j0 = 0; j0 < n; j0 += 16) {
            final int j1 = Math.min(n, j0 + 16);
            for (int d = 0; d < headDim; d++) {
                final int dst = kTOff + d * ts;
                for (int j = j0, src = col + j0 * inStride + d; j < j1; j++, src += inStride) {
                    kT[dst + j] = k[src];
                }
            }
        }
    }

    /**
     * Bidirectional attention over all heads (single thread). Scratch: {@code kT} ≥
     * {@link AttentionTiles#keysTransposedSize}, {@code scores} ≥ {@link #bidirectionalScoresSize}.
     */
    public static void bidirectional(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, int inStride,
                                     int n, int heads, int headDim,
                                     float[] out, int outOff, int outStride, float[] kT, float[] scores) {
        for (int h = 0; h < heads; h++) {
            transposeKeys(k, kOff, inStride, n, h, headDim, kT, 0);
            bidirectionalRows(h, 0, n, q, qOff, kT, 0, v, vOff, inStride, n, headDim, out, outOff, outStride, scores, 0);
        }
    }

    /**
     * Bidirectional attention of query rows {@code [rowStart, rowEnd)} of head {@code head}, with that
     * head's keys already transposed into {@code kT[kTOff ..]} by {@link #transposeKeys}. Calls on
     * disjoint (head, row range) pairs may run concurrently, each with its own {@code scores} region of
     * {@link #bidirectionalScoresSize} floats.
     */
    public static void bidirectionalRows(int head, int rowStart, int rowEnd,
                                         float[] q, int qOff, float[] kT, int kTOff,
                                         float[] v, int vOff, int inStride, int n, int headDim,
                                         float[] out, int outOff, int outStride, float[] scores, int scoresOff) {
        if (rowStart < 0 || rowEnd > n || rowStart > rowEnd) {
            throw new IllegalArgumentException("bad row range [" + rowStart + ", " + rowEnd + ") for n=" + n);
        }
        if (scores.length - scoresOff < AttentionTiles.ROW_BLOCK * n) {
            throw new IllegalArgumentException("scores scratch too small: need " + AttentionTiles.ROW_BLOCK * n);
        }
        final float scale = (float) (1.0 / Math.sqrt(headDim));
        final int col = head * headDim;
        final int ts = AttentionTiles.keysTransposedStride(n);
        int i = rowStart;
        for (; i + AttentionTiles.ROW_BLOCK <= rowEnd; i += AttentionTiles.ROW_BLOCK) {
            int q0 = qOff + i * inStride + col;
            AttentionTiles.scores4(q, q0, inStride, kT, kTOff, ts, n, headDim, scale, scores, scoresOff, n);
            float inv0 = AttentionTiles.softmaxUnnormalized(scores, scoresOff, n);
            float inv1 = AttentionTiles.softmaxUnnormalized(scores, scoresOff + n, n);
            float inv2 = AttentionTiles.softmaxUnnormalized(scores, scoresOff + 2 * n, n);
            float inv3 = AttentionTiles.softmaxUnnormalized(scores, scoresOff + 3 * n, n);
            AttentionTiles.weightedSum4(scores, scoresOff, n, n, v, vOff + col, inStride, headDim,
                    out, outOff + i * outStride + col, outStride, inv0, inv1, inv2, inv3);
        }
        for (; i < rowEnd; i++) {
            int q0 = qOff + i * inStride + col;
            AttentionTiles.scores1(q, q0, kT, kTOff, ts, n, headDim, scale, scores, scoresOff);
            float inv = AttentionTiles.softmaxUnnormalized(scores, scoresOff, n);
            AttentionTiles.weightedSum1(scores, scoresOff, n, v, vOff + col, inStride, headDim, out, outOff + i * outStride + col, inv);
        }
    }
}
