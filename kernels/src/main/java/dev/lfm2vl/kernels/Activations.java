package dev.lfm2vl.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Activation functions over float rows: SiLU, SwiGLU, GELU (tanh approximation and exact erf form).
 * Every method allows {@code out == x} at the same offset (in place). No allocation.
 *
 * <p>Accuracy (pinned by tests against double-precision references):
 * <ul>
 *   <li>SiLU / SwiGLU / GELU-tanh: the vector versions compute e^x from exact operations only (Cephes expf,
 *   at most 2 ulp; written out in the SiLU and SwiGLU loops, {@code Vec.exp}/{@code Vec.tanh} for GELU), so every JIT tier
 *   gives the same bits (docs/JIT.md, "Same bits in every tier"); they match the float formula of
 *   llama.cpp ({@code ggml_silu_f32}, and the exact {@code ggml_gelu} formula — llama.cpp itself uses
 *   an F16 lookup table, which we deliberately do not copy).</li>
 *   <li>GELU-erf: computed as {@code 0.5·x·erfc(−x/√2)} with the Numerical-Recipes Chebyshev
 *   {@code erfc} approximation (fractional error &lt; 1.2e-7 for every argument), so negative tails keep
 *   relative accuracy instead of suffering the {@code 1 + erf} cancellation; measured absolute error
 *   vs an exact double reference &lt; 1e-6·max(1, |x|).</li>
 * </ul>
 */
public final class Activations {
    private Activations() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();

    /** √(2/π) as used by ggml / PyTorch {@code gelu_pytorch_tanh}. */
    public static final float GELU_TANH_C = 0.7978845608028654f;
    /** Cubic coefficient of the tanh GELU approximation. */
    public static final float GELU_TANH_A = 0.044715f;
    private static final float INV_SQRT2 = 0.70710678118654752f;

    // Numerical Recipes erfc(z) = t·exp(−z² + P(t)), t = 1/(1 + z/2), z ≥ 0.
    private static final double D0 = -1.26551223, D1 = 1.00002368, D2 = 0.37409196, D3 = 0.09678418,
            D4 = -0.18628806, D5 = 0.27886807, D6 = -1.13520398, D7 = 1.48851587, D8 = -0.82215223,
            D9 = 0.17087277;
    private static final float E0 = (float) D0, E1 = (float) D1, E2 = (float) D2, E3 = (float) D3,
            E4 = (float) D4, E5 = (float) D5, E6 = (float) D6, E7 = (float) D7, E8 = (float) D8,
            E9 = (float) D9;

    /** Which GELU form to use (docs/MODEL.md pitfall 9: llama.cpp = TANH everywhere, HF projector = ERF). */
    public enum Gelu { TANH, ERF }

    // ---------------------------------------------------------------- SiLU / SwiGLU

    /** {@code out[i] = x[i] / (1 + exp(−x[i]))}. */
    public static void silu(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector m = v.neg();
            FloatVector c = m.max(Vec.EXP_LOW).min(Vec.EXP_HIGH);
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
                    .blend(FloatVector.zero(S), m.lt(Vec.EXP_LOW));
            v.div(e.add(one)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = silu(x[xOff + i]);
        }
    }

    /** SiLU of one value: {@code x / (1 + exp(−x))} (float, as ggml). */
    public static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    /** SwiGLU: {@code out[i] = silu(gate[i]) · up[i]} (SiLU on the gate — HF w1 / ffn_gate; docs/MODEL.md pitfall 7). */
    public static void swiglu(float[] gate, int gOff, float[] up, int uOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (; i < bound; i += L) {
            FloatVector g = FloatVector.fromArray(S, gate, gOff + i);
            FloatVector m = g.neg();
            FloatVector c = m.max(Vec.EXP_LOW).min(Vec.EXP_HIGH);
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
                    .blend(FloatVector.zero(S), m.lt(Vec.EXP_LOW));
            FloatVector s = g.div(e.add(one));
            s.mul(FloatVector.fromArray(S, up, uOff + i)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = silu(gate[gOff + i]) * up[uOff + i];
        }
    }

    /** {@link #swiglu(float[], int, float[], int, float[], int, int)} with all offsets 0. */
    public static void swiglu(float[] gate, float[] up, float[] out, int n) {
        swiglu(gate, 0, up, 0, out, 0, n);
    }

    // ---------------------------------------------------------------- GELU

    /** Dispatches to {@link #geluTanh} or {@link #geluErf}. */
    public static void gelu(Gelu kind, float[] x, int xOff, float[] out, int outOff, int n) {
        if (kind == Gelu.ERF) {
            geluErf(x, xOff, out, outOff, n);
        } else {
            geluTanh(x, xOff, out, outOff, n);
        }
    }

    /** GELU, tanh approximation: {@code 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))}. */
    public static void geluTanh(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        FloatVector c = FloatVector.broadcast(S, GELU_TANH_C);
        FloatVector a = FloatVector.broadcast(S, GELU_TANH_A);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector inner = c.mul(v).mul(a.mul(v).mul(v).add(one));
            FloatVector t = Vec.tanh(inner);
            half.mul(v).mul(one.add(t)).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = geluTanh(x[xOff + i]);
        }
    }

    /** GELU-tanh of one value (float formula, as ggml's non-table path). */
    public static float geluTanh(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(GELU_TANH_C * x * (1f + GELU_TANH_A * x * x)));
    }

    /** GELU, exact erf form: {@code 0.5·x·(1 + erf(x/√2))}, evaluated as {@code 0.5·x·erfc(−x/√2)}. */
    public static void geluErf(float[] x, int xOff, float[] out, int outOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector two = FloatVector.broadcast(S, 2f);
        FloatVector half = FloatVector.broadcast(S, 0.5f);
        FloatVector invSqrt2 = FloatVector.broadcast(S, INV_SQRT2);
        FloatVector zero = FloatVector.zero(S);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xOff + i);
            FloatVector z = v.abs().mul(invSqrt2);
            FloatVector t = one.div(z.mul(half).add(one));
            FloatVector p = FloatVector.broadcast(S, E9);
            p = p.fma(t, FloatVector.broadcast(S, E8));
            p = p.fma(t, FloatVector.broadcast(S, E7));
            p = p.fma(t, FloatVector.broadcast(S, E6));
            p = p.fma(t, FloatVector.broadcast(S, E5));
            p = p.fma(t, FloatVector.broadcast(S, E4));
            p = p.fma(t, FloatVector.broadcast(S, E3));
            p = p.fma(t, FloatVector.broadcast(S, E2));
            p = p.fma(t, FloatVector.broadcast(S, E1));
            p = p.fma(t, FloatVector.broadcast(S, E0));
            // erfc(|x|/√2)
            FloatVector e = t.mul(Vec.exp(p.sub(z.mul(z))));
            // erfc(−x/√2) = e for x < 0, 2 − e for x ≥ 0
            VectorMask<Float> neg = v.compare(VectorOperators.LT, zero);
            FloatVector erfcNeg = two.sub(e).blend(e, neg);
            half.mul(v).mul(erfcNeg).intoArray(out, outOff + i);
        }
        for (; i < n; i++) {
            out[outOff + i] = geluErfFloat(x[xOff + i]);
        }
    }

    /** GELU-erf of one value (approximation evaluated in double, result rounded to float). */
    public static float geluErf(float x) {
        return (float) (0.5 * x * erfcApprox(-x * 0.7071067811865476));
    }

    /** erf of one value (double evaluation of the Chebyshev erfc fit; |error| &lt; 1.2e-7). */
    public static float erf(float x) {
        return (float) (1.0 - erfcApprox(x));
    }

    /** Numerical Recipes {@code erfcc}: fractional error &lt; 1.2e-7 everywhere. */
    static double erfcApprox(double x) {
        double z = Math.abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double p = D0 + t * (D1 + t * (D2 + t * (D3 + t * (D4 + t * (D5 + t * (D6 + t * (D7 + t * (D8 + t * D9))))))));
        double r = t * Math.exp(-z * z + p);
        return x >= 0 ? r : 2.0 - r;
    }

    /** Float-arithmetic scalar version of the vector GELU-erf lane math (used for vector tails). */
    private static float geluErfFloat(float x) {
        float z = Math.abs(x) * INV_SQRT2;
        float t = 1f / (1f + 0.5f * z);
        float p = E9;
        p = Math.fma(p, t, E8);
        p = Math.fma(p, t, E7);
        p = Math.fma(p, t, E6);
        p = Math.fma(p, t, E5);
        p = Math.fma(p, t, E4);
        p = Math.fma(p, t, E3);
        p = Math.fma(p, t, E2);
        p = Math.fma(p, t, E1);
        p = Math.fma(p, t, E0);
        float e = t * (float) Math.exp(p - z * z);
        return 0.5f * x * (x < 0 ? e : 2f - e);
    }
}
