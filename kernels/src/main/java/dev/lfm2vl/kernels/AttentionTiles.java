package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The micro-kernels both attention kernels are built from ({@link CausalAttention}, {@link BidirectionalAttention}):
 * scores of 1 or {@value #ROW_BLOCK} query rows against transposed keys (a register-blocked GEMM: 4 rows x 2 key
 * vectors, broadcast q, contiguous kT loads), an unnormalised softmax, and P·V with one FMA chain per output over
 * the keys in order, so results do not depend on how rows are split. Also the layout of the transposed keys.
 */
public final class AttentionTiles {
    private AttentionTiles() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** Query rows (or heads) the 4-row micro-kernels process together. */
    public static final int ROW_BLOCK = 4;

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

    /**
     * Single-row P·V with exactly the per-element operation order of {@link #weightedSum4} (one FMA
     * chain per output over keys in order), so results do not depend on how rows are split.
     */
    static void weightedSum1(float[] e, int eOff, int n, float[] v, int vOff, int vStride, int headDim,
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
    static float softmaxUnnormalized(float[] s, int off, int n) {
        float max = Softmax.max(s, off, n);
        return (float) (1.0 / Softmax.expShiftAndSum(s, off, n, max));
    }

    /** Scores of 4 query rows (at q0, q0+stride, …) against all n keys into sc[off + r·n + j]. */
    static void scores4(float[] q, int q0, int qStride, float[] kT, int kTOff, int ktStride, int n,
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
    static void scores1(float[] q, int q0, float[] kT, int kTOff, int ktStride, int n, int headDim,
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
    static void weightedSum4(float[] e, int eOff, int eStride, int n, float[] v, int vOff, int vStride, int headDim,
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
