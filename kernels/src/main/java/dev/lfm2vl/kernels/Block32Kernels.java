package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.QuantMath.dotN;
import static dev.lfm2vl.kernels.QuantMath.dotNAffine;
import static dev.lfm2vl.kernels.QuantMath.fifthBits;
import static dev.lfm2vl.kernels.QuantMath.hi;
import static dev.lfm2vl.kernels.QuantMath.lo;
import static dev.lfm2vl.kernels.QuantMath.storeInts;
import static dev.lfm2vl.kernels.QuantMath.storeN;
import static dev.lfm2vl.kernels.Vec.BN;
import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;
import static dev.lfm2vl.kernels.Vec.PARTS;

import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vector kernels for the 32-element block types Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 (docs/MODEL.md §2.4). For 4/5-bit
 * types the BN bytes at j hold elements j.. (low nibbles) and j+16.. (high nibbles), docs/MODEL.md pitfall 1.
 * {@code dot*} sums q·x per block and applies the scale once per block; {@code dequant*} writes floats
 * for MatMul packing. One method per type and mode keeps each compile unit small (see {@link QuantMath}).
 */
final class Block32Kernels {
    private Block32Kernels() {}

    // ---- Q8_0: [d f16][qs int8 x32], 34 bytes ----
    /**
     * Two partial sums per block started from a product (not from the previous block's sum), so the only
     * chain across blocks is one FMA per block: the former single chain of four FMAs per block bounded a core
     * to ~16 cycles per block whatever the bandwidth.
     *
     * <p>Two blocks per trip (two accumulators) ran 1.13-1.18x faster on one core over an Arena segment, but over
     * a mapped GGUF the same body passed C2's NodeCountInliningCutoff at its final {@code Vec.sum}, which then
     * took a boxed vector: 745 KB allocated per decoded token (DecodeAllocationTest). Not kept: too close to the
     * node budget to be safe.
     */
    static float dotQ8_0(MemorySegment s, long row, int nb, float[] x, int xOff) {
        if (PARTS > 1) { // folded at parse time: one of the two bodies is compiled
            return dotQ8_0Narrow(s, row, nb, x, xOff);
        }
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int xo = xOff + 32 * b;
            ByteVector q0 = Vec.bytes(s, p + 2);
            ByteVector q1 = Vec.bytes(s, p + 2 + BN);
            FloatVector s0 = Vec.part(q0, 0).mul(QuantMath.xv(x, xo, 0));
            FloatVector s1 = Vec.part(q1, 0).mul(QuantMath.xv(x, xo + BN, 0));
            if (PARTS > 1) {
                s0 = Vec.part(q0, 1).fma(QuantMath.xv(x, xo, 1), s0);
                s1 = Vec.part(q1, 1).fma(QuantMath.xv(x, xo + BN, 1), s1);
            }
            if (BN < 16) { // BN = 8: bytes 16..31 still to do
                ByteVector q2 = Vec.bytes(s, p + 18);
                ByteVector q3 = Vec.bytes(s, p + 26);
                s0 = Vec.part(q2, 0).fma(QuantMath.xv(x, xo + 16, 0), s0);
                s1 = Vec.part(q3, 0).fma(QuantMath.xv(x, xo + 24, 0), s1);
                if (PARTS > 1) {
                    s0 = Vec.part(q2, 1).fma(QuantMath.xv(x, xo + 16, 1), s0);
                    s1 = Vec.part(q3, 1).fma(QuantMath.xv(x, xo + 24, 1), s1);
                }
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, Vec.f16(s, p)), acc);
        }
        return Vec.sum(acc);
    }

    /**
     * {@link #dotQ8_0} at 128 bits, where each 8-byte load feeds two float vectors: the straight-line body above
     * then passes C2's node budget and its final sum takes a boxed vector (28 MB allocated per decoded token at
     * {@code -XX:MaxVectorSize=16}). A loop parses its body once. At 256 and 512 bits the straight-line form
     * measured 2-7 % faster, so it stays there.
     */
    private static float dotQ8_0Narrow(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector acc = FloatVector.zero(F), zero = acc;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector s0 = zero, s1 = zero;
            for (int j = 0; j < 32; j += 2 * BN) {
                ByteVector q0 = Vec.bytes(s, p + 2 + j);
                ByteVector q1 = Vec.bytes(s, p + 2 + j + BN);
                s0 = Vec.part(q0, 0).fma(QuantMath.xv(x, xo + j, 0), s0);
                s1 = Vec.part(q1, 0).fma(QuantMath.xv(x, xo + j + BN, 0), s1);
                s0 = Vec.part(q0, 1).fma(QuantMath.xv(x, xo + j, 1), s0);
                s1 = Vec.part(q1, 1).fma(QuantMath.xv(x, xo + j + BN, 1), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, Vec.f16(s, p)), acc);
        }
        return Vec.sum(acc);
    }

    /** Row of Q8_0 as its quants (floats) and block scales, for {@link #dotDecodedQ8_0} (see DecodedRow). */
    static void decodeQ8_0(MemorySegment s, long row, int nb, float[] v, float[] ds) {
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            ds[b] = Vec.f16(s, p);
            for (int j = 0; j < 32; j += BN) {
                storeInts(Vec.bytes(s, p + 2 + j), v, 32 * b + j);
            }
        }
    }

    /**
     * {@link #dotQ8_0} over a row {@link #decodeQ8_0} made: the same operations in the same order on the same
     * values, so the same bits (MatVec.matVecBatch; batch invariance, issue 18).
     */
    static float dotDecodedQ8_0(float[] v, float[] ds, int nb, float[] x, int xOff) {
        if (PARTS > 1) {
            return dotDecodedQ8_0Narrow(v, ds, nb, x, xOff);
        }
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            int o = 32 * b;
            int xo = xOff + o;
            FloatVector s0 = FloatVector.fromArray(F, v, o).mul(QuantMath.xv(x, xo, 0));
            FloatVector s1 = FloatVector.fromArray(F, v, o + BN).mul(QuantMath.xv(x, xo + BN, 0));
            if (BN < 16) {
                s0 = FloatVector.fromArray(F, v, o + 16).fma(QuantMath.xv(x, xo + 16, 0), s0);
                s1 = FloatVector.fromArray(F, v, o + 24).fma(QuantMath.xv(x, xo + 24, 0), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, ds[b]), acc);
        }
        return Vec.sum(acc);
    }

    /** {@link #dotQ8_0Narrow} over a decoded row. */
    private static float dotDecodedQ8_0Narrow(float[] v, float[] ds, int nb, float[] x, int xOff) {
        FloatVector acc = FloatVector.zero(F), zero = acc;
        for (int b = 0; b < nb; b++) {
            int o = 32 * b;
            int xo = xOff + o;
            FloatVector s0 = zero, s1 = zero;
            for (int j = 0; j < 32; j += 2 * BN) {
                s0 = FloatVector.fromArray(F, v, o + j).fma(QuantMath.xv(x, xo + j, 0), s0);
                s1 = FloatVector.fromArray(F, v, o + j + BN).fma(QuantMath.xv(x, xo + j + BN, 0), s1);
                s0 = FloatVector.fromArray(F, v, o + j + L).fma(QuantMath.xv(x, xo + j, 1), s0);
                s1 = FloatVector.fromArray(F, v, o + j + BN + L).fma(QuantMath.xv(x, xo + j + BN, 1), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, ds[b]), acc);
        }
        return Vec.sum(acc);
    }

    static void dequantQ8_0(MemorySegment s, long row, int nb, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 32; j += BN) {
                storeN(Vec.bytes(s, p + 2 + j), d, zero, out, o + 32 * b + j);
            }
        }
    }

    // ---- Q4_0: [d f16][qs u8 x16], 18 bytes; x = d*(nibble-8) ----
    /**
     * Nibbles are split in int lanes (vpmovzxbd, then a mask for the low and a shift for the high nibble, all
     * native on AVX2 and NEON) instead of byte lanes (x86 has no byte shift: C2 emulates it with widen/shift/pack).
     * The −8 of each weight stays out of the vector loop: d·Σ(q − 8)·x = d·Σ q·x − 8·d·Σ x, with Σ x per block made
     * once per mat-vec ({@link WeightMatrix#blockSums}). 9 vector operations per block instead of 13: 1.11-1.14x on
     * one core (docs/PERFORMANCE.md). The block's products start fresh; only acc chains across blocks (see dotQ8_0).
     */
    static float dotQ4_0(MemorySegment s, long row, int nb, float[] x, int xOff, float[] xBlockSums) {
        if (PARTS > 1) { // folded at parse time: one of the two bodies is compiled
            return dotQ4_0Narrow(s, row, nb, x, xOff);
        }
        FloatVector acc = FloatVector.zero(F);
        float offsets = 0; // Σ_b d_b · Σ x over block b: the −8 of every weight, applied once per row
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int xo = xOff + 32 * b;
            float d = Vec.f16(s, p);
            IntVector w = Vec.uipart(Vec.bytes(s, p + 2));
            FloatVector t = QuantMath.lo4u(w).mul(QuantMath.xv(x, xo, 0));
            t = QuantMath.hi4u(w).fma(QuantMath.xv(x, xo + 16, 0), t);
            if (BN < 16) { // BN = 8: bytes 8..15 (elements 8..15 and 24..31) still to do
                w = Vec.uipart(Vec.bytes(s, p + 10));
                t = QuantMath.lo4u(w).fma(QuantMath.xv(x, xo + 8, 0), t);
                t = QuantMath.hi4u(w).fma(QuantMath.xv(x, xo + 24, 0), t);
            }
            acc = t.fma(FloatVector.broadcast(F, d), acc);
            offsets += d * xBlockSums[b];
        }
        return Vec.sum(acc) - 8 * offsets;
    }

    /** Lane i shifts byte i of a little-endian word to bit 0: its low nibble (LO), its high nibble (HI). */
    private static final int[] NIBBLE_SHIFTS_LO = {0, 8, 16, 24}, NIBBLE_SHIFTS_HI = {4, 12, 20, 28};

    /**
     * {@link #dotQ4_0} at 128 bits (4 float lanes). Widening 8 bytes to two int vectors by castShape made the body
     * too large for C2's node budget (the final sum then took a boxed vector: 54 MB allocated per decoded token at
     * {@code -XX:MaxVectorSize=16}). Here each 4-byte word is broadcast to the 4 int lanes and shifted by a
     * different amount per lane (vpsrlvd / NEON ushl), one word per trip of a loop whose body C2 parses once.
     */
    private static float dotQ4_0Narrow(MemorySegment s, long row, int nb, float[] x, int xOff) {
        IntVector shiftLo = IntVector.fromArray(Vec.I, NIBBLE_SHIFTS_LO, 0);
        IntVector shiftHi = IntVector.fromArray(Vec.I, NIBBLE_SHIFTS_HI, 0);
        FloatVector acc = FloatVector.zero(F), zero = acc;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int xo = xOff + 32 * b;
            FloatVector s0 = zero, s1 = zero;
            for (int k = 0; k < 16; k += 4) { // bytes k..k+3: elements k..k+3 (low nibbles) and k+16.. (high)
                IntVector w = IntVector.broadcast(Vec.I, s.get(Vec.U32, p + 2 + k));
                FloatVector lo = (FloatVector) w.lanewise(VectorOperators.LSHR, shiftLo).and(0x0F).sub(8)
                        .convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) w.lanewise(VectorOperators.LSHR, shiftHi).and(0x0F).sub(8)
                        .convert(VectorOperators.I2F, 0);
                s0 = lo.fma(FloatVector.fromArray(F, x, xo + k), s0);
                s1 = hi.fma(FloatVector.fromArray(F, x, xo + 16 + k), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, Vec.f16(s, p)), acc);
        }
        return Vec.sum(acc);
    }

    /**
     * Row of Q4_0 as its nibbles (floats) and block scales, for {@link #dotDecodedQ4_0}: unsigned nibbles where
     * {@link #dotQ4_0} keeps the −8 out of the loop, nibble − 8 where {@link #dotQ4_0Narrow} (128 bits) does not.
     */
    static void decodeQ4_0(MemorySegment s, long row, int nb, float[] v, float[] ds) {
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int o = 32 * b;
            ds[b] = Vec.f16(s, p);
            if (PARTS > 1) {
                for (int k = 0; k < 16; k += BN) {
                    ByteVector q = Vec.bytes(s, p + 2 + k);
                    IntVector w = Vec.ipart(q, 0);
                    QuantMath.lo4(w).intoArray(v, o + k);
                    QuantMath.hi4(w).intoArray(v, o + 16 + k);
                    w = Vec.ipart(q, 1);
                    QuantMath.lo4(w).intoArray(v, o + k + L);
                    QuantMath.hi4(w).intoArray(v, o + 16 + k + L);
                }
                continue;
            }
            IntVector w = Vec.uipart(Vec.bytes(s, p + 2));
            QuantMath.lo4u(w).intoArray(v, o);
            QuantMath.hi4u(w).intoArray(v, o + 16);
            if (BN < 16) {
                w = Vec.uipart(Vec.bytes(s, p + 10));
                QuantMath.lo4u(w).intoArray(v, o + 8);
                QuantMath.hi4u(w).intoArray(v, o + 24);
            }
        }
    }

    /** {@link #dotQ4_0} over a row {@link #decodeQ4_0} made: the same operations in the same order (issue 18). */
    static float dotDecodedQ4_0(float[] v, float[] ds, int nb, float[] x, int xOff, float[] xBlockSums) {
        if (PARTS > 1) {
            return dotDecodedQ4_0Narrow(v, ds, nb, x, xOff);
        }
        FloatVector acc = FloatVector.zero(F);
        float offsets = 0;
        for (int b = 0; b < nb; b++) {
            int o = 32 * b;
            int xo = xOff + o;
            float d = ds[b];
            FloatVector t = FloatVector.fromArray(F, v, o).mul(QuantMath.xv(x, xo, 0));
            t = FloatVector.fromArray(F, v, o + 16).fma(QuantMath.xv(x, xo + 16, 0), t);
            if (BN < 16) {
                t = FloatVector.fromArray(F, v, o + 8).fma(QuantMath.xv(x, xo + 8, 0), t);
                t = FloatVector.fromArray(F, v, o + 24).fma(QuantMath.xv(x, xo + 24, 0), t);
            }
            acc = t.fma(FloatVector.broadcast(F, d), acc);
            offsets += d * xBlockSums[b];
        }
        return Vec.sum(acc) - 8 * offsets;
    }

    /** {@link #dotQ4_0Narrow} over a decoded row. */
    private static float dotDecodedQ4_0Narrow(float[] v, float[] ds, int nb, float[] x, int xOff) {
        FloatVector acc = FloatVector.zero(F), zero = acc;
        for (int b = 0; b < nb; b++) {
            int o = 32 * b;
            int xo = xOff + o;
            FloatVector s0 = zero, s1 = zero;
            for (int k = 0; k < 16; k += 4) {
                s0 = FloatVector.fromArray(F, v, o + k).fma(FloatVector.fromArray(F, x, xo + k), s0);
                s1 = FloatVector.fromArray(F, v, o + 16 + k).fma(FloatVector.fromArray(F, x, xo + 16 + k), s1);
            }
            acc = s0.add(s1).fma(FloatVector.broadcast(F, ds[b]), acc);
        }
        return Vec.sum(acc);
    }

    /** Nibbles split in int lanes as in {@link #dotQ4_0} (the byte-lane split compiles to emulated byte shifts). */
    static void dequantQ4_0(MemorySegment s, long row, int nb, float[] out, int o) {
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int ob = o + 32 * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            ByteVector q = Vec.bytes(s, p + 2);
            IntVector w = Vec.ipart(q, 0);
            QuantMath.lo4(w).mul(d).intoArray(out, ob);
            QuantMath.hi4(w).mul(d).intoArray(out, ob + 16);
            if (PARTS > 1) {
                w = Vec.ipart(q, 1);
                QuantMath.lo4(w).mul(d).intoArray(out, ob + L);
                QuantMath.hi4(w).mul(d).intoArray(out, ob + 16 + L);
            }
            if (BN < 16) { // BN = 8: bytes 8..15 (elements 8..15 and 24..31) still to do
                q = Vec.bytes(s, p + 10);
                w = Vec.ipart(q, 0);
                QuantMath.lo4(w).mul(d).intoArray(out, ob + 8);
                QuantMath.hi4(w).mul(d).intoArray(out, ob + 24);
                if (PARTS > 1) {
                    w = Vec.ipart(q, 1);
                    QuantMath.lo4(w).mul(d).intoArray(out, ob + 8 + L);
                    QuantMath.hi4(w).mul(d).intoArray(out, ob + 24 + L);
                }
            }
        }
    }

    // ---- Q4_1: [d f16][m f16][qs u8 x16], 20 bytes; x = d*nibble + m ----
    static float dotQ4_1(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0; // low / high nibbles: two independent chains
        for (int b = 0; b < nb; b++) {
            long p = row + 20L * b;
            int xo = xOff + 32 * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 4 + j);
                a0 = dotNAffine(lo(q), d, m, x, xo + j, a0);
                a1 = dotNAffine(hi(q), d, m, x, xo + 16 + j, a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ4_1(MemorySegment s, long row, int nb, float[] out, int o) {
        for (int b = 0; b < nb; b++) {
            long p = row + 20L * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 4 + j);
                storeN(lo(q), d, m, out, o + 32 * b + j);
                storeN(hi(q), d, m, out, o + 32 * b + 16 + j);
            }
        }
    }

    // ---- Q5_0: [d f16][qh u32][qs u8 x16], 22 bytes; bit j of qh -> element j, bit j+16 -> j+16; x = d*(q-16)
    static float dotQ5_0(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector zero = FloatVector.zero(F), acc = zero;
        for (int b = 0; b < nb; b++) {
            long p = row + 22L * b;
            int xo = xOff + 32 * b;
            int qh = s.get(Vec.U32, p + 2);
            FloatVector sum = zero;
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 6 + j);
                sum = dotN(lo(q).or(fifthBits(qh, j)).sub((byte) 16), x, xo + j, sum);
                sum = dotN(hi(q).or(fifthBits(qh, j + 16)).sub((byte) 16), x, xo + 16 + j, sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, Vec.f16(s, p)), acc);
        }
        return Vec.sum(acc);
    }

    /** Row of Q5_0 as its quants − 16 (floats) and block scales, for {@link #dotDecodedQ5_0}. */
    static void decodeQ5_0(MemorySegment s, long row, int nb, float[] v, float[] ds) {
        for (int b = 0; b < nb; b++) {
            long p = row + 22L * b;
            int qh = s.get(Vec.U32, p + 2);
            ds[b] = Vec.f16(s, p);
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 6 + j);
                storeInts(lo(q).or(fifthBits(qh, j)).sub((byte) 16), v, 32 * b + j);
                storeInts(hi(q).or(fifthBits(qh, j + 16)).sub((byte) 16), v, 32 * b + 16 + j);
            }
        }
    }

    /** {@link #dotQ5_0} over a row {@link #decodeQ5_0} made: the same operations in the same order (issue 18). */
    static float dotDecodedQ5_0(float[] v, float[] ds, int nb, float[] x, int xOff) {
        FloatVector zero = FloatVector.zero(F), acc = zero;
        for (int b = 0; b < nb; b++) {
            int o = 32 * b;
            int xo = xOff + o;
            FloatVector sum = zero;
            for (int j = 0; j < 16; j += BN) {
                sum = dotDecodedN(v, o + j, x, xo + j, sum);
                sum = dotDecodedN(v, o + 16 + j, x, xo + 16 + j, sum);
            }
            acc = sum.fma(FloatVector.broadcast(F, ds[b]), acc);
        }
        return Vec.sum(acc);
    }

    /** QuantMath.dotN over BN decoded values: acc + Σ v[vo+k]·x[xo+k], part by part. */
    private static FloatVector dotDecodedN(float[] v, int vo, float[] x, int xo, FloatVector acc) {
        acc = FloatVector.fromArray(F, v, vo).fma(QuantMath.xv(x, xo, 0), acc);
        if (PARTS > 1) {
            acc = FloatVector.fromArray(F, v, vo + L).fma(QuantMath.xv(x, xo, 1), acc);
        }
        return acc;
    }

    /**
     * The dot of the affine types (Q4_1, Q5_1: {@code half} = 16; Q4_K, Q5_K: 32) over their dequantized weights
     * q·d + m (their {@code dequant*} forms each weight with the very fma their dot does): in every group of
     * 2·half elements the first half chains into a0 and the second into a1, L at a time, as
     * {@link QuantMath#dotNAffine} does in those kernels, so the bits are theirs (issue 18).
     */
    static float dotDecodedAffine(float[] w, int n, int half, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int g = 0; g < n; g += 2 * half) {
            for (int e = g, end = g + half; e < end; e += L) {
                a0 = FloatVector.fromArray(F, w, e).fma(FloatVector.fromArray(F, x, xOff + e), a0);
                a1 = FloatVector.fromArray(F, w, e + half).fma(FloatVector.fromArray(F, x, xOff + e + half), a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ5_0(MemorySegment s, long row, int nb, float[] out, int o) {
        FloatVector zero = FloatVector.zero(F);
        for (int b = 0; b < nb; b++) {
            long p = row + 22L * b;
            int qh = s.get(Vec.U32, p + 2);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 6 + j);
                storeN(lo(q).or(fifthBits(qh, j)).sub((byte) 16), d, zero, out, o + 32 * b + j);
                storeN(hi(q).or(fifthBits(qh, j + 16)).sub((byte) 16), d, zero, out, o + 32 * b + 16 + j);
            }
        }
    }

    // ---- Q5_1: [d f16][m f16][qh u32][qs u8 x16], 24 bytes; x = d*q + m ----
    static float dotQ5_1(MemorySegment s, long row, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 24L * b;
            int xo = xOff + 32 * b;
            int qh = s.get(Vec.U32, p + 4);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 8 + j);
                a0 = dotNAffine(lo(q).or(fifthBits(qh, j)), d, m, x, xo + j, a0);
                a1 = dotNAffine(hi(q).or(fifthBits(qh, j + 16)), d, m, x, xo + 16 + j, a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    static void dequantQ5_1(MemorySegment s, long row, int nb, float[] out, int o) {
        for (int b = 0; b < nb; b++) {
            long p = row + 24L * b;
            int qh = s.get(Vec.U32, p + 4);
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            FloatVector m = FloatVector.broadcast(F, Vec.f16(s, p + 2));
            for (int j = 0; j < 16; j += BN) {
                ByteVector q = Vec.bytes(s, p + 8 + j);
                storeN(lo(q).or(fifthBits(qh, j)), d, m, out, o + 32 * b + j);
                storeN(hi(q).or(fifthBits(qh, j + 16)), d, m, out, o + 32 * b + 16 + j);
            }
        }
    }
}
