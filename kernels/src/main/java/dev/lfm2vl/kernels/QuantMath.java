package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.BN;
import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;
import static dev.lfm2vl.kernels.Vec.PARTS;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Building blocks for the quantized kernels: a BN-byte vector of small integers q (one per element) combined
 * with BN activations or written out as BN floats.
 *
 * <p>JIT notes (measured on JDK 25 C2): (1) castShape needs literal part numbers, hence the PARTS tests
 * (static final, folded at parse time) instead of a loop; (2) C2 stops inlining once a method's parse
 * reaches ~18000 nodes (NodeCountInliningCutoff) and each Vector API op costs hundreds of nodes before its
 * intrinsic collapses, so kernels keep few ops per loop body and loop over BN-byte pieces instead of
 * unrolling by hand; a vector op left un-inlined falls back to allocating Java code (~20x slower);
 * (3) vectors and shuffles held in static final fields were several times slower than locals.
 */
final class QuantMath {
    private QuantMath() {}

    static FloatVector xv(float[] x, int xo, int p) {
        return FloatVector.fromArray(F, x, xo + p * L);
    }

    /** acc + Σ_k q[k]·x[xo+k] for k < BN. */
    static FloatVector dotN(ByteVector q, float[] x, int xo, FloatVector acc) {
        acc = Vec.part(q, 0).fma(xv(x, xo, 0), acc);
        if (PARTS > 1) {
            acc = Vec.part(q, 1).fma(xv(x, xo, 1), acc);
        }
        return acc;
    }

    /** acc + Σ_k (q[k]·d + m)·x[xo+k] for k < BN: blocks with a min term (Q4_1, Q5_1, Q4_K, Q5_K). */
    static FloatVector dotNAffine(ByteVector q, FloatVector d, FloatVector m, float[] x, int xo, FloatVector acc) {
        acc = Vec.part(q, 0).fma(d, m).fma(xv(x, xo, 0), acc);
        if (PARTS > 1) {
            acc = Vec.part(q, 1).fma(d, m).fma(xv(x, xo, 1), acc);
        }
        return acc;
    }

    /** out[o+k] = q[k]·d + m for k < BN. */
    static void storeN(ByteVector q, FloatVector d, FloatVector m, float[] out, int o) {
        Vec.part(q, 0).fma(d, m).intoArray(out, o);
        if (PARTS > 1) {
            Vec.part(q, 1).fma(d, m).intoArray(out, o + L);
        }
    }

    /** out[o+k] = q[k] for k < BN: small integers as exact floats (DecodedRow). */
    static void storeInts(ByteVector q, float[] out, int o) {
        Vec.part(q, 0).intoArray(out, o);
        if (PARTS > 1) {
            Vec.part(q, 1).intoArray(out, o + L);
        }
    }

    /** The low nibble (0..15) of each int lane holding a zero-extended byte, as floats (Q4_0 with block sums). */
    static FloatVector lo4u(IntVector w) {
        return (FloatVector) w.and(0x0F).convert(VectorOperators.I2F, 0);
    }

    /** The high nibble (0..15) of each int lane holding a zero-extended byte: a shift, no mask. */
    static FloatVector hi4u(IntVector w) {
        return (FloatVector) w.lanewise(VectorOperators.LSHR, 4).convert(VectorOperators.I2F, 0);
    }

    /** (low nibble - 8) of each int lane (a sign-extended byte) as floats (Q4_0). */
    static FloatVector lo4(IntVector w) {
        return (FloatVector) w.and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** (high nibble - 8) of each int lane (a sign-extended byte) as floats (Q4_0). */
    static FloatVector hi4(IntVector w) {
        return (FloatVector) w.lanewise(VectorOperators.ASHR, 4).and(0x0F).sub(8).convert(VectorOperators.I2F, 0);
    }

    /** Low nibbles of each byte (values 0..15). */
    static ByteVector lo(ByteVector b) {
        return b.and((byte) 0x0F);
    }

    /** High nibbles of each byte (values 0..15); byte LSHR is an unsigned 8-bit shift. */
    static ByteVector hi(ByteVector b) {
        return b.lanewise(VectorOperators.LSHR, 4);
    }

    /** Bytes 8b..8b+7 of SPREAD: byte k = 16 if bit k of b is set, else 0 (eight 5th bits moved to bit 4). */
    private static final byte[] SPREAD = new byte[256 * 8];

    static {
        for (int b = 0; b < 256; b++) {
            for (int k = 0; k < 8; k++) {
                SPREAD[8 * b + k] = (byte) (((b >> k) & 1) << 4);
            }
        }
    }

    /**
     * Lane k (k < BN) = 16 if bit (j+k) of {@code bits} is set, else 0 (Q5_0/Q5_1 qh, docs/MODEL.md §2.4): a plain
     * table load (BN = 8), or two table entries joined through a 2-lane long vector (BN = 16).
     */
    static ByteVector fifthBits(int bits, int j) {
        int lo = (bits >>> j) & 0xFF;
        if (BN == 8) {
            return ByteVector.fromArray(Vec.B, SPREAD, 8 * lo);
        }
        int hi = (bits >>> (j + 8)) & 0xFF;
        return LongVector.zero(LongVector.SPECIES_128).withLane(0, spread(lo)).withLane(1, spread(hi)).reinterpretAsBytes();
    }

    private static long spread(int b) {
        long v = 0;
        for (int k = 7; k >= 0; k--) {
            v = (v << 8) | (SPREAD[8 * b + k] & 0xFF);
        }
        return v;
    }

    /**
     * The 6-bit scale (want 0) or min (want 1) of sub-block j from the 12 scale bytes read as three LE ints
     * (get_scale_min_k4, docs/MODEL.md §2.4 Q4_K): three segment reads per super-block instead of 16.
     */
    static int scaleMin(int s0, int s1, int s2, int j, int want) {
        if (j < 4) {
            return ((want == 0 ? s0 : s1) >>> (8 * j)) & 63;
        }
        int sh = 8 * (j - 4);
        int low4 = want == 0 ? (s2 >>> sh) & 0x0F : (s2 >>> (sh + 4)) & 0x0F;
        int top2 = ((want == 0 ? s0 : s1) >>> (sh + 6)) & 3;
        return low4 | top2 << 4;
    }

    /** 16 where bit {@code n} of the byte is set, else 0 (Q5_K qh). */
    static ByteVector bit4(ByteVector b, int n) {
        return b.lanewise(VectorOperators.LSHR, n).and((byte) 1).lanewise(VectorOperators.LSHL, 4);
    }
}
