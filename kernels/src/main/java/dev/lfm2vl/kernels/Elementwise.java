package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Element-wise helpers on float rows with explicit offsets. Each vectorized method has a scalar twin of the
 * same name in the test sources ({@code ScalarElementwise}), its oracle. Element-wise ops are exact twins (same float ops per
 * element, no reassociation) except where FMA is noted. No allocation; in-place use (destination
 * equal to a source at the same offset) is supported everywhere.
 */
public final class Elementwise {
    private Elementwise() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** {@code a[i] += b[i]} for i in [0, n). */
    public static void add(float[] a, int aOff, float[] b, int bOff, int n) {
        add(a, aOff, b, bOff, a, aOff, n);
    }

    /** {@code out[i] = a[i] + b[i]}. */
    public static void add(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, aOff + i).add(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] + b[bOff + i];
        }
    }

    /**
     * Adds the same {@code bias[0..n)} to each of {@code rows} rows of length n at row stride
     * {@code stride} (e.g. a linear layer's bias on a [T][n] activation block).
     */
    public static void addRows(float[] a, int aOff, int stride, int rows, float[] bias, int n) {
        for (int r = 0; r < rows; r++) {
            add(a, aOff + r * stride, bias, 0, n);
        }
    }

    /** {@code a[i] *= b[i]}. */
    public static void mul(float[] a, int aOff, float[] b, int bOff, int n) {
        mul(a, aOff, b, bOff, a, aOff, n);
    }

    /** {@code out[i] = a[i] · b[i]}. */
    public static void mul(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, aOff + i).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = a[aOff + i] * b[bOff + i];
        }
    }

    /** {@code a[i] *= s}. */
    public static void scale(float[] a, int aOff, int n, float s) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector sv = FloatVector.broadcast(S, s);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, a, aOff + i).mul(sv).intoArray(a, aOff + i);
        }
        for (; i < n; i++) {
            a[aOff + i] *= s;
        }
    }

    /** {@code a[i] += s · b[i]} (vector version uses FMA: one rounding instead of two). */
    public static void axpy(float[] a, int aOff, float s, float[] b, int bOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector sv = FloatVector.broadcast(S, s);
        for (; i < bound; i += L) {
            FloatVector.fromArray(S, b, bOff + i).fma(sv, FloatVector.fromArray(S, a, aOff + i)).intoArray(a, aOff + i);
        }
        for (; i < n; i++) {
            a[aOff + i] = Math.fma(s, b[bOff + i], a[aOff + i]);
        }
    }

    /** Dot product of whole arrays (lengths must match). */
    public static float dot(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("length mismatch: " + a.length + " vs " + b.length);
        }
        return dot(a, 0, b, 0, a.length);
    }

    /**
     * Dot product {@code Σ a[aOff+i]·b[bOff+i]}: four independent vector FMA accumulators (Java cannot
     * reassociate FP sums, so one accumulator would serialise on FMA latency), lanes reduced in float,
     * scalar tail added in float. Differs from its scalar twin (test sources) by summation order only
     * (relative error ~ n·2^-24 worst case, far less in practice).
     */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0f;
        if (n >= L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            int bound4 = n - 4 * L;
            for (; i <= bound4; i += 4 * L) {
                a0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), a0);
                a1 = FloatVector.fromArray(S, a, aOff + i + L).fma(FloatVector.fromArray(S, b, bOff + i + L), a1);
                a2 = FloatVector.fromArray(S, a, aOff + i + 2 * L).fma(FloatVector.fromArray(S, b, bOff + i + 2 * L), a2);
                a3 = FloatVector.fromArray(S, a, aOff + i + 3 * L).fma(FloatVector.fromArray(S, b, bOff + i + 3 * L), a3);
            }
            int bound = n - L;
            for (; i <= bound; i += L) {
                a0 = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), a0);
            }
            sum = Vec.sum(a0.add(a1).add(a2.add(a3))); // a fixed order: reduceLanes(ADD) differs between JIT tiers
        }
        for (; i < n; i++) {
            sum = Math.fma(a[aOff + i], b[bOff + i], sum);
        }
        return sum;
    }
}
