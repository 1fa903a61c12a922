package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Scaled dot-product attention kernels on F32 rows.
 *
 * <h2>(a) Causal grouped-query attention (text tower, docs/MODEL.md §3.6)</h2>
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
 * <h2>(b) Bidirectional multi-head attention (vision tower, docs/MODEL.md §4.4)</h2>
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
public final class AttentionKernel {
    private AttentionKernel() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Query rows processed together by the bidirectional kernel. */
    public static final int ROW_BLOCK = 4;

    // ================================================================ (a) causal GQA

    /**
     * Batches of at least this many query rows take the row-blocked path (4 consecutive query rows of
     * one head per micro-kernel call); smaller batches (decode) take the head-grouped path (4 query
     * heads sharing a KV head per call).
     */
    public static final int CAUSAL_BLOCKED_MIN_ROWS = 8;

    /**
     * Scratch floats {@link #causalHeadsTransposedK} needs per concurrent caller: ROW_BLOCK·(p0+T).
     */
    public static int causalTransposedKScratchSize(int positions) {
        return Math.multiplyExact(ROW_BLOCK, positions);
    }

    /**
     * Writes one position's keys (all KV heads, {@code kvHeads·headDim} values at {@code k[kOff ..]})
     * into a transposed K cache: {@code kT[kTOff + (g·headDim + d)·kTStride + pos] = k[kOff + g·headDim + d]}.
     * Pick {@code kTStride = keysTransposedStride(maxContext)} (avoids cache-set conflicts).
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
     * Scratch = [ROW_BLOCK][n] scores, n = p0+T.
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
                for (; h + ROW_BLOCK <= hTo; h += ROW_BLOCK) {
                    scores4(q, qRow + h * headDim, headDim, kA, kt, ts, nk, headDim, scale, scratch, sc, n);
                    float inv0 = softmaxUnnormalized(scratch, sc, nk);
                    float inv1 = softmaxUnnormalized(scratch, sc + n, nk);
                    float inv2 = softmaxUnnormalized(scratch, sc + 2 * n, nk);
                    float inv3 = softmaxUnnormalized(scratch, sc + 3 * n, nk);
                    weightedSum4(scratch, sc, n, nk, vCache, vOff + kvCol, kvStride, headDim,
                            out, oRow + h * headDim, headDim, inv0, inv1, inv2, inv3);
                }
                for (; h < hTo; h++) {
                    scores1(q, qRow + h * headDim, kA, kt, ts, nk, headDim, scale, scratch, sc);
                    float inv = softmaxUnnormalized(scratch, sc, nk);
                    weightedSum1(scratch, sc, nk, vCache, vOff + kvCol, kvStride, headDim, out, oRow + h * headDim, inv);
                }
            }
        }
    }

    /** Blocked causal path: scratch = [ROW_BLOCK][n] scores. */
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
            for (; t + ROW_BLOCK <= T; t += ROW_BLOCK) {
                final int nMax = p0 + t + ROW_BLOCK; // keys seen by the last row of the block
                scores4(q, qOff + t * qStride + h * headDim, qStride, kA, kt, ts, nMax, headDim, scale,
                        scratch, sc, n);
                float inv0 = causalRowSoftmax(scratch, sc, p0 + t + 1, nMax);
                float inv1 = causalRowSoftmax(scratch, sc + n, p0 + t + 2, nMax);
                float inv2 = causalRowSoftmax(scratch, sc + 2 * n, p0 + t + 3, nMax);
                float inv3 = causalRowSoftmax(scratch, sc + 3 * n, p0 + t + 4, nMax);
                weightedSum4(scratch, sc, n, nMax, vCache, vOff + kvCol, kvStride, headDim,
                        out, outOff + t * outStride + h * headDim, outStride, inv0, inv1, inv2, inv3);
            }
            for (; t < T; t++) {
                final int nk = p0 + t + 1;
                scores1(q, qOff + t * qStride + h * headDim, kA, kt, ts, nk, headDim, scale, scratch, sc);
                float inv = softmaxUnnormalized(scratch, sc, nk);
                weightedSum1(scratch, sc, nk, vCache, vOff + kvCol, kvStride, headDim,
                        out, outOff + t * outStride + h * headDim, inv);
            }
        }
    }

    /** Unnormalised softmax over the first {@code nk} scores; zeroes the masked rest up to nMax. */
    private static float causalRowSoftmax(float[] s, int off, int nk, int nMax) {
        float inv = softmaxUnnormalized(s, off, nk);
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

    // ================================================================ (b) bidirectional MHA

    /**
     * Row stride of a transposed-keys block for n keys: n rounded up to a multiple of 16 and made an
     * odd multiple of 16 floats, so the headDim rows never sit a multiple of 128 bytes (let alone
     * 4 KiB) apart — avoids L1 set conflicts when the micro-kernels walk down the columns.
     */
    public static int keysTransposedStride(int n) {
        return ((n + 15) & ~15) | 16;
    }

    /** Floats of {@code kT} scratch needed per head: headDim·{@link #keysTransposedStride}(n). */
    public static int keysTransposedSize(int n, int headDim) {
        return Math.multiplyExact(headDim, keysTransposedStride(n));
    }

    /** Floats of {@code scores} scratch needed per concurrent caller: ROW_BLOCK·n. */
    public static int bidirectionalScoresSize(int n) {
        return Math.multiplyExact(ROW_BLOCK, n);
    }

    /**
     * Transposes head {@code head}'s keys: {@code kT[kTOff + d·ts + j] = k[kOff + j·inStride + head·headDim + d]}
     * with {@code ts = keysTransposedStride(n)}. Run once per head before {@link #bidirectionalRows}
     * calls for that head. Tiled by 16 keys so reads stay in cache and writes fill whole lines.
     */
    public static void transposeKeys(float[] k, int kOff, int inStride, int n, int head, int headDim,
                                     float[] kT, int kTOff) {
        final int ts = keysTransposedStride(n);
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
     * {@link #keysTransposedSize}, {@code scores} ≥ {@link #bidirectionalScoresSize}.
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
        if (scores.length - scoresOff < ROW_BLOCK * n) {
            throw new IllegalArgumentException("scores scratch too small: need " + ROW_BLOCK * n);
        }
        final float scale = (float) (1.0 / Math.sqrt(headDim));
        final int col = head * headDim;
        final int ts = keysTransposedStride(n);
        int i = rowStart;
        for (; i + ROW_BLOCK <= rowEnd; i += ROW_BLOCK) {
            int q0 = qOff + i * inStride + col;
            scores4(q, q0, inStride, kT, kTOff, ts, n, headDim, scale, scores, scoresOff, n);
            float inv0 = softmaxUnnormalized(scores, scoresOff, n);
            float inv1 = softmaxUnnormalized(scores, scoresOff + n, n);
            float inv2 = softmaxUnnormalized(scores, scoresOff + 2 * n, n);
            float inv3 = softmaxUnnormalized(scores, scoresOff + 3 * n, n);
            weightedSum4(scores, scoresOff, n, n, v, vOff + col, inStride, headDim,
                    out, outOff + i * outStride + col, outStride, inv0, inv1, inv2, inv3);
        }
        for (; i < rowEnd; i++) {
            int q0 = qOff + i * inStride + col;
            scores1(q, q0, kT, kTOff, ts, n, headDim, scale, scores, scoresOff);
            float inv = softmaxUnnormalized(scores, scoresOff, n);
            weightedSum1(scores, scoresOff, n, v, vOff + col, inStride, headDim, out, outOff + i * outStride + col, inv);
        }
    }

    /**
     * Single-row P·V with exactly the per-element operation order of {@link #weightedSum4} (one FMA
     * chain per output over keys in order), so results do not depend on how rows are split.
     */
    private static void weightedSum1(float[] e, int eOff, int n, float[] v, int vOff, int vStride, int headDim,
                                     float[] out, int oo, float inv) {
        int d = 0;
        for (; d + L <= headDim; d += L) {
            FloatVector a0 = FloatVector.zero(S);
            int vb = vOff + d;
            for (int j = 0; j < n; j++, vb += vStride) {
                a0 = FloatVector.fromArray(S, v, vb).fma(FloatVector.broadcast(S, e[eOff + j]), a0);
            }
            a0.mul(inv).intoArray(out, oo + d);
        }
        for (; d < headDim; d++) {
            float acc = 0f;
            int vb = vOff + d;
            for (int j = 0; j < n; j++, vb += vStride) {
                acc = Math.fma(e[eOff + j], v[vb], acc);
            }
            out[oo + d] = acc * inv;
        }
    }

    /** exp(s − max) in place; returns 1/Σ. */
    private static float softmaxUnnormalized(float[] s, int off, int n) {
        float max = Softmax.max(s, off, n);
        return (float) (1.0 / Softmax.expShiftAndSum(s, off, n, max));
    }

    /** Scores of 4 query rows (at q0, q0+stride, …) against all n keys into sc[off + r·n + j]. */
    private static void scores4(float[] q, int q0, int qStride, float[] kT, int kTOff, int ktStride, int n,
                                int headDim, float scale, float[] sc, int off, int scStride) {
        final int q1 = q0 + qStride, q2 = q1 + qStride, q3 = q2 + qStride;
        final FloatVector sv = FloatVector.broadcast(S, scale);
        int j = 0;
        for (; j + 2 * L <= n; j += 2 * L) {
            FloatVector s00 = FloatVector.zero(S), s01 = FloatVector.zero(S);
            FloatVector s10 = FloatVector.zero(S), s11 = FloatVector.zero(S);
            FloatVector s20 = FloatVector.zero(S), s21 = FloatVector.zero(S);
            FloatVector s30 = FloatVector.zero(S), s31 = FloatVector.zero(S);
            int kb = kTOff + j;
            for (int d = 0; d < headDim; d++, kb += ktStride) {
                FloatVector k0 = FloatVector.fromArray(S, kT, kb);
                FloatVector k1 = FloatVector.fromArray(S, kT, kb + L);
                FloatVector b = FloatVector.broadcast(S, q[q0 + d]);
                s00 = k0.fma(b, s00);
                s01 = k1.fma(b, s01);
                b = FloatVector.broadcast(S, q[q1 + d]);
                s10 = k0.fma(b, s10);
                s11 = k1.fma(b, s11);
                b = FloatVector.broadcast(S, q[q2 + d]);
                s20 = k0.fma(b, s20);
                s21 = k1.fma(b, s21);
                b = FloatVector.broadcast(S, q[q3 + d]);
                s30 = k0.fma(b, s30);
                s31 = k1.fma(b, s31);
            }
            s00.mul(sv).intoArray(sc, off + j);
            s01.mul(sv).intoArray(sc, off + j + L);
            s10.mul(sv).intoArray(sc, off + scStride + j);
            s11.mul(sv).intoArray(sc, off + scStride + j + L);
            s20.mul(sv).intoArray(sc, off + 2 * scStride + j);
            s21.mul(sv).intoArray(sc, off + 2 * scStride + j + L);
            s30.mul(sv).intoArray(sc, off + 3 * scStride + j);
            s31.mul(sv).intoArray(sc, off + 3 * scStride + j + L);
        }
        for (; j + L <= n; j += L) {
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
            FloatVector s2 = FloatVector.zero(S), s3 = FloatVector.zero(S);
            int kb = kTOff + j;
            for (int d = 0; d < headDim; d++, kb += ktStride) {
                FloatVector k0 = FloatVector.fromArray(S, kT, kb);
                s0 = k0.fma(FloatVector.broadcast(S, q[q0 + d]), s0);
                s1 = k0.fma(FloatVector.broadcast(S, q[q1 + d]), s1);
                s2 = k0.fma(FloatVector.broadcast(S, q[q2 + d]), s2);
                s3 = k0.fma(FloatVector.broadcast(S, q[q3 + d]), s3);
            }
            s0.mul(sv).intoArray(sc, off + j);
            s1.mul(sv).intoArray(sc, off + scStride + j);
            s2.mul(sv).intoArray(sc, off + 2 * scStride + j);
            s3.mul(sv).intoArray(sc, off + 3 * scStride + j);
        }
        for (; j < n; j++) {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            int kb = kTOff + j;
            for (int d = 0; d < headDim; d++, kb += ktStride) {
                float kv = kT[kb];
                a0 = Math.fma(q[q0 + d], kv, a0);
                a1 = Math.fma(q[q1 + d], kv, a1);
                a2 = Math.fma(q[q2 + d], kv, a2);
                a3 = Math.fma(q[q3 + d], kv, a3);
            }
            sc[off + j] = a0 * scale;
            sc[off + scStride + j] = a1 * scale;
            sc[off + 2 * scStride + j] = a2 * scale;
            sc[off + 3 * scStride + j] = a3 * scale;
        }
    }

    /** Scores of one query row against all n keys. */
    private static void scores1(float[] q, int q0, float[] kT, int kTOff, int ktStride, int n, int headDim,
                                float scale, float[] sc, int off) {
        final FloatVector sv = FloatVector.broadcast(S, scale);
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector s0 = FloatVector.zero(S);
            int kb = kTOff + j;
            for (int d = 0; d < headDim; d++, kb += ktStride) {
                s0 = FloatVector.fromArray(S, kT, kb).fma(FloatVector.broadcast(S, q[q0 + d]), s0);
            }
            s0.mul(sv).intoArray(sc, off + j);
        }
        for (; j < n; j++) {
            float a0 = 0f;
            int kb = kTOff + j;
            for (int d = 0; d < headDim; d++, kb += ktStride) {
                a0 = Math.fma(q[q0 + d], kT[kb], a0);
            }
            sc[off + j] = a0 * scale;
        }
    }

    /** P·V for 4 rows of unnormalised probabilities (rows at e[eOff + r·n]); outputs scaled by inv_r. */
    private static void weightedSum4(float[] e, int eOff, int eStride, int n, float[] v, int vOff, int vStride, int headDim,
                                     float[] out, int o0, int outStride,
                                     float inv0, float inv1, float inv2, float inv3) {
        final int e1 = eOff + eStride, e2 = e1 + eStride, e3 = e2 + eStride;
        final int o1 = o0 + outStride, o2 = o1 + outStride, o3 = o2 + outStride;
        int d = 0;
        for (; d + 2 * L <= headDim; d += 2 * L) {
            FloatVector a00 = FloatVector.zero(S), a01 = FloatVector.zero(S);
            FloatVector a10 = FloatVector.zero(S), a11 = FloatVector.zero(S);
            FloatVector a20 = FloatVector.zero(S), a21 = FloatVector.zero(S);
            FloatVector a30 = FloatVector.zero(S), a31 = FloatVector.zero(S);
            int vb = vOff + d;
            for (int j = 0; j < n; j++, vb += vStride) {
                FloatVector v0 = FloatVector.fromArray(S, v, vb);
                FloatVector v1 = FloatVector.fromArray(S, v, vb + L);
                FloatVector b = FloatVector.broadcast(S, e[eOff + j]);
                a00 = v0.fma(b, a00);
                a01 = v1.fma(b, a01);
                b = FloatVector.broadcast(S, e[e1 + j]);
                a10 = v0.fma(b, a10);
                a11 = v1.fma(b, a11);
                b = FloatVector.broadcast(S, e[e2 + j]);
                a20 = v0.fma(b, a20);
                a21 = v1.fma(b, a21);
                b = FloatVector.broadcast(S, e[e3 + j]);
                a30 = v0.fma(b, a30);
                a31 = v1.fma(b, a31);
            }
            a00.mul(inv0).intoArray(out, o0 + d);
            a01.mul(inv0).intoArray(out, o0 + d + L);
            a10.mul(inv1).intoArray(out, o1 + d);
            a11.mul(inv1).intoArray(out, o1 + d + L);
            a20.mul(inv2).intoArray(out, o2 + d);
            a21.mul(inv2).intoArray(out, o2 + d + L);
            a30.mul(inv3).intoArray(out, o3 + d);
            a31.mul(inv3).intoArray(out, o3 + d + L);
        }
        for (; d + L <= headDim; d += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            int vb = vOff + d;
            for (int j = 0; j < n; j++, vb += vStride) {
                FloatVector v0 = FloatVector.fromArray(S, v, vb);
                a0 = v0.fma(FloatVector.broadcast(S, e[eOff + j]), a0);
                a1 = v0.fma(FloatVector.broadcast(S, e[e1 + j]), a1);
                a2 = v0.fma(FloatVector.broadcast(S, e[e2 + j]), a2);
                a3 = v0.fma(FloatVector.broadcast(S, e[e3 + j]), a3);
            }
            a0.mul(inv0).intoArray(out, o0 + d);
            a1.mul(inv1).intoArray(out, o1 + d);
            a2.mul(inv2).intoArray(out, o2 + d);
            a3.mul(inv3).intoArray(out, o3 + d);
        }
        for (; d < headDim; d++) {
            float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f;
            int vb = vOff + d;
            for (int j = 0; j < n; j++, vb += vStride) {
                float vv = v[vb];
                a0 = Math.fma(e[eOff + j], vv, a0);
                a1 = Math.fma(e[e1 + j], vv, a1);
                a2 = Math.fma(e[e2 + j], vv, a2);
                a3 = Math.fma(e[e3 + j], vv, a3);
            }
            out[o0 + d] = a0 * inv0;
            out[o1 + d] = a1 * inv1;
            out[o2 + d] = a2 * inv2;
            out[o3 + d] = a3 * inv3;
        }
    }
}
