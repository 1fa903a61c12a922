package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-place softmax over {@code n} contiguous floats: {@code x_i ← exp(x_i − max) / Σ_j exp(x_j − max)}.
 *
 * <p>Precision: exponentials in float (Cephes expf written out in the loop with {@code Vec}'s constants, the same bits
 * in every JIT tier; the scalar twin rounds
 * {@link Math#exp} to float), the sum is accumulated in float vector lanes, then the lane total and the
 * scalar tail are added in <b>double</b> (llama.cpp's {@code ggml_vec_soft_max_f32} also returns a
 * {@code ggml_float} = double sum); normalisation multiplies by {@code (float) (1 / sum)}.
 * {@code -Infinity} inputs (masked scores) give 0; at least one input must be finite.
 */
public final class Softmax {
    private Softmax() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** In-place softmax of {@code x[off .. off+n)}; n ≥ 1. */
    public static void softmax(float[] x, int off, int n) {
        float max = max(x, off, n);
        double sum = expShiftAndSum(x, off, n, max);
        Elementwise.scale(x, off, n, (float) (1.0 / sum));
    }

    /** Maximum of {@code x[off .. off+n)} (−∞ for n = 0). */
    static float max(float[] x, int off, int n) {
        int i = 0;
        float max = Float.NEGATIVE_INFINITY;
        if (n >= L) {
            FloatVector m = FloatVector.fromArray(S, x, off);
            i = L;
            int bound = n - L;
            for (; i <= bound; i += L) {
                m = FloatVector.fromArray(S, x, off + i).max(m); // never m.max(..): docs/JIT.md, rule 1
            }
            max = m.reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            max = Math.max(max, x[off + i]);
        }
        return max;
    }

    /** {@code x_i ← exp(x_i − shift)} in place; returns the sum (float lanes, then double). */
    static double expShiftAndSum(float[] x, int off, int n, float shift) {
        int i = 0;
        double sum = 0;
        int bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector sh = FloatVector.broadcast(S, shift);
            FloatVector acc = FloatVector.zero(S);
            for (; i < bound; i += L) {
                FloatVector z = FloatVector.fromArray(S, x, off + i).sub(sh);
                FloatVector c = z.max(Vec.EXP_LOW).min(Vec.EXP_HIGH);
                FloatVector t = c.fma(Vec.LOG2E, Vec.ROUND); // e^x as Vec's note says: the same bits in every JIT tier
                FloatVector k = t.sub(Vec.ROUND);
                FloatVector r = k.fma(FloatVector.broadcast(S, -Vec.LN2_HI), c);
                r = k.fma(FloatVector.broadcast(S, -Vec.LN2_LO), r);
                FloatVector p = r.fma(Vec.P0, Vec.P1);
                p = p.fma(r, FloatVector.broadcast(S, Vec.P2));
                p = p.fma(r, FloatVector.broadcast(S, Vec.P3));
                p = p.fma(r, FloatVector.broadcast(S, Vec.P4));
                p = p.fma(r, FloatVector.broadcast(S, Vec.P5));
                FloatVector e = p.fma(r.mul(r), r).add(1f)
                        .mul(t.reinterpretAsInts().add(127 - Vec.ROUND_BITS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats())
                        .blend(FloatVector.zero(S), z.lt(Vec.EXP_LOW));
                e.intoArray(x, off + i);
                acc = e.add(acc);
            }
            sum = Vec.sum(acc); // a fixed order: reduceLanes(ADD) differs between JIT tiers
        }
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - shift);
            x[off + i] = e;
            sum += e;
        }
        return sum;
    }
}
