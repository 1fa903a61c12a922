package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.QuantMath.bit4Where;
import static dev.lfm2vl.kernels.QuantMath.dot16;
import static dev.lfm2vl.kernels.QuantMath.dot16Affine;
import static dev.lfm2vl.kernels.QuantMath.hi;
import static dev.lfm2vl.kernels.QuantMath.lo;
import static dev.lfm2vl.kernels.QuantMath.store16;
import static dev.lfm2vl.kernels.Vec.F;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;

/**
 * Vector kernels for the 32-element block types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (gguf.md §4).
 * Each 32-element block is two 16-byte groups: elements 0..15 and 16..31 (for 4-bit types the low and
 * high nibbles of the same 16 bytes, spec pitfall 1). {@code dot} keeps two accumulators per group pair
 * and applies the scale once per group; {@code dequant} writes floats for MatMul packing.
 */
final class Block32Kernels {
    private Block32Kernels() {}

    // ---- Q8_0: [d f16][qs int8 x32], 34 bytes ----
    // One block per iteration on purpose: bigger loop bodies hit C2's NodeCountInliningCutoff, and a vector
    // passed to a method that is not inlined gets boxed (allocation per call, ~100x slower).
    static float dotQ8_0(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        FloatVector a0 = zero, a1 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            a0 = dot16(Vec.bytes(s, p + 2), x, xo).fma(d, a0);
            a1 = dot16(Vec.bytes(s, p + 18), x, xo + 16).fma(d, a1);
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ8_0(MemorySegment s, long row, int nb, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            store16(Vec.bytes(s, p + 2), d, zero, out, o + 32 * b);
            store16(Vec.bytes(s, p + 18), d, zero, out, o + 32 * b + 16);
        }
    }

    // ---- Q4_0: [d f16][qs u8 x16], 18 bytes; x = d*(nibble-8) ----
    static float dotQ4_0(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        FloatVector a0 = zero, a1 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int xo = xOff + 32 * b;
            ByteVector q = Vec.bytes(s, p + 2);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            a0 = dot16(lo(q).sub((byte) 8), x, xo).fma(d, a0);
            a1 = dot16(hi(q).sub((byte) 8), x, xo + 16).fma(d, a1);
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ4_0(MemorySegment s, long row, int nb, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            ByteVector q = Vec.bytes(s, p + 2);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            store16(lo(q).sub((byte) 8), d, zero, out, o + 32 * b);
            store16(hi(q).sub((byte) 8), d, zero, out, o + 32 * b + 16);
        }
    }

    // ---- Q4_1: [d f16][m f16][qs u8 x16], 20 bytes; x = d*nibble + m ----
    static float dotQ4_1(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        FloatVector a0 = zero, a1 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + 20L * b;
            int xo = xOff + 32 * b;
            ByteVector q = Vec.bytes(s, p + 4);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
            a0 = dot16Affine(lo(q), d, m, x, xo, a0);
            a1 = dot16Affine(hi(q), d, m, x, xo + 16, a1);
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ4_1(MemorySegment s, long row, int nb, float[] out, int o) {
        for (int b = 0; b < nb; b++) {
            long p = row + 20L * b;
            ByteVector q = Vec.bytes(s, p + 4);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
            store16(lo(q), d, m, out, o + 32 * b);
            store16(hi(q), d, m, out, o + 32 * b + 16);
        }
    }

    // ---- Q5_0 / Q5_1: the 5th bits come from a u32 qh; bit j -> element j, bit j+16 -> element j+16 ----
    // qh is loaded as the first 4 lanes of a 16-byte vector; SPREAD_LO repeats byte 0 into lanes 0..7 and
    // byte 1 into lanes 8..15 (elements 0..15), SPREAD_HI bytes 2 and 3 (elements 16..31); BITS picks bit j%8.
    // The shuffles/masks are rebuilt per row from arrays: vectors and shuffles held in static final fields
    // measured several times slower in the loop than locals.
    private static final int[] SPREAD_LO = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
    private static final int[] SPREAD_HI = {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3};
    private static final byte[] BITS = {1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128};

    /** Q5_0 when {@code withMin} is false ([d][qh][qs], 22 bytes, x = d*(q-16)), else Q5_1 ([d][m][qh][qs], 24 bytes). */
    /** Q5_0 ([d][qh][qs], 22 B, x = d*(q-16)) or Q5_1 ([d][m][qh][qs], 24 B, x = d*q + m); one method per type. */
    static float dotQ5(MemorySegment s, long row, int nb, float[] x, int xOff, boolean withMin) {
        return withMin ? dotQ5_1(s, row, nb, x, xOff, true) : dotQ5_0(s, row, nb, x, xOff, false);
    }

    private static float dotQ5_0(MemorySegment s, long row, int nb, float[] x, int xOff, boolean unused) {
        VectorShuffle<Byte> spreadLo = VectorShuffle.fromArray(Vec.B, SPREAD_LO, 0);
        VectorShuffle<Byte> spreadHi = VectorShuffle.fromArray(Vec.B, SPREAD_HI, 0);
        ByteVector bits = ByteVector.fromArray(Vec.B, BITS, 0);
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = false ? 24 : 22;
        int hOff = false ? 4 : 2;
        FloatVector a0 = zero, a1 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            int xo = xOff + 32 * b;
            ByteVector qh = Vec.bytes(s, p + hOff); // lanes 0..3 = qh, the rest are qs bytes (ignored)
            ByteVector q = Vec.bytes(s, p + hOff + 4);
            ByteVector qLo = lo(q).or(bit4Where(qh.rearrange(spreadLo), bits));
            ByteVector qHi = hi(q).or(bit4Where(qh.rearrange(spreadHi), bits));
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            if (false) {
                FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
                a0 = dot16Affine(qLo, d, m, x, xo, a0);
                a1 = dot16Affine(qHi, d, m, x, xo + 16, a1);
            } else {
                a0 = dot16(qLo.sub((byte) 16), x, xo).fma(d, a0);
                a1 = dot16(qHi.sub((byte) 16), x, xo + 16).fma(d, a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    private static float dotQ5_1(MemorySegment s, long row, int nb, float[] x, int xOff, boolean unused) {
        VectorShuffle<Byte> spreadLo = VectorShuffle.fromArray(Vec.B, SPREAD_LO, 0);
        VectorShuffle<Byte> spreadHi = VectorShuffle.fromArray(Vec.B, SPREAD_HI, 0);
        ByteVector bits = ByteVector.fromArray(Vec.B, BITS, 0);
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = true ? 24 : 22;
        int hOff = true ? 4 : 2;
        FloatVector a0 = zero, a1 = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            int xo = xOff + 32 * b;
            ByteVector qh = Vec.bytes(s, p + hOff); // lanes 0..3 = qh, the rest are qs bytes (ignored)
            ByteVector q = Vec.bytes(s, p + hOff + 4);
            ByteVector qLo = lo(q).or(bit4Where(qh.rearrange(spreadLo), bits));
            ByteVector qHi = hi(q).or(bit4Where(qh.rearrange(spreadHi), bits));
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            if (true) {
                FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
                a0 = dot16Affine(qLo, d, m, x, xo, a0);
                a1 = dot16Affine(qHi, d, m, x, xo + 16, a1);
            } else {
                a0 = dot16(qLo.sub((byte) 16), x, xo).fma(d, a0);
                a1 = dot16(qHi.sub((byte) 16), x, xo + 16).fma(d, a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ5(MemorySegment s, long row, int nb, float[] out, int o, boolean withMin) {
        if (withMin) {
            dequantQ5_1(s, row, nb, out, o, true);
        } else {
            dequantQ5_0(s, row, nb, out, o, false);
        }
    }

    private static void dequantQ5_0(MemorySegment s, long row, int nb, float[] out, int o, boolean unused) {
        VectorShuffle<Byte> spreadLo = VectorShuffle.fromArray(Vec.B, SPREAD_LO, 0);
        VectorShuffle<Byte> spreadHi = VectorShuffle.fromArray(Vec.B, SPREAD_HI, 0);
        ByteVector bits = ByteVector.fromArray(Vec.B, BITS, 0);
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = false ? 24 : 22;
        int hOff = false ? 4 : 2;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            ByteVector qh = Vec.bytes(s, p + hOff);
            ByteVector q = Vec.bytes(s, p + hOff + 4);
            ByteVector qLo = lo(q).or(bit4Where(qh.rearrange(spreadLo), bits));
            ByteVector qHi = hi(q).or(bit4Where(qh.rearrange(spreadHi), bits));
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            if (false) {
                FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
                store16(qLo, d, m, out, o + 32 * b);
                store16(qHi, d, m, out, o + 32 * b + 16);
            } else {
                store16(qLo.sub((byte) 16), d, zero, out, o + 32 * b);
                store16(qHi.sub((byte) 16), d, zero, out, o + 32 * b + 16);
            }
        }
    }

    private static void dequantQ5_1(MemorySegment s, long row, int nb, float[] out, int o, boolean unused) {
        VectorShuffle<Byte> spreadLo = VectorShuffle.fromArray(Vec.B, SPREAD_LO, 0);
        VectorShuffle<Byte> spreadHi = VectorShuffle.fromArray(Vec.B, SPREAD_HI, 0);
        ByteVector bits = ByteVector.fromArray(Vec.B, BITS, 0);
        FloatVector zero = FloatVector.zero(F); // a local: a static final vector costs ~4x here
        int size = true ? 24 : 22;
        int hOff = true ? 4 : 2;
        for (int b = 0; b < nb; b++) {
            long p = row + (long) size * b;
            ByteVector qh = Vec.bytes(s, p + hOff);
            ByteVector q = Vec.bytes(s, p + hOff + 4);
            ByteVector qLo = lo(q).or(bit4Where(qh.rearrange(spreadLo), bits));
            ByteVector qHi = hi(q).or(bit4Where(qh.rearrange(spreadHi), bits));
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            if (true) {
                FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
                store16(qLo, d, m, out, o + 32 * b);
                store16(qHi, d, m, out, o + 32 * b + 16);
            } else {
                store16(qLo.sub((byte) 16), d, zero, out, o + 32 * b);
                store16(qHi.sub((byte) 16), d, zero, out, o + 32 * b + 16);
            }
        }
    }
}
