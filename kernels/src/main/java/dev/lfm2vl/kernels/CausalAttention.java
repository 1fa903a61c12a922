package dev.lfm2vl.kernels;

/**
 * Causal grouped-query attention of the text tower (docs/MODEL.md §3.6), over the micro-kernels of
 * {@link AttentionTiles}.
 *
 * T new query rows at absolute positions {@code p0 .. p0+T−1} attend over a KV cache that already holds
 * positions {@code 0 .. p0+T−1} (the caller appends this batch's K/V before calling). Query row t, head
 * h: {@code q[qOff + t·qStride + h·headDim ..]}. Keys live in a transposed cache the caller appends to as
 * positions arrive ({@link #appendKeysTransposed}: KV head g, dim d, position j at
 * {@code kT[kTOff + (g·headDim + d)·kTStride + j]}), so no call transposes a whole cache; values are row-major,
 * position j, KV head g at {@code vCache[vOff + j·kvStride + g·headDim ..]}. Query head h uses KV head
 * {@code h / (heads/kvHeads)} (consecutive heads share, HF {@code repeat_kv}). Scores
 * {@code (q·k)·scale}, scale = 1/√headDim, over keys {@code j ≤ p0+t} only; softmax; output
 * {@code Σ_j p_j v_j} to {@code out[outOff + t·outStride + h·headDim ..]} (head-major).
 * {@code out} may be the same array region as {@code q} (each head's query is consumed before its output
 * is written); no other overlap. Scratch: ≥ {@link #causalTransposedKScratchSize} = 4·(p0+T) floats (the
 * scores of 4 rows). Threading hook: {@link #causalHeadsTransposedK} handles a head range; give each thread its
 * own scratch region. Paths: T &lt; {@value #CAUSAL_BLOCKED_MIN_ROWS} (decode) processes the query heads of one
 * GQA group 4 at a time; larger T processes 4 consecutive rows of one head at a time.
 *
 * <p>Precision: float dot products (FMA, blocked order), softmax exp in float, softmax sum in double,
 * P·V in float FMA, final multiply by {@code 1/sum}. Against a double-precision reference the tests
 * allow ~1e-5 relative (float summation over headDim and N terms).
 */
public final class CausalAttention {
    private CausalAttention() {}

    /**
     * Batches of at least this many query rows take the row-blocked path (4 consecutive query rows of
     * one head per micro-kernel call); smaller batches (decode) take the head-grouped path (4 query
     * heads sharing a KV head per call).
     */
    public static final int CAUSAL_BLOCKED_MIN_ROWS = 8;

    /**
     * Scratch floats {@link #causalHeadsTransposedK} needs per concurrent caller: AttentionTiles.ROW_BLOCK·(p0+T).
     */
    public static int causalTransposedKScratchSize(int positions) {
        return Math.multiplyExact(AttentionTiles.ROW_BLOCK, positions);
    }

    /**
     * Writes one position's keys (all KV heads, {@code kvHeads·headDim} values at {@code k[kOff ..]})
     * into a transposed K cache: {@code kT[kTOff + (g·headDim + d)·kTStride + pos] = k[kOff + g·headDim + d]}.
     * Pick {@code kTStride = AttentionTiles.keysTransposedStride(maxContext)} (avoids cache-set conflicts).
     */
    public static void appendKeysTransposed(float[] k, int kOff, int kvHeads, int headDim, int pos,
                                            float[] kT, int kTOff, int kTStride) {
        if (pos < 0 || pos >= kTStride) {
            throw new IllegalArgumentException("position " + pos + " outside transposed cache stride " + kTStride);
        }
        int rows = kvHeads * headDim;
        for (int r = 0; r < rows; r++) {
            kT[kTOff + r * kTStride + pos] = k[kOff + r];
        }
    }

    /**
     * Causal GQA for query heads {@code [hStart, hEnd)} (all T rows), reading keys from a caller-maintained
     * <b>transposed</b> K cache (layout of {@link #appendKeysTransposed}: KV head g, dim d, position j at
     * {@code kT[kTOff + (g·headDim + d)·kTStride + j]}), so no call transposes a whole cache; V is row-major
     * ({@code kvStride} floats per position). Calls on disjoint head ranges may run concurrently, each with its
     * own scratch of {@link #causalTransposedKScratchSize}(p0+T) floats from {@code scratchOff}.
     */
    public static void causalHeadsTransposedK(int hStart, int hEnd,
                                              float[] q, int qOff, int qStride, int T, int p0,
                                              float[] kT, int kTOff, int kTStride,
                                              float[] vCache, int vOff, int kvStride,
                                              int heads, int kvHeads, int headDim,
                                              float[] out, int outOff, int outStride, float[] scratch, int scratchOff) {
        checkGqa(heads, kvHeads, headDim, hStart, hEnd);
        if (T < 0 || p0 < 0 || p0 + T > kTStride) {
            throw new IllegalArgumentException("bad T/p0 for stride: " + T + "/" + p0 + "/" + kTStride);
        }
        int need = causalTransposedKScratchSize(p0 + T);
        if (scratch.length - scratchOff < need) {
            throw new IllegalArgumentException("attention scratch too small: need " + need
                    + " floats (causalTransposedKScratchSize), have " + (scratch.length - scratchOff));
        }
        if (T >= CAUSAL_BLOCKED_MIN_ROWS) {
            causalBlocked(hStart, hEnd, q, qOff, qStride, T, p0, kT, kTOff, kTStride, vCache, vOff, kvStride,
                    heads, kvHeads, headDim, out, outOff, outStride, scratch, scratchOff);
        } else {
            causalGrouped(hStart, hEnd, q, qOff, qStride, T, p0, kT, kTOff, kTStride, vCache, vOff, kvStride,
                    heads, kvHeads, headDim, out, outOff, outStride, scratch, scratchOff);
        }
    }

    /**
     * Decode-sized path: for each KV head and each query row, the query
     * heads sharing that KV head are processed 4 at a time as the "rows" of the micro-kernels (their
     * query vectors are {@code headDim} apart), so each transposed key vector is loaded once per 4 heads.
     * Scratch = [AttentionTiles.ROW_BLOCK][n] scores, n = p0+T.
     */
    private static void causalGrouped(int hStart, int hEnd,
                                      float[] q, int qOff, int qStride, int T, int p0,
                                      float[] kA, int kTOff, int ts,
                                      float[] vCache, int vOff, int kvStride,
                                      int heads, int kvHeads, int headDim,
                                      float[] out, int outOff, int outStride, float[] scratch, int scratchOff) {
        final int n = p0 + T;
        final int group = heads / kvHeads;
        final float scale = (float) (1.0 / Math.sqrt(headDim));
        final int sc = scratchOff;
        for (int g = hStart / group; g * group < hEnd; g++) {
            final int hFrom = Math.max(hStart, g * group);
            final int hTo = Math.min(hEnd, (g + 1) * group);
            final int kvCol = g * headDim;
            final int kt = kTOff + g * headDim * ts;
            for (int t = 0; t < T; t++) {
                final int nk = p0 + t + 1;
                final int qRow = qOff + t * qStride;
                final int oRow = outOff + t * outStride;
                int h = hFrom;
                for (; h + AttentionTiles.ROW_BLOCK <= hTo; h += AttentionTiles.ROW_BLOCK) {
                    AttentionTiles.scores4(q, qRow + h * headDim, headDim, kA, kt, ts, nk, headDim, scale, scratch, sc, n);
                    float inv0 = AttentionTiles.softmaxUnnormalized(scratch, sc, nk);
                    float inv1 = AttentionTiles.softmaxUnnormalized(scratch, sc + n, nk);
                    float inv2 = AttentionTiles.softmaxUnnormalized(scratch, sc + 2 * n, nk);
                    float inv3 = AttentionTiles.softmaxUnnormalized(scratch, sc + 3 * n, nk);
                    AttentionTiles.weightedSum4(scratch, sc, n, nk, vCache, vOff + kvCol, kvStride, headDim,
                            out, oRow + h * headDim, headDim, inv0, inv1, inv2, inv3);
                }
                for (; h < hTo; h++) {
                    AttentionTiles.scores1(q, qRow + h * headDim, kA, kt, ts, nk, headDim, scale, scratch, sc);
                    float inv = AttentionTiles.softmaxUnnormalized(scratch, sc, nk);
                    AttentionTiles.weightedSum1(scratch, sc, nk, vCache, vOff + kvCol, kvStride, headDim, out, oRow + h * headDim, inv);
                }
            }
        }
    }

    /** Blocked causal path: scratch = [AttentionTiles.ROW_BLOCK][n] scores. */
    private static void causalBlocked(int hStart, int hEnd,
                                      float[] q, int qOff, int qStride, int T, int p0,
                                      float[] kA, int kTOff, int ts,
                                      float[] vCache, int vOff, int kvStride,
                                      int heads, int kvHeads, int headDim,
                                      float[] out, int outOff, int outStride, float[] scratch, int scratchOff) {
        final int n = p0 + T;
        final int group = heads / kvHeads;
        final float scale = (float) (1.0 / Math.sqrt(headDim));
        final int sc = scratchOff;
        for (int h = hStart; h < hEnd; h++) {
            final int g = h / group;
            final int kvCol = g * headDim;
            final int kt = kTOff + g * headDim * ts;
            int t = 0;
            for (; t + AttentionTiles.ROW_BLOCK <= T; t += AttentionTiles.ROW_BLOCK) {
                final int nMax = p0 + t + AttentionTiles.ROW_BLOCK; // keys seen by the last row of the block
                AttentionTiles.scores4(q, qOff + t * qStride + h * headDim, qStride, kA, kt, ts, nMax, headDim, scale,
                        scratch, sc, n);
                float inv0 = causalRowSoftmax(scratch, sc, p0 + t + 1, nMax);
                float inv1 = causalRowSoftmax(scratch, sc + n, p0 + t + 2, nMax);
                float inv2 = causalRowSoftmax(scratch, sc + 2 * n, p0 + t + 3, nMax);
                float inv3 = causalRowSoftmax(scratch, sc + 3 * n, p0 + t + 4, nMax);
                AttentionTiles.weightedSum4(scratch, sc, n, nMax, vCache, vOff + kvCol, kvStride, headDim,
                        out, outOff + t * outStride + h * headDim, outStride, inv0, inv1, inv2, inv3);
            }
            for (; t < T; t++) {
                final int nk = p0 + t + 1;
                AttentionTiles.scores1(q, qOff + t * qStride + h * headDim, kA, kt, ts, nk, headDim, scale, scratch, sc);
                float inv = AttentionTiles.softmaxUnnormalized(scratch, sc, nk);
                AttentionTiles.weightedSum1(scratch, sc, nk, vCache, vOff + kvCol, kvStride, headDim,
                        out, outOff + t * outStride + h * headDim, inv);
            }
        }
    }

    /** Unnormalised softmax over the first {@code nk} scores; zeroes the masked rest up to nMax. */
    private static float causalRowSoftmax(float[] s, int off, int nk, int nMax) {
        float inv = AttentionTiles.softmaxUnnormalized(s, off, nk);
        java.util.Arrays.fill(s, off + nk, off + nMax, 0f);
        return inv;
    }

    static void checkGqa(int heads, int kvHeads, int headDim, int hStart, int hEnd) {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("bad heads/kvHeads/headDim: " + heads + "/" + kvHeads + "/" + headDim);
        }
        if (hStart < 0 || hEnd > heads || hStart > hEnd) {
            throw new IllegalArgumentException("bad head range [" + hStart + ", " + hEnd + ")");
        }
    }
}
