package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.QuantMath.bit4;
import static dev.lfm2vl.kernels.QuantMath.dotN;
import static dev.lfm2vl.kernels.QuantMath.dotNAffine;
import static dev.lfm2vl.kernels.QuantMath.hi;
import static dev.lfm2vl.kernels.QuantMath.lo;
import static dev.lfm2vl.kernels.QuantMath.storeN;
import static dev.lfm2vl.kernels.Vec.BN;
import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector kernels for the 256-element super-blocks Q4_K, Q5_K, Q6_K (docs/MODEL.md §2.4, pitfall 2). Scales are
 * unpacked with scalar code per sub-block; quants are decoded BN bytes at a time. One method per type and
 * mode keeps each compile unit inside C2's inlining budget (see {@link QuantMath}).
 *
 * <p>Q4_K / Q5_K: chunk c (64 elements) = low nibbles of qs[32c..32c+31] (sub-block 2c) then high nibbles
 * (2c+1); Q5_K adds bit 2c / 2c+1 of qh[l]. Q6_K: for half n and l = 0..31, ql[64n+l] / ql[64n+l+32] low
 * nibbles are elements 128n+l / +32, their high nibbles +64 / +96, with 2-bit highs from qh[32n+l] bits
 * 0-1, 2-3, 4-5, 6-7; scale index = element / 16.
 */
final class KQuantKernels {
    private KQuantKernels() {}

    static float dotQ4K(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 144L * b;
            float d = Vec.f16(s, p), dmin = Vec.f16(s, p + 2);
            int s0 = s.get(Vec.U32, p + 4), s1 = s.get(Vec.U32, p + 8), s2 = s.get(Vec.U32, p + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 1));
                int k = xOff + 256 * b + 64 * c;
                for (int l = 0; l < 32; l += BN) {
                    ByteVector q = Vec.bytes(s, p + 16 + 32L * c + l);
                    a0 = dotNAffine(lo(q), d1, m1, x, k + l, a0);
                    a1 = dotNAffine(hi(q), d2, m2, x, k + 32 + l, a1);
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ4K(MemorySegment s, long row, int nb, float[] out, int o) {
        for (int b = 0; b < nb; b++) {
            long p = row + 144L * b;
            float d = Vec.f16(s, p), dmin = Vec.f16(s, p + 2);
            int s0 = s.get(Vec.U32, p + 4), s1 = s.get(Vec.U32, p + 8), s2 = s.get(Vec.U32, p + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 1));
                int k = o + 256 * b + 64 * c;
                for (int l = 0; l < 32; l += BN) {
                    ByteVector q = Vec.bytes(s, p + 16 + 32L * c + l);
                    storeN(lo(q), d1, m1, out, k + l);
                    storeN(hi(q), d2, m2, out, k + 32 + l);
                }
            }
        }
    }

    static float dotQ5K(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 176L * b;
            float d = Vec.f16(s, p), dmin = Vec.f16(s, p + 2);
            int s0 = s.get(Vec.U32, p + 4), s1 = s.get(Vec.U32, p + 8), s2 = s.get(Vec.U32, p + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 1));
                int k = xOff + 256 * b + 64 * c;
                for (int l = 0; l < 32; l += BN) {
                    ByteVector q = Vec.bytes(s, p + 48 + 32L * c + l);
                    ByteVector h = Vec.bytes(s, p + 16 + l);
                    a0 = dotNAffine(lo(q).or(bit4(h, 2 * c)), d1, m1, x, k + l, a0);
                    a1 = dotNAffine(hi(q).or(bit4(h, 2 * c + 1)), d2, m2, x, k + 32 + l, a1);
                }
            }
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ5K(MemorySegment s, long row, int nb, float[] out, int o) {
        for (int b = 0; b < nb; b++) {
            long p = row + 176L * b;
            float d = Vec.f16(s, p), dmin = Vec.f16(s, p + 2);
            int s0 = s.get(Vec.U32, p + 4), s1 = s.get(Vec.U32, p + 8), s2 = s.get(Vec.U32, p + 12);
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * QuantMath.scaleMin(s0, s1, s2, 2 * c + 1, 1));
                int k = o + 256 * b + 64 * c;
                for (int l = 0; l < 32; l += BN) {
                    ByteVector q = Vec.bytes(s, p + 48 + 32L * c + l);
                    ByteVector h = Vec.bytes(s, p + 16 + l);
                    storeN(lo(q).or(bit4(h, 2 * c)), d1, m1, out, k + l);
                    storeN(hi(q).or(bit4(h, 2 * c + 1)), d2, m2, out, k + 32 + l);
                }
            }
        }
    }

    /** Element e of a Q6_K quarter: (nibble | 2 bits of qh at {@code shift} << 4) - 32, scaled by d·scales[e/16]. */
    private static ByteVector q6(ByteVector nibble, ByteVector h, int shift) {
        return nibble.or(h.lanewise(VectorOperators.LSHR, shift).and((byte) 3).lanewise(VectorOperators.LSHL, 4))
                .sub((byte) 32);
    }

    /** d · scales[element/16] broadcast (signed int8 scale). */
    private static FloatVector scale(MemorySegment s, long p, float d, int element) {
        return FloatVector.broadcast(F, d * s.get(ValueLayout.JAVA_BYTE, p + 192 + element / 16));
    }

    /** Per calling thread: d·scales[j] of each super-block of the row {@link #dotQ6K} is on (grown, never shrunk). */
    private static final ThreadLocal<float[]> Q6_SCALES = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Bytes are split in int lanes (native shifts; x86 has no byte shift). For half n, pass r (0: low nibbles,
     * quarters 0 and 1; 1: high nibbles, quarters 2 and 3) and column l the ql rows 64n+l / 64n+32+l hold
     * quarters 2r / 2r+1 with qh bits at 4r / 4r+2; scale of quarter k at l: scales[8n + 2k + l/16]. Two
     * independent accumulators; one pass per loop body keeps the method inside C2's node budget (a body with
     * all four quarters hit NodeCountInliningCutoff and fell back to allocating code).
     *
     * <p>Loop order: the BN-column position inside a super-block outside, the super-blocks inside, so every
     * address in the inner loop is linear in its counter and C2 drops its bounds checks (a row of the 2048-wide
     * output head is 1.7 KB: the 16 passes over it hit L1). The former single flat loop derived block, pass and
     * column from one counter with divisions, and kept a bounds check per access: 1.15x slower on one core
     * (same-JVM A/B). Nested loops of 4 trips each were slower still (C2's range-check set-up per 32 elements).
     * The 16 products d·scale of each super-block are computed once per row into a per-thread table instead of
     * once per pass (16 passes): 1.10x more on a mapped segment.
     */
    static float dotQ6K(MemorySegment s, long row, int nb, float[] x, int xOff) {
        float[] ds = Q6_SCALES.get();
        if (ds.length < 16 * nb) {
            ds = new float[16 * nb];
            Q6_SCALES.set(ds);
        }
        for (int b = 0; b < nb; b++) {
            long p = row + 210L * b;
            float d = Vec.f16(s, p + 208);
            for (int j = 0; j < 16; j++) {
                ds[16 * b + j] = d * s.get(ValueLayout.JAVA_BYTE, p + 192 + j);
            }
        }
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        // L columns per pass. At 128 bits a BN-byte load feeds two float vectors; taking only its first part (and
        // loading again 4 bytes on) keeps one part per body, inside C2's node budget: the last load of a ql or qh
        // row reads 4 bytes past it, still inside the 210-byte super-block.
        int steps = 32 / L;
        for (int unit = 0; unit < 4 * steps; unit++) {
            int nr = unit / steps, l = (unit % steps) * L;
            int n = nr >> 1, r = nr & 1, sh = 4 * r;
            long qlOff = 64L * n + l, hOff = 128 + 32L * n + l;
            int sc = 8 * n + 4 * r + l / 16;
            int xo = xOff + 128 * n + 64 * r + l;
            for (int b = 0; b < nb; b++) {
                long p = row + 210L * b;
                int k = xo + 256 * b;
                FloatVector d0 = FloatVector.broadcast(F, ds[16 * b + sc]), d1 = FloatVector.broadcast(F, ds[16 * b + sc + 2]);
                ByteVector q0 = Vec.bytes(s, p + qlOff), q1 = Vec.bytes(s, p + qlOff + 32), h = Vec.bytes(s, p + hOff);
                IntVector hh = Vec.ipart(h, 0);
                a0 = q6part(Vec.ipart(q0, 0), hh, sh, sh, x, k, 0).fma(d0, a0);
                a1 = q6part(Vec.ipart(q1, 0), hh, sh, sh + 2, x, k + 32, 0).fma(d1, a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /**
     * Row of Q6_K as its quants − 32 in element order (floats) and the 16 products d·scale of each super-block,
     * for {@link #dotDecodedQ6K}.
     */
    static void decodeQ6K(MemorySegment s, long row, int nb, float[] v, float[] ds) {
        for (int b = 0; b < nb; b++) {
            long p = row + 210L * b;
            float d = Vec.f16(s, p + 208);
            for (int j = 0; j < 16; j++) {
                ds[16 * b + j] = d * s.get(ValueLayout.JAVA_BYTE, p + 192 + j);
            }
            for (int e = 0; e < 256; e += BN) {
                int n = e >> 7, quarter = (e >> 5) & 3, l = e & 31;
                ByteVector ql = Vec.bytes(s, p + 64L * n + 32 * (quarter & 1) + l);
                ByteVector h = Vec.bytes(s, p + 128 + 32L * n + l);
                QuantMath.storeInts(q6(ql.lanewise(VectorOperators.LSHR, 4 * (quarter >> 1)).and((byte) 0x0F), h, 2 * quarter),
                        v, 256 * b + e);
            }
        }
    }

    /** {@link #dotQ6K} over a row {@link #decodeQ6K} made: the same passes, operations and order (issue 18). */
    static float dotDecodedQ6K(float[] v, float[] ds, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int steps = 32 / L;
        for (int unit = 0; unit < 4 * steps; unit++) {
            int nr = unit / steps, l = (unit % steps) * L;
            int n = nr >> 1, r = nr & 1;
            int sc = 8 * n + 4 * r + l / 16;
            int e0 = 128 * n + 64 * r + l;
            for (int b = 0; b < nb; b++) {
                int e = e0 + 256 * b;
                FloatVector d0 = FloatVector.broadcast(F, ds[16 * b + sc]), d1 = FloatVector.broadcast(F, ds[16 * b + sc + 2]);
                a0 = FloatVector.fromArray(F, v, e).mul(FloatVector.fromArray(F, x, xOff + e)).fma(d0, a0);
                a1 = FloatVector.fromArray(F, v, e + 32).mul(FloatVector.fromArray(F, x, xOff + e + 32)).fma(d1, a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /** (((ql >> qs) & 15) | ((qh >> hs) & 3) << 4) - 32, times x part {@code part} at k: int lanes of bytes. */
    private static FloatVector q6part(IntVector ql, IntVector qh, int qs, int hs, float[] x, int k, int part) {
        IntVector q = ql.lanewise(VectorOperators.ASHR, qs).and(15)
                .or(qh.lanewise(VectorOperators.ASHR, hs).and(3).lanewise(VectorOperators.LSHL, 4)).sub(32);
        return ((FloatVector) q.convert(VectorOperators.I2F, 0)).mul(QuantMath.xv(x, k, part));
    }

    static void dequantQ6K(MemorySegment s, long row, int nb, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long p = row + 210L * b;
            float d = Vec.f16(s, p + 208);
            for (int e = 0; e < 256; e += BN) {
                int n = e >> 7, quarter = (e >> 5) & 3, l = e & 31;
                ByteVector ql = Vec.bytes(s, p + 64L * n + 32 * (quarter & 1) + l);
                ByteVector h = Vec.bytes(s, p + 128 + 32L * n + l);
                ByteVector q = q6(ql.lanewise(VectorOperators.LSHR, 4 * (quarter >> 1)).and((byte) 0x0F), h, 2 * quarter);
                storeN(q, scale(s, p, d, e), zero, out, o + 256 * b + e);
            }
        }
    }
}
