package dev.lfm2vl.kernels;

import static dev.lfm2vl.kernels.Vec.F;
import static dev.lfm2vl.kernels.Vec.L;
import static dev.lfm2vl.kernels.Vec.PARTS;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Building blocks for the quantized kernels: a 16-byte vector of small integers q (one per element)
 * combined with 16 activations or written out as 16 floats. The parts are written out with literal part
 * numbers behind {@code PARTS} tests (static final, folded at parse time): castShape is only intrinsified
 * when its part number is a parse-time constant, and a loop counter is not one (the fallback allocates).
 */
final class QuantMath {
    private QuantMath() {}

    private static FloatVector xv(float[] x, int xo, int p) {
        return FloatVector.fromArray(F, x, xo + p * L);
    }

    /** Σ_k q[k]·x[xo+k] for k = 0..15, as a vector of partial sums (scale is applied by the caller per block). */
    static FloatVector dot16(ByteVector q, float[] x, int xo) {
        FloatVector acc = Vec.part(q, 0).mul(xv(x, xo, 0));
        if (PARTS > 1) {
            acc = Vec.part(q, 1).fma(xv(x, xo, 1), acc);
        }
        if (PARTS > 2) {
            acc = Vec.part(q, 2).fma(xv(x, xo, 2), acc);
            acc = Vec.part(q, 3).fma(xv(x, xo, 3), acc);
        }
        return acc;
    }

    /** acc + Σ_k (q[k]·d + m)·x[xo+k], k = 0..15: blocks with a min term (Q4_1, Q5_1, Q4_K, Q5_K). */
    static FloatVector dot16Affine(ByteVector q, FloatVector d, FloatVector m, float[] x, int xo, FloatVector acc) {
        acc = Vec.part(q, 0).fma(d, m).fma(xv(x, xo, 0), acc);
        if (PARTS > 1) {
            acc = Vec.part(q, 1).fma(d, m).fma(xv(x, xo, 1), acc);
        }
        if (PARTS > 2) {
            acc = Vec.part(q, 2).fma(d, m).fma(xv(x, xo, 2), acc);
            acc = Vec.part(q, 3).fma(d, m).fma(xv(x, xo, 3), acc);
        }
        return acc;
    }

    /** out[o+k] = q[k]·d + m for k = 0..15. */
    static void store16(ByteVector q, FloatVector d, FloatVector m, float[] out, int o) {
        Vec.part(q, 0).fma(d, m).intoArray(out, o);
        if (PARTS > 1) {
            Vec.part(q, 1).fma(d, m).intoArray(out, o + L);
        }
        if (PARTS > 2) {
            Vec.part(q, 2).fma(d, m).intoArray(out, o + 2 * L);
            Vec.part(q, 3).fma(d, m).intoArray(out, o + 3 * L);
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
        return b.and(bits).lanewise(VectorOperators.UMIN, 1).lanewise(VectorOperators.LSHL, 4); // mask-free
    }

    static float sum(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3) {
        return Vec.sum(a0.add(a1).add(a2.add(a3)));
    }
}
