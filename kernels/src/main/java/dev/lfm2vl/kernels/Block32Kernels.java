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
     * Each weight is formed as the float d·q (exact: an 8-bit integer times an F16 scale needs at most 19 significant
     * bits) and FMA'd with x into one of two accumulators: the BN-element pieces of a block alternate between them,
     * so each chain takes one FMA per block at 512 bits (two at 256). The same weights can then be shared by several
     * activation vectors with one FMA each ({@link Block32BatchKernels#dotQ8_0x4}, the same operations in the same
     * order per vector), which is what makes the batched decode of issue 18 cheaper than N single ones.
     * {@code ScalarBlock32Dots} in the tests is the scalar twin, lane by lane.
     *
     * <p>History: the kernel before issue 18 summed q·x per block and applied d once per block (one multiply fewer
     * per piece); the same instruction count per block, but its per-vector work could not be shared.
     */
    static float dotQ8_0(MemorySegment s, long row, int nb, float[] x, int xOff) {
        if (PARTS > 1) { // folded at parse time: one of the two bodies is compiled
            return dotQ8_0Narrow(s, row, nb, x, xOff);
        }
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector d = FloatVector.broadcast(F, Vec.f16(s, p));
            for (int j = 0; j < 32; j += 2 * BN) { // one trip at 512 bits, two at 256
                FloatVector w0 = Vec.part(Vec.bytes(s, p + 2 + j), 0).mul(d);
                FloatVector w1 = Vec.part(Vec.bytes(s, p + 2 + j + BN), 0).mul(d);
                a0 = w0.fma(QuantMath.xv(x, xo + j, 0), a0);
                a1 = w1.fma(QuantMath.xv(x, xo + j + BN, 0), a1);
            }
        }
        return Vec.sum(a0.add(a1));
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

    /** Row of Q8_0 as its quants (floats) and block scales, for {@link #dotDecodedQ8_0Narrow} (see DecodedRow). */
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
     * {@link #dotQ8_0Narrow} over a row {@link #decodeQ8_0} made: the same operations in the same order on the same
     * values, so the same bits (MatVec.matVecBatch at 128 bits; batch invariance, issue 18).
     */
    static float dotDecodedQ8_0Narrow(float[] v, float[] ds, int nb, float[] x, int xOff) {
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
    /** n − 8 for each nibble value n: the 16 weights of a Q4_0 block are this times d (512 bits: one vector). */
    static final float[] NIBBLE_MINUS_8 = {-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7};

    /**
     * Nibbles are split in int lanes (vpmovzxbd, then a mask for the low and a shift for the high nibble, all
     * native on AVX2 and NEON) instead of byte lanes (x86 has no byte shift: C2 emulates it with widen/shift/pack).
     * Each weight is formed as the float d·(n − 8), exact (a 4-bit integer times an F16 scale), and FMA'd with x: low
     * nibbles (elements 0..15) into one accumulator, high nibbles (16..31) into the other. At 512 bits the weights are
     * looked up: the block's 16 possible weights (n − 8)·d are one vector, and each nibble selects its lane (one
     * vpermd per 16 weights, in place of a conversion and an FMA); at 256 bits each is n·d + (−8d), one FMA after
     * the conversion. Both give the same exact value. The weights can be shared by several activation vectors with
     * one FMA each ({@link Block32BatchKernels#dotQ4_0x4}, the same additions in the same order per vector: batch
     * invariance, issue 18). {@code ScalarBlock32Dots} in the tests is the scalar twin, lane by lane.
     *
     * <p>History: before issue 18 the −8 left the loop through per-block sums of x (d·Σ n·x − 8·d·Σ x) and d was
     * applied once per block; that form could not share its per-vector work between vectors.
     */
    static float dotQ4_0(MemorySegment s, long row, int nb, float[] x, int xOff) {
        if (PARTS > 1) { // folded at parse time: one of the two bodies is compiled
            return dotQ4_0Narrow(s, row, nb, x, xOff);
        }
        FloatVector nibbleMinus8 = FloatVector.fromArray(F, NIBBLE_MINUS_8, 0); // L = 16 only (no other width reads it)
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int xo = xOff + 32 * b;
            float d = Vec.f16(s, p);
            for (int k = 0; k < 16; k += BN) { // one trip at 512 bits; at 256 bytes 0..7, then 8..15
                IntVector q = Vec.uipart(Vec.bytes(s, p + 2 + k));
                FloatVector lo, hi;
                if (L == 16) {
                    IntVector w = nibbleMinus8.mul(d).reinterpretAsInts();
                    lo = q.and(0x0F).selectFrom(w).reinterpretAsFloats();
                    hi = q.lanewise(VectorOperators.LSHR, 4).selectFrom(w).reinterpretAsFloats();
                } else {
                    FloatVector dv = FloatVector.broadcast(F, d), m8d = FloatVector.broadcast(F, -8 * d);
                    lo = QuantMath.lo4u(q).fma(dv, m8d);
                    hi = QuantMath.hi4u(q).fma(dv, m8d);
                }
                a0 = lo.fma(QuantMath.xv(x, xo + k, 0), a0);
                a1 = hi.fma(QuantMath.xv(x, xo + 16 + k, 0), a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /**
     * Lane i shifts byte i of a little-endian word to bit 0: its low nibble (LO), its high nibble (HI). Also read by
     * {@code KQuantKernels.dotQ4KNarrow}, which splits Q4_K nibbles the same way at 128 bits.
     */
    static final int[] NIBBLE_SHIFTS_LO = {0, 8, 16, 24}, NIBBLE_SHIFTS_HI = {4, 12, 20, 28};

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

    /** Row of Q4_0 as its nibbles − 8 (floats) and block scales, for {@link #dotDecodedQ4_0Narrow} (128 bits). */
    static void decodeQ4_0(MemorySegment s, long row, int nb, float[] v, float[] ds) {
        for (int b = 0; b < nb; b++) {
            long p = row + 18L * b;
            int o = 32 * b;
            ds[b] = Vec.f16(s, p);
            for (int k = 0; k < 16; k += BN) {
                ByteVector q = Vec.bytes(s, p + 2 + k);
                IntVector w = Vec.ipart(q, 0);
                QuantMath.lo4(w).intoArray(v, o + k);
                QuantMath.hi4(w).intoArray(v, o + 16 + k);
                if (PARTS > 1) {
                    w = Vec.ipart(q, 1);
                    QuantMath.lo4(w).intoArray(v, o + k + L);
                    QuantMath.hi4(w).intoArray(v, o + 16 + k + L);
                }
            }
        }
    }

    /**
     * {@link #dotQ4_0Narrow} over a row {@link #decodeQ4_0} made: the same operations in the same order (MatVec.matVecBatch
     * at 128 bits; issue 18).
     */
    static float dotDecodedQ4_0Narrow(float[] v, float[] ds, int nb, float[] x, int xOff) {
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

    /**
     * Nibbles split in int lanes as in {@link #dotQ4_0} (the byte-lane split compiles to emulated byte shifts). At 512
     * bits the weights are looked up in the block's table of (n − 8)·d as the dot does: 6 vector operations per block
     * instead of 10, the same exact values (MatMul dequantizes every weight once per call, issue 16).
     */
    static void dequantQ4_0(MemorySegment s, long row, int nb, float[] out, int o) {
        if (L == 16) {
            FloatVector nibbleMinus8 = FloatVector.fromArray(F, NIBBLE_MINUS_8, 0);
            for (int b = 0; b < nb; b++) {
                long p = row + 18L * b;
                IntVector q = Vec.uipart(Vec.bytes(s, p + 2));
                IntVector w = nibbleMinus8.mul(Vec.f16(s, p)).reinterpretAsInts();
                q.and(0x0F).selectFrom(w).reinterpretAsFloats().intoArray(out, o + 32 * b);
                q.lanewise(VectorOperators.LSHR, 4).selectFrom(w).reinterpretAsFloats().intoArray(out, o + 32 * b + 16);
            }
            return;
        }
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
