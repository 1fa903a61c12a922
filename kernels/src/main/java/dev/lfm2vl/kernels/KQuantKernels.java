package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.QuantMath.bit4Where;
import static dev.lfm2vl.kernels.QuantMath.dot16;
import static dev.lfm2vl.kernels.QuantMath.dot16Affine;
import static dev.lfm2vl.kernels.QuantMath.hi;
import static dev.lfm2vl.kernels.QuantMath.lo;
import static dev.lfm2vl.kernels.QuantMath.store16;
import static dev.lfm2vl.kernels.Vec.F;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector kernels for the 256-element super-blocks Q4_K, Q5_K, Q6_K (gguf.md §4, pitfall 2).
 * Scales are unpacked with scalar code once per 32 (Q4_K/Q5_K) or 16 (Q6_K) elements; the quants are
 * decoded 16 bytes at a time. In {@code dot}, {@code out == null}; in {@code dequant}, {@code x == null}.
 */
final class KQuantKernels {
    private KQuantKernels() {}

    /**
     * Q4_K ([d][dmin][scales 12][qs 128], 144 B) or Q5_K ([d][dmin][scales 12][qh 32][qs 128], 176 B).
     * Chunk c (64 elements) = low nibbles of qs[32c..32c+31] (sub-block 2c) then high nibbles (2c+1);
     * Q5_K adds bit 2c / 2c+1 of qh[l] as the 5th bit. Dot when {@code out == null}, else dequantize.
     * Each (type, mode) pair is its own method (literal flags, folded by javac): one method holding every
     * variant exceeded C2's node budget, and the vector ops then fell back to allocating Java code.
     */
    static float q45k(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o, boolean five) {
        if (five) {
            return out == null ? dotQ5K(s, row, nb, x, xOff, null, 0, true) : deqQ5K(s, row, nb, null, 0, out, o, true);
        }
        return out == null ? dotQ4K(s, row, nb, x, xOff, null, 0, false) : deqQ4K(s, row, nb, null, 0, out, o, false);
    }

    /** Q6_K, see {@link #dotQ6K}; dot when {@code out == null}, else dequantize. */
    static float q6k(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o) {
        return out == null ? dotQ6K(s, row, nb, x, xOff, null, 0) : deqQ6K(s, row, nb, null, 0, out, o);
    }

    private static float dotQ4K(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o, boolean unused) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = false ? 176 : 144;
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            int e = 256 * b;
            float d = Vec.f16(s, p);
            float dmin = Vec.f16(s, p + 2);
            long qs = p + (false ? 48 : 16);
            ByteVector qhA = false ? Vec.bytes(s, p + 16) : null; // qh[0..15]
            ByteVector qhB = false ? Vec.bytes(s, p + 32) : null; // qh[16..31]
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 1));
                ByteVector qa = Vec.bytes(s, qs + 32L * c);
                ByteVector qb = Vec.bytes(s, qs + 32L * c + 16);
                ByteVector la = lo(qa), lb = lo(qb), ha = hi(qa), hb = hi(qb);
                if (false) {
                    ByteVector bitLo = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c)));
                    ByteVector bitHi = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c + 1)));
                    la = la.or(bit4Where(qhA, bitLo));
                    lb = lb.or(bit4Where(qhB, bitLo));
                    ha = ha.or(bit4Where(qhA, bitHi));
                    hb = hb.or(bit4Where(qhB, bitHi));
                }
                int k = e + 64 * c;
                if (false) {
                    store16(la, d1, m1, out, o + k);
                    store16(lb, d1, m1, out, o + k + 16);
                    store16(ha, d2, m2, out, o + k + 32);
                    store16(hb, d2, m2, out, o + k + 48);
                } else {
                    a0 = dot16Affine(la, d1, m1, x, xOff + k, a0);
                    a1 = dot16Affine(lb, d1, m1, x, xOff + k + 16, a1);
                    a2 = dot16Affine(ha, d2, m2, x, xOff + k + 32, a2);
                    a3 = dot16Affine(hb, d2, m2, x, xOff + k + 48, a3);
                }
            }
        }
        return QuantMath.sum(a0, a1, a2, a3);
    }

    private static float deqQ4K(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o, boolean unused) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = false ? 176 : 144;
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            int e = 256 * b;
            float d = Vec.f16(s, p);
            float dmin = Vec.f16(s, p + 2);
            long qs = p + (false ? 48 : 16);
            ByteVector qhA = false ? Vec.bytes(s, p + 16) : null; // qh[0..15]
            ByteVector qhB = false ? Vec.bytes(s, p + 32) : null; // qh[16..31]
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 1));
                ByteVector qa = Vec.bytes(s, qs + 32L * c);
                ByteVector qb = Vec.bytes(s, qs + 32L * c + 16);
                ByteVector la = lo(qa), lb = lo(qb), ha = hi(qa), hb = hi(qb);
                if (false) {
                    ByteVector bitLo = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c)));
                    ByteVector bitHi = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c + 1)));
                    la = la.or(bit4Where(qhA, bitLo));
                    lb = lb.or(bit4Where(qhB, bitLo));
                    ha = ha.or(bit4Where(qhA, bitHi));
                    hb = hb.or(bit4Where(qhB, bitHi));
                }
                int k = e + 64 * c;
                if (true) {
                    store16(la, d1, m1, out, o + k);
                    store16(lb, d1, m1, out, o + k + 16);
                    store16(ha, d2, m2, out, o + k + 32);
                    store16(hb, d2, m2, out, o + k + 48);
                } else {
                    a0 = dot16Affine(la, d1, m1, x, xOff + k, a0);
                    a1 = dot16Affine(lb, d1, m1, x, xOff + k + 16, a1);
                    a2 = dot16Affine(ha, d2, m2, x, xOff + k + 32, a2);
                    a3 = dot16Affine(hb, d2, m2, x, xOff + k + 48, a3);
                }
            }
        }
        return QuantMath.sum(a0, a1, a2, a3);
    }

    private static float dotQ5K(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o, boolean unused) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = true ? 176 : 144;
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            int e = 256 * b;
            float d = Vec.f16(s, p);
            float dmin = Vec.f16(s, p + 2);
            long qs = p + (true ? 48 : 16);
            ByteVector qhA = true ? Vec.bytes(s, p + 16) : null; // qh[0..15]
            ByteVector qhB = true ? Vec.bytes(s, p + 32) : null; // qh[16..31]
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 1));
                ByteVector qa = Vec.bytes(s, qs + 32L * c);
                ByteVector qb = Vec.bytes(s, qs + 32L * c + 16);
                ByteVector la = lo(qa), lb = lo(qb), ha = hi(qa), hb = hi(qb);
                if (true) {
                    ByteVector bitLo = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c)));
                    ByteVector bitHi = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c + 1)));
                    la = la.or(bit4Where(qhA, bitLo));
                    lb = lb.or(bit4Where(qhB, bitLo));
                    ha = ha.or(bit4Where(qhA, bitHi));
                    hb = hb.or(bit4Where(qhB, bitHi));
                }
                int k = e + 64 * c;
                if (false) {
                    store16(la, d1, m1, out, o + k);
                    store16(lb, d1, m1, out, o + k + 16);
                    store16(ha, d2, m2, out, o + k + 32);
                    store16(hb, d2, m2, out, o + k + 48);
                } else {
                    a0 = dot16Affine(la, d1, m1, x, xOff + k, a0);
                    a1 = dot16Affine(lb, d1, m1, x, xOff + k + 16, a1);
                    a2 = dot16Affine(ha, d2, m2, x, xOff + k + 32, a2);
                    a3 = dot16Affine(hb, d2, m2, x, xOff + k + 48, a3);
                }
            }
        }
        return QuantMath.sum(a0, a1, a2, a3);
    }

    private static float deqQ5K(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o, boolean unused) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = true ? 176 : 144;
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            int e = 256 * b;
            float d = Vec.f16(s, p);
            float dmin = Vec.f16(s, p + 2);
            long qs = p + (true ? 48 : 16);
            ByteVector qhA = true ? Vec.bytes(s, p + 16) : null; // qh[0..15]
            ByteVector qhB = true ? Vec.bytes(s, p + 32) : null; // qh[16..31]
            for (int c = 0; c < 4; c++) {
                FloatVector d1 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c, 0));
                FloatVector m1 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c, 1));
                FloatVector d2 = FloatVector.broadcast(F, d * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 0));
                FloatVector m2 = FloatVector.broadcast(F, -dmin * ScalarDequant.scaleMin(s, p + 4, 2 * c + 1, 1));
                ByteVector qa = Vec.bytes(s, qs + 32L * c);
                ByteVector qb = Vec.bytes(s, qs + 32L * c + 16);
                ByteVector la = lo(qa), lb = lo(qb), ha = hi(qa), hb = hi(qb);
                if (true) {
                    ByteVector bitLo = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c)));
                    ByteVector bitHi = ByteVector.broadcast(Vec.B, (byte) (1 << (2 * c + 1)));
                    la = la.or(bit4Where(qhA, bitLo));
                    lb = lb.or(bit4Where(qhB, bitLo));
                    ha = ha.or(bit4Where(qhA, bitHi));
                    hb = hb.or(bit4Where(qhB, bitHi));
                }
                int k = e + 64 * c;
                if (true) {
                    store16(la, d1, m1, out, o + k);
                    store16(lb, d1, m1, out, o + k + 16);
                    store16(ha, d2, m2, out, o + k + 32);
                    store16(hb, d2, m2, out, o + k + 48);
                } else {
                    a0 = dot16Affine(la, d1, m1, x, xOff + k, a0);
                    a1 = dot16Affine(lb, d1, m1, x, xOff + k + 16, a1);
                    a2 = dot16Affine(ha, d2, m2, x, xOff + k + 32, a2);
                    a3 = dot16Affine(hb, d2, m2, x, xOff + k + 48, a3);
                }
            }
        }
        return QuantMath.sum(a0, a1, a2, a3);
    }

    private static float dotQ6K(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + 210L * b;
            float d = Vec.f16(s, p + 208);
            for (int n = 0; n < 2; n++) {
                for (int g = 0; g < 2; g++) {
                    int l = 16 * g;
                    ByteVector la = Vec.bytes(s, p + 64L * n + l);
                    ByteVector lb = Vec.bytes(s, p + 64L * n + 32 + l);
                    ByteVector h = Vec.bytes(s, p + 128 + 32L * n + l);
                    ByteVector q1 = lo(la).or(h.lanewise(VectorOperators.LSHL, 4).and((byte) 0x30)).sub((byte) 32);
                    ByteVector q2 = lo(lb).or(h.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30)).sub((byte) 32);
                    ByteVector q3 = hi(la).or(h.and((byte) 0x30)).sub((byte) 32);
                    ByteVector q4 = hi(lb).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30)).sub((byte) 32);
                    int k = 256 * b + 128 * n + l;
                    FloatVector s1 = scale(s, p, d, k - 256 * b);
                    FloatVector s2 = scale(s, p, d, k - 256 * b + 32);
                    FloatVector s3 = scale(s, p, d, k - 256 * b + 64);
                    FloatVector s4 = scale(s, p, d, k - 256 * b + 96);
                    if (false) {
                        store16(q1, s1, zero, out, o + k);
                        store16(q2, s2, zero, out, o + k + 32);
                        store16(q3, s3, zero, out, o + k + 64);
                        store16(q4, s4, zero, out, o + k + 96);
                    } else {
                        a0 = dot16(q1, x, xOff + k).fma(s1, a0);
                        a1 = dot16(q2, x, xOff + k + 32).fma(s2, a1);
                        a2 = dot16(q3, x, xOff + k + 64).fma(s3, a2);
                        a3 = dot16(q4, x, xOff + k + 96).fma(s4, a3);
                    }
                }
            }
        }
        return QuantMath.sum(a0, a1, a2, a3);
    }

    private static float deqQ6K(MemorySegment s, long row, int nb, float[] x, int xOff, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        FloatVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + 210L * b;
            float d = Vec.f16(s, p + 208);
            for (int n = 0; n < 2; n++) {
                for (int g = 0; g < 2; g++) {
                    int l = 16 * g;
                    ByteVector la = Vec.bytes(s, p + 64L * n + l);
                    ByteVector lb = Vec.bytes(s, p + 64L * n + 32 + l);
                    ByteVector h = Vec.bytes(s, p + 128 + 32L * n + l);
                    ByteVector q1 = lo(la).or(h.lanewise(VectorOperators.LSHL, 4).and((byte) 0x30)).sub((byte) 32);
                    ByteVector q2 = lo(lb).or(h.lanewise(VectorOperators.LSHL, 2).and((byte) 0x30)).sub((byte) 32);
                    ByteVector q3 = hi(la).or(h.and((byte) 0x30)).sub((byte) 32);
                    ByteVector q4 = hi(lb).or(h.lanewise(VectorOperators.LSHR, 2).and((byte) 0x30)).sub((byte) 32);
                    int k = 256 * b + 128 * n + l;
                    FloatVector s1 = scale(s, p, d, k - 256 * b);
                    FloatVector s2 = scale(s, p, d, k - 256 * b + 32);
                    FloatVector s3 = scale(s, p, d, k - 256 * b + 64);
                    FloatVector s4 = scale(s, p, d, k - 256 * b + 96);
                    if (true) {
                        store16(q1, s1, zero, out, o + k);
                        store16(q2, s2, zero, out, o + k + 32);
                        store16(q3, s3, zero, out, o + k + 64);
                        store16(q4, s4, zero, out, o + k + 96);
                    } else {
                        a0 = dot16(q1, x, xOff + k).fma(s1, a0);
                        a1 = dot16(q2, x, xOff + k + 32).fma(s2, a1);
                        a2 = dot16(q3, x, xOff + k + 64).fma(s3, a2);
                        a3 = dot16(q4, x, xOff + k + 96).fma(s4, a3);
                    }
                }
            }
        }
        return QuantMath.sum(a0, a1, a2, a3);
    }

    /** d · scales[element/16] broadcast (signed int8 scale). */
    private static FloatVector scale(MemorySegment s, long p, float d, int element) {
        return FloatVector.broadcast(F, d * s.get(ValueLayout.JAVA_BYTE, p + 192 + element / 16));
    }
}
