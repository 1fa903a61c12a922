package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;
import static dev.lfm2vl.kernels.Vec.PARTS;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Building blocks for the quantized kernels: a 16-byte vector of small integers q (one per element)
 * combined with 16 activations or written out as 16 floats. The loops over PARTS have a constant trip
 * count (static final), so C2 unrolls them and castShape sees constant part numbers.
 */
final class QuantMath {
    private QuantMath() {}

    /** Σ_k q[k]·x[xo+k] for k = 0..15, as a vector of partial sums (scale is applied by the caller per block). */
    static FloatVector dot16(ByteVector q, float[] x, int xo) {
        FloatVector acc = Vec.part(q, 0).mul(FloatVector.fromArray(F, x, xo));
        for (int p = 1; p < PARTS; p++) {
            acc = Vec.part(q, p).fma(FloatVector.fromArray(F, x, xo + p * L), acc);
        }
        return acc;
    }

    /** acc + Σ_k (q[k]·d + m)·x[xo+k], k = 0..15: blocks with a min term (Q4_1, Q5_1, Q4_K, Q5_K). */
    static FloatVector dot16Affine(ByteVector q, FloatVector d, FloatVector m, float[] x, int xo, FloatVector acc) {
        for (int p = 0; p < PARTS; p++) {
            acc = Vec.part(q, p).fma(d, m).fma(FloatVector.fromArray(F, x, xo + p * L), acc);
        }
        return acc;
    }

    /** out[o+k] = q[k]·d + m for k = 0..15. */
    static void store16(ByteVector q, FloatVector d, FloatVector m, float[] out, int o) {
        for (int p = 0; p < PARTS; p++) {
            Vec.part(q, p).fma(d, m).intoArray(out, o + p * L);
        }
    }

    /** Low nibbles of each byte (values 0..15). */
    static ByteVector lo(ByteVector b) {
        return b.and((byte) 0x0F);
    }

    /** High nibbles of each byte (values 0..15); byte LSHR is an unsigned 8-bit shift. */
    static ByteVector hi(ByteVector b) {
        return b.lanewise(VectorOperators.LSHR, 4);
    }

    /** 16 in every lane whose byte has any of {@code bits} set, else 0 (a 5th quant bit moved to bit 4). */
    static ByteVector bit4Where(ByteVector b, ByteVector bits) {
        return ((ByteVector) b.and(bits).compare(VectorOperators.NE, 0).toVector()).and((byte) 16);
    }

    static float sum(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        return Vec.sum(a0.add(a1).add(a2.add(a3)));
    }
}
