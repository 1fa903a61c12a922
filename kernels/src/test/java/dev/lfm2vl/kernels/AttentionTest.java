package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.KernelAsserts.*;
import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class AttentionTest {

    /** Naive double-precision attention for one query vector against keys/values 0..n−1. */
    private static double[] naive(float[] q, int qo, float[] k, int kOff, float[] v, int vOff, int stride,
                                  int n, int headDim) {
        double scale = 1 / Math.sqrt(headDim);
        double[] s = new double[n];
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double dot = 0;
            for (int d = 0; d < headDim; d++) dot += (double) q[qo + d] * k[kOff + j * stride + d];
            s[j] = dot * scale;
            max = Math.max(max, s[j]);
        }
        double sum = 0;
        for (int j = 0; j < n; j++) { s[j] = Math.exp(s[j] - max); sum += s[j]; }
        double[] o = new double[headDim];
        for (int j = 0; j < n; j++) {
            for (int d = 0; d < headDim; d++) o[d] += s[j] / sum * v[vOff + j * stride + d];
        }
        return o;
    }

    // ------------------------------------------------------------------ causal GQA

    /** Random q [T][heads·hd] (stride +1 pad) and cache [p0+T][kvHeads·hd] (stride +2 pad). */
    private record Causal(float[] q, int qStride, float[] k, float[] v, int kvStride) {}

    private static Causal causalData(long seed, int T, int p0, int heads, int kvHeads, int hd) {
        int qStride = heads * hd + 1, kvStride = kvHeads * hd + 2;
        return new Causal(random(seed, T * qStride, -2f, 2f), qStride,
                random(seed + 1, (p0 + T) * kvStride, -2f, 2f), random(seed + 2, (p0 + T) * kvStride, -1f, 1f), kvStride);
    }

    // Vector vs scalar twin: float FMA dot over headDim (≤ 128 terms) and float P·V over ≤ 40 keys vs
    // double: ~1e-6 relative on values of magnitude ≤ 1 → 3e-6 absolute.
    @Test
    void causalVectorMatchesScalarTwinForShapesAndOffsets() {
        int[][] shapes = {{4, 2, 16}, {4, 1, 7}, {8, 2, 64}, {2, 2, 72}, {32, 8, 64}};
        for (int[] sh : shapes) {
            int heads = sh[0], kvHeads = sh[1], hd = sh[2];
            for (int[] tp : new int[][] {{1, 0}, {1, 9}, {5, 0}, {4, 37}, {8, 0}, {13, 3}, {18, 1}}) {
                int T = tp[0], p0 = tp[1];
                Causal c = causalData(heads * 1000L + hd + T + p0, T, p0, heads, kvHeads, hd);
                int outStride = heads * hd;
                float[] ov = new float[3 + T * outStride], os = new float[3 + T * outStride];
                float[] scores = new float[RowMajorKeys.causalScratchSize(p0 + T, hd)];
                RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                        ov, 3, outStride, scores);
                ScalarAttention.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                        os, 3, outStride, new float[p0 + T]);
                assertClose(os, ov, 3e-6, 1e-5, java.util.Arrays.toString(sh) + " T=" + T + " p0=" + p0);
                // and both against the naive double reference, row 0 / last head
                int t = T - 1, h = heads - 1, g = h / (heads / kvHeads);
                double[] ref = naive(c.q, t * c.qStride + h * hd, c.k, g * hd, c.v, g * hd, c.kvStride, p0 + t + 1, hd);
                float[] got = new float[hd];
                System.arraycopy(ov, 3 + t * outStride + h * hd, got, 0, hd);
                assertClose(ref, got, 3e-6, 1e-5, "naive " + java.util.Arrays.toString(sh));
            }
        }
    }

    @Test
    void causalPositionJAttendsOnlyToPositionsUpToJ() {
        for (int T : new int[] {6, 10}) { // per-key path and blocked path
            causalOnlyLooksBack(T);
        }
    }

    private static void causalOnlyLooksBack(int T) {
        int heads = 4, kvHeads = 2, hd = 16, p0 = 0;
        Causal c = causalData(5, T, p0, heads, kvHeads, hd);
        float[] out1 = new float[T * heads * hd], out2 = new float[T * heads * hd];
        float[] scores = new float[RowMajorKeys.causalScratchSize(T, hd)];
        RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                out1, 0, heads * hd, scores);
        // perturb K and V of the last position: rows 0..T-2 must not change at all, row T-1 must
        for (int i = 0; i < kvHeads * hd; i++) {
            c.k[(T - 1) * c.kvStride + i] += 3f;
            c.v[(T - 1) * c.kvStride + i] += 5f;
        }
        RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                out2, 0, heads * hd, scores);
        for (int i = 0; i < (T - 1) * heads * hd; i++) assertEquals(out1[i], out2[i], 0f, "row " + i / (heads * hd));
        for (int h = 0; h < heads; h++) {
            int o = (T - 1) * heads * hd + h * hd;
            assertNotEquals(out1[o], out2[o], "last row, head " + h + " sees its own position");
        }
    }

    @Test
    void causalGqaMapsQueryHeadToKvHeadHOverGroupConsecutiveHeadsShare() {
        gqaMapping(2);
        gqaMapping(9); // blocked path
    }

    private static void gqaMapping(int T) {
        int heads = 8, kvHeads = 2, hd = 16, p0 = 3; // group 4: heads 0-3 -> kv 0, 4-7 -> kv 1
        Causal c = causalData(9, T, p0, heads, kvHeads, hd);
        for (int j = 0; j < p0 + T; j++) {
            for (int d = 0; d < hd; d++) {
                c.v[j * c.kvStride + d] = 1f;       // KV head 0
                c.v[j * c.kvStride + hd + d] = 2f;  // KV head 1
            }
        }
        float[] out = new float[T * heads * hd];
        RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                out, 0, heads * hd, new float[RowMajorKeys.causalScratchSize(p0 + T, hd)]);
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < heads; h++) {
                float expected = h < 4 ? 1f : 2f; // (h % kvHeads would give 1,2,1,2,...)
                assertEquals(expected, out[t * heads * hd + h * hd + 5], 1e-6f, "t=" + t + " h=" + h);
            }
        }
    }

    @Test
    void causalScoresAreScaledByOneOverSqrtHeadDim() {
        int hd = 4;
        float[] q = {1, 0, 0, 0};
        float[] k = {2, 0, 0, 0, 0, 0, 0, 0}; // scores 2/√4 = 1 and 0
        float[] v = {1, 0, 0, 0, 0, 1, 0, 0};
        float[] out = new float[4];
        RowMajorKeys.causal(q, 0, 4, 1, 1, k, 0, v, 0, 4, 1, 1, hd, out, 0, 4, new float[RowMajorKeys.causalScratchSize(2, hd)]);
        double p0 = Math.exp(1) / (Math.exp(1) + 1);
        assertEquals(p0, out[0], 1e-6);
        assertEquals(1 - p0, out[1], 1e-6);
        // a single position returns its value exactly (probability 1)
        RowMajorKeys.causal(q, 0, 4, 1, 0, k, 0, v, 0, 4, 1, 1, hd, out, 0, 4, new float[RowMajorKeys.causalScratchSize(1, hd)]);
        assertArrayEquals(new float[] {1, 0, 0, 0}, out);
    }

    @Test
    void causalBatchEqualsTokenByTokenAndOutputMayOverwriteQ() {
        int heads = 8, kvHeads = 2, hd = 64, T = 7, p0 = 5;
        Causal c = causalData(13, T, p0, heads, kvHeads, hd);
        int outStride = heads * hd;
        float[] batch = new float[T * outStride];
        RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                batch, 0, outStride, new float[RowMajorKeys.causalScratchSize(p0 + T, hd)]);
        float[] steps = new float[T * outStride];
        for (int t = 0; t < T; t++) {
            RowMajorKeys.causal(c.q, t * c.qStride, c.qStride, 1, p0 + t, c.k, 0, c.v, 0, c.kvStride,
                    heads, kvHeads, hd, steps, t * outStride, outStride, new float[RowMajorKeys.causalScratchSize(p0 + T, hd)]);
        }
        // below CAUSAL_BLOCKED_MIN_ROWS the batch runs the same head-grouped code per row → bit-exact
        assertArrayEquals(steps, batch);
        float[] qi = c.q.clone();
        RowMajorKeys.causal(qi, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                qi, 0, c.qStride, new float[RowMajorKeys.causalScratchSize(p0 + T, hd)]);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < outStride; i++) assertEquals(batch[t * outStride + i], qi[t * c.qStride + i], 0f);
        }
    }

    // Blocked batch (T ≥ 8) vs single-token decode steps: different summation order (blocked FMA
    // chains, zeroed masked tail) → agree to float rounding, ~1e-6 relative; also out may alias q.
    @Test
    void causalBlockedBatchEqualsTokenByTokenWithinRounding() {
        int heads = 8, kvHeads = 2, hd = 64, T = 13, p0 = 4;
        Causal c = causalData(14, T, p0, heads, kvHeads, hd);
        int outStride = heads * hd;
        float[] scratch = new float[RowMajorKeys.causalScratchSize(p0 + T, hd)];
        float[] batch = new float[T * outStride];
        RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                batch, 0, outStride, scratch);
        float[] steps = new float[T * outStride];
        for (int t = 0; t < T; t++) {
            RowMajorKeys.causal(c.q, t * c.qStride, c.qStride, 1, p0 + t, c.k, 0, c.v, 0, c.kvStride,
                    heads, kvHeads, hd, steps, t * outStride, outStride, scratch);
        }
        assertClose(steps, batch, 2e-6, 1e-5, "blocked batch vs steps");
        float[] qi = c.q.clone();
        RowMajorKeys.causal(qi, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                qi, 0, c.qStride, scratch);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < outStride; i++) assertEquals(batch[t * outStride + i], qi[t * c.qStride + i], 0f);
        }
    }

    @Test
    void causalHeadRangesComposeToTheFullResult() {
        headRanges(3);
        headRanges(9);
    }

    private static void headRanges(int T) {
        int heads = 8, kvHeads = 4, hd = 16, p0 = 2;
        Causal c = causalData(17, T, p0, heads, kvHeads, hd);
        int os = heads * hd;
        int need = RowMajorKeys.causalScratchSize(p0 + T, hd);
        float[] full = new float[T * os], split = new float[T * os];
        RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd, full, 0, os, new float[need]);
        float[] scratch = new float[2 * need];
        RowMajorKeys.causalHeads(5, 8, c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd, split, 0, os, scratch, need);
        RowMajorKeys.causalHeads(0, 5, c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd, split, 0, os, scratch, 0);
        assertArrayEquals(full, split);
        assertThrows(IllegalArgumentException.class, () -> RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0,
                c.kvStride, heads, 3, hd, full, 0, os, new float[need]));
        assertThrows(IllegalArgumentException.class, () -> RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0,
                c.kvStride, heads, kvHeads, hd, full, 0, os, new float[need - 1]));
    }

    @Test
    void causalWithTransposedKCacheIsBitIdenticalToRowMajorCache() {
        int heads = 8, kvHeads = 2, hd = 64, maxCtx = 40;
        int kTStride = AttentionTiles.keysTransposedStride(maxCtx);
        for (int[] tp : new int[][] {{1, 0}, {1, 17}, {5, 3}, {9, 0}, {12, 20}}) {
            int T = tp[0], p0 = tp[1];
            Causal c = causalData(31L * T + p0, T, p0, heads, kvHeads, hd);
            float[] kT = new float[1 + kvHeads * hd * kTStride];
            for (int j = 0; j < p0 + T; j++) {
                CausalAttention.appendKeysTransposed(c.k, j * c.kvStride, kvHeads, hd, j, kT, 1, kTStride);
            }
            int os = heads * hd;
            float[] ref = new float[T * os], got = new float[T * os];
            RowMajorKeys.causal(c.q, 0, c.qStride, T, p0, c.k, 0, c.v, 0, c.kvStride, heads, kvHeads, hd,
                    ref, 0, os, new float[RowMajorKeys.causalScratchSize(p0 + T, hd)]);
            float[] scratch = new float[CausalAttention.causalTransposedKScratchSize(p0 + T)];
            CausalAttention.causalHeadsTransposedK(4, 8, c.q, 0, c.qStride, T, p0, kT, 1, kTStride, c.v, 0, c.kvStride,
                    heads, kvHeads, hd, got, 0, os, scratch, 0);
            CausalAttention.causalHeadsTransposedK(0, 4, c.q, 0, c.qStride, T, p0, kT, 1, kTStride, c.v, 0, c.kvStride,
                    heads, kvHeads, hd, got, 0, os, scratch, 0);
            assertArrayEquals(ref, got, "T=" + T + " p0=" + p0);
        }
        assertThrows(IllegalArgumentException.class,
                () -> CausalAttention.appendKeysTransposed(new float[hd], 0, 1, hd, kTStride, new float[hd * kTStride], 0, kTStride));
    }

    // ------------------------------------------------------------------ bidirectional

    // Vector vs naive double: dot over headDim in float (blocked FMA), float exp, float P·V over N ≤ 70
    // keys: ~1e-6 relative on outputs of magnitude ≤ 1 → 3e-6 absolute + 1e-5 relative.
    @Test
    void bidirectionalEqualsNaiveDoublePrecisionReference() {
        int[][] shapes = {{1, 2, 16}, {5, 3, 16}, {37, 2, 72}, {64, 2, 7}, {70, 1, 72}, {9, 4, 64}};
        for (int[] sh : shapes) {
            int n = sh[0], heads = sh[1], hd = sh[2];
            int dim = heads * hd, inStride = 3 * dim + 1; // fused QKV rows with padding
            float[] qkv = random(n * 10L + hd, n * inStride, -2f, 2f);
            int outStride = dim + 3;
            float[] out = new float[n * outStride];
            float[] kT = new float[AttentionTiles.keysTransposedSize(n, hd)];
            float[] scores = new float[BidirectionalAttention.bidirectionalScoresSize(n)];
            BidirectionalAttention.bidirectional(qkv, 0, qkv, dim, qkv, 2 * dim, inStride, n, heads, hd, out, 0, outStride, kT, scores);
            float[] outS = new float[n * outStride];
            ScalarAttention.bidirectional(qkv, 0, qkv, dim, qkv, 2 * dim, inStride, n, heads, hd, outS, 0, outStride, new float[n]);
            float[] got = new float[hd], gotS = new float[hd];
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < heads; h++) {
                    double[] ref = naive(qkv, i * inStride + h * hd, qkv, dim + h * hd, qkv, 2 * dim + h * hd, inStride, n, hd);
                    System.arraycopy(out, i * outStride + h * hd, got, 0, hd);
                    System.arraycopy(outS, i * outStride + h * hd, gotS, 0, hd);
                    String what = java.util.Arrays.toString(sh) + " row " + i + " head " + h;
                    assertClose(ref, got, 3e-6, 1e-5, "vector " + what);
                    assertClose(ref, gotS, 3e-6, 1e-5, "scalar " + what);
                }
            }
        }
    }

    @Test
    void transposeKeysLaysOutHeadKeysAsColumnsWithPaddedStride() {
        int n = 20, heads = 2, hd = 3, dim = heads * hd;
        float[] k = new float[n * dim];
        for (int j = 0; j < n; j++) for (int i = 0; i < dim; i++) k[j * dim + i] = 1000 * j + i;
        int ts = AttentionTiles.keysTransposedStride(n);
        assertTrue(ts >= n && ts % 16 == 0 && ts % 32 != 0, "stride " + ts);
        float[] kT = new float[1 + AttentionTiles.keysTransposedSize(n, hd)];
        BidirectionalAttention.transposeKeys(k, 0, dim, n, 1, hd, kT, 1);
        for (int d = 0; d < hd; d++) {
            for (int j = 0; j < n; j++) assertEquals(1000 * j + hd + d, kT[1 + d * ts + j], 0f);
        }
    }

    @Test
    void bidirectionalFirstRowSeesTheLastKey() {
        int n = 9, heads = 2, hd = 16, dim = heads * hd;
        float[] q = random(1, n * dim, -1f, 1f), k = random(2, n * dim, -1f, 1f), v = random(3, n * dim, -1f, 1f);
        float[] o1 = new float[n * dim], o2 = new float[n * dim];
        float[] kT = new float[AttentionTiles.keysTransposedSize(n, hd)], sc = new float[AttentionTiles.ROW_BLOCK * n];
        BidirectionalAttention.bidirectional(q, 0, k, 0, v, 0, dim, n, heads, hd, o1, 0, dim, kT, sc);
        v[(n - 1) * dim] += 1f;
        BidirectionalAttention.bidirectional(q, 0, k, 0, v, 0, dim, n, heads, hd, o2, 0, dim, kT, sc);
        assertNotEquals(o1[0], o2[0], "no causal mask in the vision tower");
    }

    @Test
    void bidirectionalRowRangesAndHeadsComposeToTheFullResult() {
        int n = 37, heads = 3, hd = 72, dim = heads * hd;
        float[] q = random(4, n * dim, -1f, 1f), k = random(5, n * dim, -1f, 1f), v = random(6, n * dim, -1f, 1f);
        float[] full = new float[n * dim];
        BidirectionalAttention.bidirectional(q, 0, k, 0, v, 0, dim, n, heads, hd, full, 0, dim, new float[AttentionTiles.keysTransposedSize(n, hd)],
                new float[BidirectionalAttention.bidirectionalScoresSize(n)]);
        // all heads' keys transposed into one shared buffer; uneven row chunks, reverse order
        int kts = AttentionTiles.keysTransposedSize(n, hd);
        float[] kTAll = new float[heads * kts];
        for (int h = 0; h < heads; h++) BidirectionalAttention.transposeKeys(k, 0, dim, n, h, hd, kTAll, h * kts);
        float[] split = new float[n * dim];
        float[] sc = new float[1 + BidirectionalAttention.bidirectionalScoresSize(n)];
        int[] cuts = {0, 3, 10, 11, 30, 37};
        for (int h = heads - 1; h >= 0; h--) {
            for (int c = cuts.length - 2; c >= 0; c--) {
                BidirectionalAttention.bidirectionalRows(h, cuts[c], cuts[c + 1], q, 0, kTAll, h * kts, v, 0, dim, n, hd,
                        split, 0, dim, sc, 1);
            }
        }
        // row blocks of 4 vs single rows use the same per-row arithmetic order → bit-exact
        assertArrayEquals(full, split);
    }
}
