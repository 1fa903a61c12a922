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
import static dev.lfm2vl.kernels.Vec.PARTS;

import dev.lfm2vl.loader.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector kernels for the 256-element super-blocks Q4_K, Q5_K, Q6_K (docs/MODEL.md §2.4, pitfall 2). The Q4_K and
 * Q6_K dots unpack a row's scales once into a float table ({@link #scaleTable}); the others unpack them with scalar
 * code per sub-block. Quants are decoded BN bytes at a time. One method per type and mode keeps each compile unit
 * inside C2's inlining budget (see {@link QuantMath}).
 *
 * <p>Q4_K / Q5_K: chunk c (64 elements) = low nibbles of qs[32c..32c+31] (sub-block 2c) then high nibbles
 * (2c+1); Q5_K adds bit 2c / 2c+1 of qh[l]. Q6_K: for half n and l = 0..31, ql[64n+l] / ql[64n+l+32] low
 * nibbles are elements 128n+l / +32, their high nibbles +64 / +96, with 2-bit highs from qh[32n+l] bits
 * 0-1, 2-3, 4-5, 6-7; scale index = element / 16.
 */
final class KQuantKernels {
    private KQuantKernels() {}

    private static final VectorSpecies<Integer> I128 = IntVector.SPECIES_128;
    /**
     * BN-byte pieces per trip of the super-block loops: two where one piece is one float vector (256 and 512 bits),
     * so the scalar work of a trip (addresses, scale loads) is shared; one at 128 bits, where a piece already
     * feeds two float vectors (C2's node budget, docs/JIT.md rule 2).
     */
    private static final int PIECES = PARTS == 1 ? 2 : 1;
    /**
     * The 2L bytes a {@link #dotQ6K} trip takes from a ql row and from a qh row, as int lanes (two float vectors);
     * 256 and 512 bits only (128 bits runs {@code dotQ6KNarrow}).
     */
    private static final VectorSpecies<Integer> Q6_WORDS = VectorSpecies.of(int.class, VectorShape.forBitSize(2 * L * 8));

    /**
     * Per calling thread: 16 floats per super-block of the row a dot is on (grown, never shrunk). Q4_K: d·scale of
     * sub-blocks 0..7, then −dmin·min of sub-blocks 0..7; Q6_K: d/4·scales[0..15] ({@link #scaleTable}). L more
     * floats after the row's take {@link #dotQ6K}'s lanes for its final sum.
     */
    private static final ThreadLocal<float[]> SCALES = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] scales(int nb) {
        float[] t = SCALES.get();
        if (t.length < 16 * nb + L) {
            t = new float[16 * nb + L];
            SCALES.set(t);
        }
        return t;
    }

    /** Lanes of the packed scale words that take s1 (the mins) rather than s0. */
    private static final boolean[] Q4K_MIN_LANES = {false, false, true, true};
    private static final int[] Q4K_SHIFT_A = {0, 2, 0, 2}, Q4K_SHIFT_B = {0, 0, 0, 4};
    private static final int[] Q4K_MASK_A = {0x3F3F_3F3F, 0x3030_3030, 0x3F3F_3F3F, 0x3030_3030};
    private static final int[] Q4K_MASK_B = {0, 0x0F0F_0F0F, 0, 0x0F0F_0F0F};

    /**
     * The {@link #SCALES} table of a row of {@code type} (Q4_K or Q6_K), for its dot:
     *
     * <p>Q4_K: per super-block d·scale[0..7] then −dmin·min[0..7]. The 12 packed bytes (three little-endian ints
     * s0, s1, s2) are unpacked four at a time in int lanes (get_scale_min_k4 of docs/MODEL.md §2.4, as llama.cpp's
     * SIMD dots do): the lanes become scales 0-3 (s0 & 0x3F..), scales 4-7 (s2 & 0x0F.. | (s0 >> 2) & 0x30..),
     * mins 0-3 (s1 & 0x3F..) and mins 4-7 ((s2 >> 4) & 0x0F.. | (s1 >> 2) & 0x30..); then the 16 bytes become
     * floats times d or −dmin (at 128 bits scalar code unpacks them one by one). The products are the ones
     * {@link #dequantQ4K} forms.
     *
     * <p>Q6_K: per super-block the 16 products d/4 · scales[j] (exact: an F16 times a power of two times an int8),
     * 16 bytes widened to floats at once at 512 bits, one by one below.
     *
     * <p>JIT note: one method for both types keeps its bytecode above C2's FreqInlineSize (325 bytes), so the dots
     * call it instead of inlining it: inlined, its vector code took 7,700 of the dot's ~18,000-node budget at 256
     * bits (NodeCountInliningCutoff), and the dot's own loop then fell back to allocating vectors (docs/JIT.md,
     * rule 2; DecodeAllocationTest). Nothing vector-typed crosses the call. Its own budget holds one or two widening
     * parts per type (checked at 512, 256 and 128 bits and on AVX2 by DecodeAllocationTest), hence the scalar
     * forms at the narrower widths.
     */
    private static float[] scaleTable(GgmlType type, MemorySegment s, long row, int nb) {
        float[] t = scales(nb);
        if (type == GgmlType.Q4_K && L >= 8) {
            VectorMask<Integer> minLanes = VectorMask.fromArray(I128, Q4K_MIN_LANES, 0);
            IntVector shiftA = IntVector.fromArray(I128, Q4K_SHIFT_A, 0), shiftB = IntVector.fromArray(I128, Q4K_SHIFT_B, 0);
            IntVector maskA = IntVector.fromArray(I128, Q4K_MASK_A, 0), maskB = IntVector.fromArray(I128, Q4K_MASK_B, 0);
            VectorMask<Float> mins = VectorMask.fromLong(F, 0xFF00L); // L = 16: lanes 8..15 are the mins
            for (int b = 0; b < nb; b++) {
                long p = row + 144L * b;
                float d = Vec.f16(s, p), dmin = Vec.f16(s, p + 2);
                // (s0, s0, s1, s1) and s2 in every lane; VectorShuffle.fromArray would allocate (not an intrinsic)
                IntVector a = IntVector.broadcast(I128, s.get(Vec.U32, p + 4)).blend(s.get(Vec.U32, p + 8), minLanes);
                IntVector s2 = IntVector.broadcast(I128, s.get(Vec.U32, p + 12));
                ByteVector packed = a.lanewise(VectorOperators.LSHR, shiftA).and(maskA)
                        .or(s2.lanewise(VectorOperators.LSHR, shiftB).and(maskB)).reinterpretAsBytes();
                int o = 16 * b;
                FloatVector dv = FloatVector.broadcast(F, d), mv = FloatVector.broadcast(F, -dmin);
                if (L == 16) {
                    Vec.part(packed, 0).mul(dv.blend(mv, mins)).intoArray(t, o);
                } else {
                    Vec.part(packed, 0).mul(dv).intoArray(t, o);
                    Vec.part(packed, 1).mul(mv).intoArray(t, o + 8);
                }
            }
        } else if (type == GgmlType.Q4_K) { // 128 bits: four widening parts passed C2's node budget here (boxed)
            for (int b = 0; b < nb; b++) {
                long p = row + 144L * b;
                float d = Vec.f16(s, p), dmin = Vec.f16(s, p + 2);
                int s0 = s.get(Vec.U32, p + 4), s1 = s.get(Vec.U32, p + 8), s2 = s.get(Vec.U32, p + 12);
                for (int j = 0; j < 8; j++) {
                    t[16 * b + j] = d * QuantMath.scaleMin(s0, s1, s2, j, 0);
                    t[16 * b + 8 + j] = -dmin * QuantMath.scaleMin(s0, s1, s2, j, 1);
                }
            }
        } else if (L == 16) {
            for (int b = 0; b < nb; b++) {
                long p = row + 210L * b;
                FloatVector d = FloatVector.broadcast(F, 0.25f * Vec.f16(s, p + 208));
                Vec.part(ByteVector.fromMemorySegment(ByteVector.SPECIES_128, s, p + 192, Vec.LE), 0).mul(d).intoArray(t, 16 * b);
            }
        } else { // narrower: the widening parts passed C2's node budget in this method at 256 bits (boxed)
            for (int b = 0; b < nb; b++) {
                long p = row + 210L * b;
                float d = 0.25f * Vec.f16(s, p + 208);
                for (int j = 0; j < 16; j++) {
                    t[16 * b + j] = d * s.get(ValueLayout.JAVA_BYTE, p + 192 + j);
                }
            }
        }
        return t;
    }

    /**
     * The scales and mins are unpacked once per row into a float table ({@link #scaleTable}), and the loops run as
     * in {@link #dotQ6K}: the position inside the super-block outside, the super-blocks inside (addresses linear in
     * the counter: no bounds check per access, no scalar unpacking between the vector operations). A trip takes
     * PIECES BN-byte pieces, sharing its address arithmetic and the four scale broadcasts. Nibbles are split in
     * byte lanes, the high ones by an int-lane shift (x86 has no byte shift), then widened. Each weight is the fma
     * q·(d·scale) + (−dmin·min), exactly what {@link #dequantQ4K} writes, so {@link #dotDecodedQ4K} over that row
     * gives the same bits (batch invariance, issue 18): the low nibbles of piece 0 chain into a0, its high ones into
     * a1, piece 1's into a2 and a3, in this loop order.
     *
     * <p>Before issue 16 the loop ran super-block by super-block with the scales unpacked per 64 weights by scalar
     * code and a segment bounds check per load: 284 instructions per 64 weights in C2's loop, now 52 (512 bits).
     */
    static float dotQ4K(MemorySegment s, long row, int nb, float[] x, int xOff) {
        if (PARTS > 1) { // folded at parse time: one of the two bodies is compiled
            return dotQ4KNarrow(s, row, nb, x, xOff);
        }
        float[] t = scaleTable(GgmlType.Q4_K, s, row, nb);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int steps = 32 / (PIECES * BN);
        for (int unit = 0; unit < 4 * steps; unit++) {
            int c = unit / steps, l = (unit % steps) * PIECES * BN;
            long qOff = 16 + 32L * c + l;
            int xo = xOff + 64 * c + l;
            for (int b = 0; b < nb; b++) {
                int k = xo + 256 * b, sc = 16 * b + 2 * c;
                long p = row + 144L * b + qOff;
                FloatVector d0 = FloatVector.broadcast(F, t[sc]), m0 = FloatVector.broadcast(F, t[sc + 8]);
                FloatVector d1 = FloatVector.broadcast(F, t[sc + 1]), m1 = FloatVector.broadcast(F, t[sc + 9]);
                // high nibbles: an int-lane shift (x86 has no byte shift) and a mask per byte, written out here (a
                // vector helper compiled on its own can be refused inlining later, see dotQ6K)
                ByteVector q = Vec.bytes(s, p);
                a0 = dotNAffine(lo(q), d0, m0, x, k, a0);
                a1 = dotNAffine(q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x0F0F_0F0F).reinterpretAsBytes(),
                        d1, m1, x, k + 32, a1);
                if (PIECES > 1) {
                    q = Vec.bytes(s, p + BN);
                    a2 = dotNAffine(lo(q), d0, m0, x, k + BN, a2);
                    a3 = dotNAffine(q.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).and(0x0F0F_0F0F).reinterpretAsBytes(),
                            d1, m1, x, k + BN + 32, a3);
                }
            }
        }
        return PIECES > 1 ? Vec.sum(a0.add(a1).add(a2.add(a3))) : Vec.sum(a0.add(a1));
    }

    /**
     * {@link #dotQ4K} at 128 bits (4 float lanes), where a BN-byte load feeds two float vectors: that body passed
     * C2's node budget and allocated boxed vectors (3.9 MB per 640x256 mat-vec at {@code -XX:MaxVectorSize=16}; the
     * kernel before issue 16 allocated 0.5 MB). As {@code Block32Kernels.dotQ4_0Narrow} does, each 4-byte word is
     * broadcast to the 4 int lanes and shifted by a different amount per lane, 4 bytes per pass.
     */
    private static float dotQ4KNarrow(MemorySegment s, long row, int nb, float[] x, int xOff) {
        float[] t = scaleTable(GgmlType.Q4_K, s, row, nb);
        IntVector shiftLo = IntVector.fromArray(Vec.I, Block32Kernels.NIBBLE_SHIFTS_LO, 0);
        IntVector shiftHi = IntVector.fromArray(Vec.I, Block32Kernels.NIBBLE_SHIFTS_HI, 0);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int unit = 0; unit < 32; unit++) {
            int c = unit >> 3, l = (unit & 7) * 4;
            long qOff = 16 + 32L * c + l;
            int xo = xOff + 64 * c + l;
            for (int b = 0; b < nb; b++) {
                int k = xo + 256 * b, sc = 16 * b + 2 * c;
                IntVector w = IntVector.broadcast(Vec.I, s.get(Vec.U32, row + 144L * b + qOff));
                FloatVector lo = (FloatVector) w.lanewise(VectorOperators.LSHR, shiftLo).and(0x0F).convert(VectorOperators.I2F, 0);
                FloatVector hi = (FloatVector) w.lanewise(VectorOperators.LSHR, shiftHi).and(0x0F).convert(VectorOperators.I2F, 0);
                a0 = lo.fma(FloatVector.broadcast(F, t[sc]), FloatVector.broadcast(F, t[sc + 8]))
                        .fma(FloatVector.fromArray(F, x, k), a0);
                a1 = hi.fma(FloatVector.broadcast(F, t[sc + 1]), FloatVector.broadcast(F, t[sc + 9]))
                        .fma(FloatVector.fromArray(F, x, k + 32), a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /**
     * {@link #dotQ4K} (or {@link #dotQ4KNarrow}) over the row {@link #dequantQ4K} wrote: the same fmas in the same
     * order (issue 18). A pass covers {@code w} bytes of quants: one L-float piece at 128 bits, PIECES pieces above.
     */
    static float dotDecodedQ4K(float[] w, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int width = PARTS > 1 ? L : PIECES * L, steps = 32 / width;
        for (int unit = 0; unit < 4 * steps; unit++) {
            int e0 = 64 * (unit / steps) + (unit % steps) * width;
            for (int b = 0; b < nb; b++) {
                int e = e0 + 256 * b;
                a0 = FloatVector.fromArray(F, w, e).fma(FloatVector.fromArray(F, x, xOff + e), a0);
                a1 = FloatVector.fromArray(F, w, e + 32).fma(FloatVector.fromArray(F, x, xOff + e + 32), a1);
                if (width > L) {
                    a2 = FloatVector.fromArray(F, w, e + L).fma(FloatVector.fromArray(F, x, xOff + e + L), a2);
                    a3 = FloatVector.fromArray(F, w, e + L + 32).fma(FloatVector.fromArray(F, x, xOff + e + L + 32), a3);
                }
            }
        }
        return PARTS > 1 ? Vec.sum(a0.add(a1)) : Vec.sum(a0.add(a1).add(a2.add(a3)));
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

    /**
     * For half n and column l, ql[64n + 32h + l] holds quarter h (h = 0, 1) in its low nibble and quarter h + 2 in
     * its high one; qh[32n + l] holds the two high bits of quarter k at bits 2k; the scale of quarter k at l is
     * scales[8n + 2k + l/16]. One loop trip takes 2L bytes of a ql row and 2L of the qh row and makes both quarters
     * of them: 4L weights from two loads, into four accumulators (two quarters, two float vectors each) whose FMA
     * chains run side by side. At 256 and 512 bits; 128 bits keeps the former body ({@link #dotQ6KNarrow}).
     *
     * <p>Each quant q is formed as the signed byte 4·(q − 32) while its bytes are still packed (issue 16): the nibble
     * moved to bits 2-5 and the two qh bits to bits 6-7, in the bytes' int lanes, where x86 has shifts (it has no
     * byte shift; bits crossing into a neighbouring byte are masked off). Flipping bit 7 makes the unsigned 4·q the
     * signed 4·q − 128 = 4·(q − 32); it is flipped once per trip in the qh bytes (bit 1 of every 2-bit field, the
     * bit that lands on bit 7), not once per quarter. These are operations on 2L bytes in place of 4L-lane ones on
     * the widened lanes, and the − 32 needs no operation; the 1/4 is in the scale table (exact: powers of two), so
     * the products are those of (q − 32)·d·scale.
     *
     * <p>C2's node budget (docs/JIT.md, rule 2): the loop body calls the Vector API only (its methods are
     * force-inlined, which NodeCountInliningCutoff does not stop), never a helper of ours: a helper past the cutoff
     * is called instead of inlined, and vectors then cross the call boxed. Measured with -XX:+LogCompilation in
     * DecodeAllocationTest: the body parses to ~30,000 nodes and a body with two more quarters still inlined
     * whole; what the cutoff stops is the final {@code Vec.sum}, so the lanes go through the table's spare floats
     * ({@link #scales}) and a scalar sum. The former body took two quarters of L bytes from three loads (52
     * instructions per 32 weights at 512 bits); this one is 1.4x faster on 2048-wide rows, 1.15x on 10752-wide
     * ones and 1.2-1.35x from DRAM (one core, same-machine A/B).
     *
     * <p>Loop order: the column position inside a super-block outside, the super-blocks inside, so every address
     * in the inner loop is linear in its counter and C2 drops its bounds checks (a row of the 2048-wide output head
     * is 1.7 KB: the passes over it hit L1). A single flat loop deriving block, pass and column from one counter
     * with divisions kept a bounds check per access: 1.15x slower on one core (same-JVM A/B); nested loops of 4
     * trips each were slower still (C2's range-check set-up per 32 elements), and so were chunks of 4 super-blocks
     * per pass. The 16 products d·scale of each super-block are computed once per row into a per-thread table
     * instead of once per pass: 1.10x more on a mapped segment.
     */
    static float dotQ6K(MemorySegment s, long row, int nb, float[] x, int xOff) {
        if (PARTS > 1) { // folded at parse time: one of the two bodies is compiled
            return dotQ6KNarrow(s, row, nb, x, xOff);
        }
        float[] ds = scaleTable(GgmlType.Q6_K, s, row, nb);
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        IntVector nibbleBits = IntVector.broadcast(Q6_WORDS, 0x3C3C_3C3C), highBits = IntVector.broadcast(Q6_WORDS, 0xC0C0_C0C0);
        IntVector signFlip = IntVector.broadcast(Q6_WORDS, 0xAAAA_AAAA);
        int steps = 16 / L; // 2L columns per pass
        for (int unit = 0; unit < 4 * steps; unit++) {
            int nh = unit / steps, l = (unit % steps) * 2 * L;
            int n = nh >> 1, half = nh & 1;
            int loShift = 6 - 2 * half, hiShift = 2 - 2 * half;
            long p = row + 64L * n + 32 * half + l, ph = row + 128 + 32L * n + l;
            int k = xOff + 128 * n + 32 * half + l, t = 8 * n + 2 * half + l / 16;
            for (int b = 0; b < nb; b++, p += 210, ph += 210, k += 256, t += 16) {
                IntVector h = IntVector.fromMemorySegment(Q6_WORDS, s, ph, Vec.LE).lanewise(VectorOperators.XOR, signFlip);
                IntVector ql = IntVector.fromMemorySegment(Q6_WORDS, s, p, Vec.LE);
                ByteVector lo = ql.lanewise(VectorOperators.LSHL, 2).and(nibbleBits)
                        .or(h.lanewise(VectorOperators.LSHL, loShift).and(highBits)).reinterpretAsBytes();
                ByteVector hi = ql.lanewise(VectorOperators.LSHR, 2).and(nibbleBits)
                        .or(h.lanewise(VectorOperators.LSHL, hiShift).and(highBits)).reinterpretAsBytes();
                a0 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, k)).fma(FloatVector.broadcast(F, ds[t]), a0);
                a1 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, k + L)).fma(FloatVector.broadcast(F, ds[t + L / 16]), a1);
                a2 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, k + 64)).fma(FloatVector.broadcast(F, ds[t + 4]), a2);
                a3 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, k + 64 + L)).fma(FloatVector.broadcast(F, ds[t + 4 + L / 16]), a3);
            }
        }
        a0.add(a1).add(a2.add(a3)).intoArray(ds, 16 * nb);
        return Vec.sum(ds, 16 * nb);
    }

    /**
     * {@link #dotQ6K} at 128 bits: two quarters of L bytes per trip, from three loads (the body before issue 16's
     * four-quarter trip). The four-quarter body with its 64-bit species passed the test suite at 128 bits twice and
     * then allocated 91 MB per decoded Q6_K token in a third full run (DecodeAllocationTest, vector-128 execution):
     * C2 compiled it in a form that boxed. This body has run allocation-free at 128 bits in every run since issue 18.
     * A BN-byte load feeds two float vectors here; taking only its first part (and loading again 4 bytes on) keeps one
     * part per body: the last load of a ql or qh row reads 4 bytes past it, still inside the 210-byte super-block.
     */
    private static float dotQ6KNarrow(MemorySegment s, long row, int nb, float[] x, int xOff) {
        float[] ds = scaleTable(GgmlType.Q6_K, s, row, nb);
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int steps = 32 / L;
        for (int unit = 0; unit < 4 * steps; unit++) {
            int nr = unit / steps, l = (unit % steps) * L;
            int n = nr >> 1, r = nr & 1;
            long qlOff = 64L * n + l, hOff = 128 + 32L * n + l;
            int sc = 8 * n + 4 * r + l / 16;
            int xo = xOff + 128 * n + 64 * r + l;
            int ns = 4 * r, h0 = 6 - 4 * r, h1 = 4 - 4 * r;
            for (int b = 0; b < nb; b++) {
                long p = row + 210L * b;
                int k = xo + 256 * b;
                IntVector h = Vec.words(s, p + hOff);
                ByteVector q0 = Vec.words(s, p + qlOff).lanewise(VectorOperators.LSHR, ns).lanewise(VectorOperators.LSHL, 2)
                        .and(0x3C3C_3C3C).or(h.lanewise(VectorOperators.LSHL, h0).and(0xC0C0_C0C0))
                        .lanewise(VectorOperators.XOR, 0x8080_8080).reinterpretAsBytes();
                ByteVector q1 = Vec.words(s, p + qlOff + 32).lanewise(VectorOperators.LSHR, ns).lanewise(VectorOperators.LSHL, 2)
                        .and(0x3C3C_3C3C).or(h.lanewise(VectorOperators.LSHL, h1).and(0xC0C0_C0C0))
                        .lanewise(VectorOperators.XOR, 0x8080_8080).reinterpretAsBytes();
                a0 = Vec.part(q0, 0).mul(FloatVector.fromArray(F, x, k)).fma(FloatVector.broadcast(F, ds[16 * b + sc]), a0);
                a1 = Vec.part(q1, 0).mul(FloatVector.fromArray(F, x, k + 32)).fma(FloatVector.broadcast(F, ds[16 * b + sc + 2]), a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /**
     * Row of Q6_K as 4·(quant − 32) in element order (floats) and the 16 products d·scale/4 of each super-block: the
     * values {@link #dotQ6K} multiplies, for {@link #dotDecodedQ6K}.
     */
    static void decodeQ6K(MemorySegment s, long row, int nb, float[] v, float[] ds) {
        for (int b = 0; b < nb; b++) {
            long p = row + 210L * b;
            float d = 0.25f * Vec.f16(s, p + 208);
            for (int j = 0; j < 16; j++) {
                ds[16 * b + j] = d * s.get(ValueLayout.JAVA_BYTE, p + 192 + j);
            }
            for (int e = 0; e < 256; e += BN) {
                int n = e >> 7, quarter = (e >> 5) & 3, l = e & 31;
                ByteVector q = Vec.words(s, p + 64L * n + 32 * (quarter & 1) + l).lanewise(VectorOperators.LSHR, 4 * (quarter >> 1))
                        .lanewise(VectorOperators.LSHL, 2).and(0x3C3C_3C3C)
                        .or(Vec.words(s, p + 128 + 32L * n + l).lanewise(VectorOperators.LSHL, 6 - 2 * quarter).and(0xC0C0_C0C0))
                        .lanewise(VectorOperators.XOR, 0x8080_8080).reinterpretAsBytes();
                QuantMath.storeInts(q, v, 256 * b + e); // 4·(q − 32), as dotQ6K forms it
            }
        }
    }

    /** {@link #dotQ6K} over a row {@link #decodeQ6K} made: the same passes, operations and order (issue 18). */
    static float dotDecodedQ6K(float[] v, float[] ds, int nb, float[] x, int xOff) {
        if (PARTS > 1) {
            return dotDecodedQ6KNarrow(v, ds, nb, x, xOff);
        }
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int steps = 16 / L;
        for (int unit = 0; unit < 4 * steps; unit++) {
            int nh = unit / steps, l = (unit % steps) * 2 * L;
            int n = nh >> 1, half = nh & 1;
            int e = 128 * n + 32 * half + l, t = 8 * n + 2 * half + l / 16;
            for (int b = 0; b < nb; b++, e += 256, t += 16) {
                a0 = timesX(v, e, x, xOff).fma(FloatVector.broadcast(F, ds[t]), a0);
                a1 = timesX(v, e + L, x, xOff).fma(FloatVector.broadcast(F, ds[t + L / 16]), a1);
                a2 = timesX(v, e + 64, x, xOff).fma(FloatVector.broadcast(F, ds[t + 4]), a2);
                a3 = timesX(v, e + 64 + L, x, xOff).fma(FloatVector.broadcast(F, ds[t + 4 + L / 16]), a3);
            }
        }
        return Vec.sum(a0.add(a1).add(a2.add(a3)));
    }

    /** {@link #dotQ6KNarrow} over a decoded row: its passes, operations and order (128 bits). */
    private static float dotDecodedQ6KNarrow(float[] v, float[] ds, int nb, float[] x, int xOff) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        int steps = 32 / L;
        for (int unit = 0; unit < 4 * steps; unit++) {
            int nr = unit / steps, l = (unit % steps) * L;
            int n = nr >> 1, r = nr & 1;
            int sc = 8 * n + 4 * r + l / 16;
            int e0 = 128 * n + 64 * r + l;
            for (int b = 0; b < nb; b++) {
                int e = e0 + 256 * b;
                a0 = timesX(v, e, x, xOff).fma(FloatVector.broadcast(F, ds[16 * b + sc]), a0);
                a1 = timesX(v, e + 32, x, xOff).fma(FloatVector.broadcast(F, ds[16 * b + sc + 2]), a1);
            }
        }
        return Vec.sum(a0.add(a1));
    }

    /** v[e ..] · x[xOff + e ..], L lanes. */
    private static FloatVector timesX(float[] v, int e, float[] x, int xOff) {
        return FloatVector.fromArray(F, v, e).mul(FloatVector.fromArray(F, x, xOff + e));
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
